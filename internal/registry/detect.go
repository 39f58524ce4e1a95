package registry

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// Detector finds the three problems of GB 32100 codes over a set of
// registrations, held compactly (about 80 bytes a registration: 5,000,000
// fit in some 400 MiB): codes as arrays, names and legal representatives
// as 64-bit hashes, authorities numbered.
type Detector struct {
	rows  []row
	auths []string
	authN map[string]uint32
	seed  maphash.Seed
	bad   []rawFinding // 错码, found as rows are added
}

type row struct {
	code   [18]byte
	auth   uint32
	name   uint64   // hash of the folded name
	person uint64   // hash of the folded name and the legal representative; 0 without one
	former []uint64 // hashes of former names (nil for most)
}

// rawFinding is a problem before its evidence is read.
type rawFinding struct {
	Type    string
	Codes   []string
	Auths   []string // authorities involved (USCCs)
	Reasons []string
	Key     string
}

// NewDetector returns an empty detector.
func NewDetector() *Detector {
	return &Detector{authN: map[string]uint32{}, seed: maphash.MakeSeed()}
}

func (d *Detector) hash(s string) uint64 { return maphash.String(d.seed, s) }

// Add takes one registration (g is not kept). Registrations that no longer
// hold their code (注销, 删除) are left out.
func (d *Detector) Add(g *store.Registration) {
	if !Holds(g) {
		return
	}
	a, ok := d.authN[g.AuthorityCode]
	if !ok {
		a = uint32(len(d.auths))
		d.auths = append(d.auths, g.AuthorityCode)
		d.authN[g.AuthorityCode] = a
	}
	if reasons := badCode(g); len(reasons) > 0 {
		d.bad = append(d.bad, rawFinding{Type: TypeBadCode, Codes: []string{g.USCC}, Auths: []string{g.AuthorityCode},
			Reasons: reasons, Key: TypeBadCode + "|" + g.USCC + "|" + g.AuthorityCode})
	}
	if len(g.USCC) != 18 {
		return
	}
	r := row{auth: a}
	copy(r.code[:], g.USCC)
	folded := search.Fold(g.Name)
	r.name = d.hash(folded)
	if rep := strings.TrimSpace(g.LegalRep); rep != "" {
		r.person = d.hash(folded + "\x00" + rep)
	}
	for _, n := range g.FormerNames {
		r.former = append(r.former, d.hash(search.Fold(n)))
	}
	d.rows = append(d.rows, r)
}

// badCode says why a registration's code is a 错码: it fails GB 32100
// (check character, embedded org code), or its 登记管理部门码 or 机构类别码
// contradicts the authority that assigned it.
func badCode(g *store.Registration) []string {
	var out []string
	r := code.Check(code.KindUSCC, g.USCC)
	if r.Status != code.StatusValid {
		out = append(out, "代码不符合GB 32100-2015："+r.DetailZH)
		return out
	}
	if g.DeptCode != "" && g.USCC[:1] != g.DeptCode {
		dept, have := DeptName(g.DeptCode), DeptName(g.USCC[:1])
		out = append(out, fmt.Sprintf("登记管理部门码“%s”（%s）与赋码机关“%s”所属的登记管理部门（%s，部门码%s）不符",
			g.USCC[:1], orUnknown(have), g.AuthorityName, orUnknown(dept), g.DeptCode))
	} else if g.DeptCode != "" {
		if _, _, ok := code.LookupCategory(g.USCC[:2]); !ok && deptListed(g.DeptCode) {
			dept := DeptName(g.DeptCode)
			out = append(out, fmt.Sprintf("机构类别码“%s”不是%s登记管理部门的机构类别", g.USCC[:2], orUnknown(dept)))
		}
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "未列入代码表"
	}
	return s
}

// DeptName is the name of a 登记管理部门码 in the category table, "" when
// it is not listed.
func DeptName(dept string) string {
	for _, c := range code.Categories() {
		if c.Department == dept {
			return c.DepartmentName
		}
	}
	return ""
}

// deptListed reports whether the category table lists categories of the
// department (then an unlisted category of it contradicts the table).
func deptListed(dept string) bool {
	for _, c := range code.Categories() {
		if c.Department == dept {
			return true
		}
	}
	return false
}

// groups returns the runs of rows (indexes) with equal keys (0 = no key),
// runs of two or more, found by sorting (key, index) pairs.
func (d *Detector) groups(key func(r *row) uint64) [][]int32 {
	type pair struct {
		k uint64
		i int32
	}
	ps := make([]pair, 0, len(d.rows))
	for i := range d.rows {
		if k := key(&d.rows[i]); k != 0 {
			ps = append(ps, pair{k, int32(i)})
		}
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Compare(a.k, b.k) })
	var out [][]int32
	for i := 0; i < len(ps); {
		j := i + 1
		for j < len(ps) && ps[j].k == ps[i].k {
			j++
		}
		if j-i > 1 {
			g := make([]int32, 0, j-i)
			for _, p := range ps[i:j] {
				g = append(g, p.i)
			}
			out = append(out, g)
		}
		i = j
	}
	return out
}

