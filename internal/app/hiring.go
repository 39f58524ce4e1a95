package app

import (
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/hiring"
	"github.com/xinyong/xinyong/internal/pii"
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
