package exchange

import (
	"strings"

	"github.com/xinyong/xinyong/internal/store"
)

// The conflict rule: the deciding department's latest version wins.
//
// The deciding department of a record is its authority (authority_uscc:
// 处罚机关, 许可机关, 认定单位 …), or, for kinds without one, its data source
// (source_dept_uscc). Its region is the administrative division code in
// its unified social credit code (characters 3 to 8). Its home is the
// platform whose territory holds that region most narrowly: seen from
// one platform, that is here (its own territory, Region), a lower peer
// whose region holds it, or above (the upper or national platform) for
// regions outside its territory.
//
// A version is the deciding department's when it was made at its home,
// or arrived from the direction of its home (relayed from there). A
// version made elsewhere (an edit or a copy filed at another platform)
// never overrides the deciding department's version held here; the
// deciding department's own latest version overrides anything made
// elsewhere, even later. Among versions of the same standing, the latest
// stamp wins.

// deciderKeys are the fields naming the deciding department, in order.
var deciderKeys = []string{"authority_uscc", "source_dept_uscc"}

// deciderRegion is the region code of a version's deciding department
// ("" when it has no valid code).
func deciderRegion(field func(key string) string) string {
	for _, k := range deciderKeys {
		c := strings.TrimSpace(field(k))
		if len(c) != 18 {
			continue
		}
		r := c[2:8]
		if strings.Trim(r, "0123456789") == "" && r != "000000" {
			return r
		}
	}
	return ""
}

// regionPrefix is a territory as a prefix of 6-digit codes: 610000 (the
// province) holds 61xxxx, 610100 (a city) 6101xx.
func regionPrefix(r string) string {
	for len(r) > 2 && strings.HasSuffix(r, "00") {
		r = r[:len(r)-2]
	}
	return r
}

// homes tells where deciding departments are at home, seen from one
// platform.
type homes struct {
	own   string // this platform's territory ("" all)
	peers map[string]store.Peer
}

func newHomes(own string, peers []store.Peer) homes {
	h := homes{own: regionPrefix(own), peers: make(map[string]store.Peer, len(peers))}
	for _, p := range peers {
		h.peers[p.Name] = p
	}
	return h
}

// above is the direction of a home outside this platform's territory.
const above = "\x00above"

// direction returns where the department of region r is at home: "" here,
// a lower peer's region prefix (any lower peer registered with it), or
// above.
func (h homes) direction(r string) string {
	best := ""
	for _, p := range h.peers {
		pr := regionPrefix(p.Region)
		if p.Role == store.PeerLower && pr != "" && strings.HasPrefix(r, pr) && len(pr) > len(best) {
			best = pr
		}
	}
	if best != "" {
		return "lower:" + best
	}
	if strings.HasPrefix(r, h.own) {
		return ""
	}
	return above
}

// decided reports whether a version of a department of region r that
// came from origin ("" made here, else the peer it was received from) is
// the deciding department's. Without a known region every version is.
func (h homes) decided(r, origin string) bool {
	if r == "" {
		return true
	}
	d := h.direction(r)
	p, ok := h.peers[origin]
	switch {
	case d == "":
		return origin == ""
	case d == above:
		return ok && p.Role != store.PeerLower
	default:
		return ok && p.Role == store.PeerLower && "lower:"+regionPrefix(p.Region) == d
	}
}