// Findings returns every problem not whitelisted, in a stable order.
func (d *Detector) Findings(white map[string]bool) []rawFinding {
	out := slices.Clone(d.bad)
	codeKey := func(r *row) uint64 { return d.hash(string(r.code[:])) | 1 }
	// 一码多赋: one code, organisations that are not one (no shared name in
	// their name-change chains).
	for _, g := range d.groups(codeKey) {
		for _, same := range splitBy(d.rows, g, func(r *row) string { return string(r.code[:]) }) {
			if len(same) < 2 {
				continue
			}
			orgs := d.organisations(same)
			if orgs < 2 {
				continue
			}
			c := string(d.rows[same[0]].code[:])
			auths := d.authsOf(same)
			out = append(out, rawFinding{Type: TypeMultiHeld, Codes: []string{c}, Auths: auths,
				Reasons: []string{fmt.Sprintf("同一代码由%d个名称不同、且无名称变更关系的组织持有", orgs)},
				Key:     TypeMultiHeld + "|" + c})
		}
	}
	// 重复赋码: one organisation, two or more codes: the same name and legal
	// representative, or the same org-code body.
	dup := map[string]*rawFinding{}
	var order []string
	addDup := func(g []int32, reason string) {
		codes := map[string]bool{}
		for _, i := range g {
			codes[string(d.rows[i].code[:])] = true
		}
		if len(codes) < 2 {
			return
		}
		list := make([]string, 0, len(codes))
		for c := range codes {
			list = append(list, c)
		}
		slices.Sort(list)
		key := TypeDuplicate + "|" + strings.Join(list, ",")
		f, ok := dup[key]
		if !ok {
			f = &rawFinding{Type: TypeDuplicate, Codes: list, Auths: d.authsOf(g), Key: key}
			dup[key] = f
			order = append(order, key)
		}
		if !slices.Contains(f.Reasons, reason) {
			f.Reasons = append(f.Reasons, reason)
		}
	}
	for _, g := range d.groups(func(r *row) uint64 { return r.person }) {
		addDup(g, "名称与法定代表人（负责人）相同")
	}
	bodyKey := func(r *row) uint64 { return d.hash(string(r.code[8:16])) | 1 }
	for _, g := range d.groups(bodyKey) {
		for _, same := range splitBy(d.rows, g, func(r *row) string { return string(r.code[8:16]) }) {
			if len(same) > 1 {
				addDup(same, "主体标识码（组织机构代码本体"+string(d.rows[same[0]].code[8:16])+"）相同")
			}
		}
	}
	for _, k := range order {
		out = append(out, *dup[k])
	}
	out = slices.DeleteFunc(out, func(f rawFinding) bool { return white[f.Key] })
	slices.SortStableFunc(out, func(a, b rawFinding) int { return cmp.Compare(a.Key, b.Key) })
	return slices.CompactFunc(out, func(a, b rawFinding) bool { return a.Key == b.Key })
}

// splitBy splits a group whose keys are hashes into runs of equal values.
func splitBy(rows []row, g []int32, val func(r *row) string) [][]int32 {
	by := map[string][]int32{}
	var order []string
	for _, i := range g {
		v := val(&rows[i])
		if _, ok := by[v]; !ok {
			order = append(order, v)
		}
		by[v] = append(by[v], i)
	}
	out := make([][]int32, 0, len(order))
	for _, v := range order {
		out = append(out, by[v])
	}
	return out
}

// organisations counts the distinct organisations among registrations of
// one code: two are one when their names (current or former) meet.
func (d *Detector) organisations(g []int32) int {
	parent := make([]int, len(g))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	names := func(r *row) []uint64 { return append([]uint64{r.name}, r.former...) }
	for a := range g {
		for b := a + 1; b < len(g); b++ {
			na, nb := names(&d.rows[g[a]]), names(&d.rows[g[b]])
			if slices.ContainsFunc(na, func(h uint64) bool { return slices.Contains(nb, h) }) {
				parent[find(a)] = find(b)
			}
		}
	}
	n := 0
	for i := range parent {
		if find(i) == i {
			n++
		}
	}
	return n
}

func (d *Detector) authsOf(g []int32) []string {
	var out []string
	for _, i := range g {
		a := d.auths[d.rows[i].auth]
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}
