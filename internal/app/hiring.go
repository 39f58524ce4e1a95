package app

import (
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/hiring"
	"github.com/xinyong/xinyong/internal/lending"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// Hiring is the hiring-check service (789号) over s: the lists catalogue
// says who is a 失信联合惩戒对象, the clock the deadlines.
func Hiring(c config.Config, s store.Store, cat *catalog.Catalog, authz *auth.Authorizer, keys *pii.Keyring, clock deadline.Clock) (*hiring.Service, error) {
	l, err := Lists(c, cat)
	if err != nil {
		return nil, err
	}
	rules := clock.Rules
	if rules == nil {
		rules = deadline.Default()
	}
	r, err := hiring.DefaultRouting(rules)
	if err != nil {
		return nil, err
	}
	return &hiring.Service{Store: s, Auth: authz, Keys: keys, Lists: l, Routing: r, Clock: clock}, nil
}

// Lending is 信易贷 over s: the groups checked against cat, the checker's
// lists for the monthly list, the portal's public file and the grades.
func Lending(s store.Store, cat *catalog.Catalog, authz *auth.Authorizer, checker *check.Checker, ps *portal.Service, ev *evaluation.Service) (*lending.Service, error) {
	conf, err := lending.DefaultConfig(cat)
	if err != nil {
		return nil, err
	}
	return &lending.Service{Store: s, Auth: authz, Catalog: cat, Config: conf, Checker: checker, Portal: ps, Evaluation: ev}, nil
}
