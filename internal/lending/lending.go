// Package lending is 信易贷: credit data for lenders with the firm's
// authorisation (双授权). The platform authorises a lender (an
// organisation registered as one; its staff hold the lender role, its API
// keys the lenders:read scope); a firm's user grants a named lender access
// to named data groups (groups.json: tax, social insurance, housing fund,
// utilities, each catalogue kinds of authorised disclosure taken in
// through the one intake path) for a period and a purpose, and may revoke
// it. A lender reads a firm only within a live grant; every read is in
// the audit trail with the firm as subject, so in the firm's query
// history. The lender's view combines the granted groups with the public
// credit file and the evaluation grade. Lenders see each month the firms
// that granted them and have no bad records, and report outcomes.
package lending

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/catalog"
)

// Group is a data group a firm may grant.
type Group struct {
	Code  string   `json:"code"`
	Name  string   `json:"name"`
	Kinds []string `json:"kinds"`
}

// Config is groups.json.
type Config struct {
	Note        string   `json:"note"`
	Groups      []Group  `json:"groups"`
	LenderKinds []string `json:"lender_kinds"`
	AmountBands []string `json:"amount_bands"`
	MaxMonths   int      `json:"max_months"`
}

//go:embed groups.json
var groupsJSON []byte

// DefaultConfig is the built-in configuration checked against cat.
func DefaultConfig(cat *catalog.Catalog) (*Config, error) { return LoadConfig(groupsJSON, cat) }

// LoadConfig reads and checks a configuration: group codes unique, every
// kind in the catalogue and of authorised disclosure, in one group only.
func LoadConfig(b []byte, cat *catalog.Catalog) (*Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("lending groups: %w", err)
	}
	seen := map[string]bool{}
	for _, g := range c.Groups {
		if g.Code == "" || seen[g.Code] || len(g.Kinds) == 0 {
			return nil, fmt.Errorf("lending groups: group %q: a unique code and at least one kind", g.Code)
		}
		seen[g.Code] = true
		for _, k := range g.Kinds {
			kd, ok := cat.Kind(k)
			if !ok {
				return nil, fmt.Errorf("lending groups: %s: unknown kind %q", g.Code, k)
			}
			if kd.Disclosure != catalog.DisclosureAuthorised {
				return nil, fmt.Errorf("lending groups: %s: kind %s is not of authorised disclosure", g.Code, k)
			}
			if seen["kind:"+k] {
				return nil, fmt.Errorf("lending groups: kind %s in two groups", k)
			}
			seen["kind:"+k] = true
		}
	}
	if len(c.LenderKinds) == 0 || len(c.AmountBands) == 0 || c.MaxMonths < 1 {
		return nil, fmt.Errorf("lending groups: lender_kinds, amount_bands and max_months are required")
	}
	return &c, nil
}

// Group returns a group by code.
func (c *Config) Group(code string) (Group, bool) {
	i := slices.IndexFunc(c.Groups, func(g Group) bool { return g.Code == code })
	if i < 0 {
		return Group{}, false
	}
	return c.Groups[i], true
}

// Outcomes a lender reports.
const (
	Granted  = "granted"
	Declined = "declined"
)

// OutcomeLabel names an outcome.
func OutcomeLabel(o string) string {
	switch o {
	case Granted:
		return "已放款"
	case Declined:
		return "未放款"
	}
	return o
}
