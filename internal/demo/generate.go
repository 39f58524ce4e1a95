// Package demo generates realistic synthetic credit subjects of Shaanxi
// (陕西) for demonstrations, load tests and development databases.
//
// The output is deterministic: the same Options give the same subjects, in
// the same order, byte for byte (for a given Go release, whose math/rand/v2
// PCG the generator relies on).
//
// Every identifier is valid (GB 32100 统一社会信用代码 with a valid embedded
// GB 11714 组织机构代码, GS 15 工商注册号, GB 11643 公民身份号码) and, for
// any run of up to well beyond 10,000,000 subjects, unique within the run:
// each identifier's distinguishing part is a counter passed through a keyed
// permutation (see perm.go and the pool type below), never a random draw.
package demo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
)

// Options control Generate.
type Options struct {
	Seed     int64
	Subjects int // how many subjects in total
}

// Class shares, per mille. Their sum must be 1000.
var classShares = [...]struct {
	class credit.Class
	share int
}{
	{credit.ClassOrg, 680},
	{credit.ClassSole, 150},
	{credit.ClassPerson, 140},
	{credit.ClassGov, 30},
}

// Generate calls emit for each of opts.Subjects synthetic subjects, in
// order. It stops at, and returns, the first error emit returns.
//
// Subjects carry Class, Name, Region and their identifier (USCC, RegNo or
// IDNumber); organisations may carry FormerNames. ID, MaskedID, CreatedAt
// and UpdatedAt are left zero for the store to fill.
//
// The class mix is exact, not sampled: ≈68 % organisations, 15 % sole
// traders, 14 % persons and 3 % government bodies, each class present at
// least once whenever Subjects >= 4, in a shuffled order.
func Generate(opts Options, emit func(credit.Subject) error) error {
	if opts.Subjects < 0 {
		return fmt.Errorf("demo: negative subject count %d", opts.Subjects)
	}
	if emit == nil {
		return errors.New("demo: nil emit function")
	}
	g := newGenerator(opts.Seed)
	quota := classQuotas(opts.Subjects)
	left := opts.Subjects
	for left > 0 {
		// Sampling without replacement keeps the counts exact.
		x := g.rng.IntN(left)
		ci := 0
		for x >= quota[ci] {
			x -= quota[ci]
			ci++
		}
		quota[ci]--
		left--

		var (
			s   credit.Subject
			err error
		)
		switch classShares[ci].class {
		case credit.ClassOrg:
			s, err = g.org()
		case credit.ClassSole:
			s, err = g.sole()
		case credit.ClassPerson:
			s, err = g.person()
		case credit.ClassGov:
			s, err = g.gov()
		}
		if err != nil {
			return err
		}
		if err := emit(s); err != nil {
			return err
		}
	}
	return nil
}

// classQuotas splits n over classShares by largest remainder and then makes
// sure every class gets at least one subject (taken from the largest class)
// when n allows it.
func classQuotas(n int) []int {
	q := make([]int, len(classShares))
	rem := make([]int, len(classShares))
	used := 0
	for i, c := range classShares {
		q[i] = n * c.share / 1000
		rem[i] = n * c.share % 1000
		used += q[i]
	}
	for used < n {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		q[best]++
		rem[best] = -1
		used++
	}
	for i := range q {
		if q[i] > 0 {
			continue
		}
		// Take one from the largest class that can spare it.
		big := 0
		for j := range q {
			if q[j] > q[big] {
				big = j
			}
		}
		if q[big] > 1 {
			q[big]--
			q[i]++
		}
	}
	return q
}

// Capacities of the identifier spaces.
const (
	digits8  = 100_000_000                 // 8 decimal digits
	charset6 = 31 * 31 * 31 * 31 * 31 * 31 // 6 chars over the USCC charset = 887,503,681
)

// usccChars is the GB 32100 code charset (no I, O, S, V, Z).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// pool hands out distinct identifier bodies: the i-th call returns
// perm(i), and perm is a bijection of [0, size), so no two calls of one pool
// return the same value until the pool is exhausted (reported as an error,
// never as a repeat). Pools with different prefixes can never produce the
// same body.
//
// Why identifiers stay unique for large runs (tested directly for 200,000
// subjects; this is the argument for more): a run of n subjects draws at
// most n values from any one pool.
//   - USCC: positions 9–16 come from the digit pool (10^8 values) or one of
//     the MA/MB/MJ pools (31^6 ≈ 8.9·10^8 each), which are pairwise
//     disjoint. For n ≤ 10^8 — ten times the 10,000,000 the platform needs —
//     no pool runs out, all bodies differ, hence all USCCs differ (the check
//     characters and other positions cannot make equal bodies unequal or
//     vice versa: a USCC determines its body).
//   - RegNo: positions 7–14 come from one pool of 10^8 values, over all
//     regions: distinct for n ≤ 10^8.
//   - ID number: see generator.idPerm; up to 20,454 × 999 ≈ 2·10^7 persons
//     per county, more than all persons of a 10^8-subject run would need if
//     they were spread over the 100+ counties, and more than the ≈1.4·10^6
//     persons of a 10^7-subject run even if all lived in one county.
type pool struct {
	prefix string // "", "MA", "MB" or "MJ"
	p      *perm
	next   uint64
}

func (pl *pool) take() (uint64, error) {
	if pl.next >= pl.p.n {
		return 0, fmt.Errorf("demo: identifier pool %q exhausted after %d values", pl.prefix, pl.next)
	}
	v := pl.p.at(pl.next)
	pl.next++
	return v, nil
}

// Birth dates of persons: 1950-01-01 … 2005-12-31.
var (
	birthFirst = time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
	birthDays  = int(time.Date(2005, 12, 31, 0, 0, 0, 0, time.UTC).Sub(birthFirst)/(24*time.Hour)) + 1
)

// ID number sequence codes used: 001 … 999.
const seqCodes = 999

type generator struct {
	rng    *rand.Rand
	places *placeSet

	// Embedded organisation-code bodies (USCC positions 9–16). The digit
	// pool yields 8 digits (old-style codes such as 60003734); the M pools
	// yield the prefix and 6 charset characters (post-2015 codes such as
	// MA1K3BTP). Digit bodies never start with 'M', so all four pools are
	// pairwise disjoint and every USCC of a run has a distinct body, hence
	// is distinct.
	digits, ma, mb, mj pool

	// 8-digit sequence part of GS 15 registration numbers, over the whole
	// run (so RegNos are distinct whatever their region).
	regNo pool

	// Persons: the i-th person of county c gets
	// idPerm((i + idOffset[c]) mod N), N = birthDays × seqCodes, split into
	// (birth day, sequence code). i ↦ (i + offset) mod N and idPerm are
	// bijections of [0, N), so the persons of one county get distinct
	// (birth day, sequence) pairs while i < N (checked); persons of
	// different counties differ in the address code. The offset keeps the
	// first persons of all counties from sharing a birthday.
	idPerm   *perm
	idNext   []uint64
	idOffset []uint64
	// Civil dates of birthFirst+i days as "YYYYMMDD".
	birthDates []string

	// ID number scratch.
	buf [18]byte
}

func newGenerator(seed int64) *generator {
	g := &generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x5eed_d3e0_c0de_2015)),
		places: places(),
	}
	keys := func() [4]uint64 {
		return [4]uint64{g.rng.Uint64(), g.rng.Uint64(), g.rng.Uint64(), g.rng.Uint64()}
	}
	g.digits = pool{prefix: "", p: newPerm(digits8, keys())}
	g.ma = pool{prefix: "MA", p: newPerm(charset6, keys())}
	g.mb = pool{prefix: "MB", p: newPerm(charset6, keys())}
	g.mj = pool{prefix: "MJ", p: newPerm(charset6, keys())}
	g.regNo = pool{prefix: "GS15", p: newPerm(digits8, keys())}

	n := uint64(birthDays) * seqCodes
	g.idPerm = newPerm(n, keys())
	g.idNext = make([]uint64, len(g.places.all))
	g.idOffset = make([]uint64, len(g.places.all))
	for i := range g.idOffset {
		g.idOffset[i] = g.rng.Uint64N(n)
	}
	g.birthDates = birthDateTable()
	return g
}

var birthDateTable = sync.OnceValue(func() []string {
	t := make([]string, birthDays)
	for i := range t {
		t[i] = birthFirst.AddDate(0, 0, i).Format("20060102")
	}
	return t
})

// ---- identifiers ----------------------------------------------------------

// uscc builds a USCC: dept+category (e.g. "91"), the region code, a fresh
// body from pl, the GB 11714 check char and the GB 32100 check char.
func (g *generator) uscc(cat string, regionCode string, pl *pool) (string, error) {
	v, err := pl.take()
	if err != nil {
		return "", err
	}
	var b [18]byte
	copy(b[0:2], cat)
	copy(b[2:8], regionCode)
	if pl.prefix == "" {
		for i := 15; i >= 8; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	} else {
		copy(b[8:10], pl.prefix)
		for i := 15; i >= 10; i-- {
			b[i] = usccChars[v%31]
			v /= 31
		}
	}
	oc, err := code.OrgCheckChar(string(b[8:16]))
	if err != nil {
		return "", fmt.Errorf("demo: org code check char: %w", err)
	}
	b[16] = oc
	cc, err := code.USCCCheckChar(string(b[:17]))
	if err != nil {
		return "", fmt.Errorf("demo: USCC check char: %w", err)
	}
	b[17] = cc
	return string(b[:]), nil
}

// gs15 builds a 15-digit 工商注册号: region code, 8 distinct digits, check.
func (g *generator) gs15(regionCode string) (string, error) {
	v, err := g.regNo.take()
	if err != nil {
		return "", err
	}
	var b [15]byte
	copy(b[0:6], regionCode)
	for i := 13; i >= 6; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	c, err := code.GS15CheckDigit(string(b[:14]))
	if err != nil {
		return "", fmt.Errorf("demo: GS15 check digit: %w", err)
	}
	b[14] = c
	return string(b[:]), nil
}

// idNumber builds an 18-character 公民身份号码 for county p and reports
// whether the sequence code is odd (male).
func (g *generator) idNumber(p *place) (string, bool, error) {
	n := g.idPerm.n
	c := g.idNext[p.index]
	if c >= n {
		return "", false, fmt.Errorf("demo: ID numbers of %s exhausted", p.code)
	}
	g.idNext[p.index]++
	q := g.idPerm.at((c + g.idOffset[p.index]) % n)
	day, seq := q/seqCodes, q%seqCodes+1
	b := g.buf[:]
	copy(b[0:6], p.code)
	copy(b[6:14], g.birthDates[day])
	b[14] = byte('0' + seq/100)
	b[15] = byte('0' + seq/10%10)
	b[16] = byte('0' + seq%10)
	ch, err := code.RICCheckChar(string(b[:17]))
	if err != nil {
		return "", false, fmt.Errorf("demo: ID check char: %w", err)
	}
	b[17] = ch
	return string(b), seq%2 == 1, nil
}

// ---- subjects -------------------------------------------------------------

type orgKind int

const (
	orgEnterprise  orgKind = iota // 91 企业
	orgCoop                       // 93 农民专业合作社
	orgInstitution                // 12 事业单位
	orgAssociation                // 51 社会团体
	orgNonprofit                  // 52 民办非企业单位
)

// orgKinds with weights out of 1000.
var orgKinds = [...]struct {
	kind   orgKind
	cat    string
	weight int
}{
	{orgEnterprise, "91", 840},
	{orgCoop, "93", 60},
	{orgInstitution, "12", 50},
	{orgAssociation, "51", 30},
	{orgNonprofit, "52", 20},
}

func (g *generator) org() (credit.Subject, error) {
	x := g.rng.IntN(1000)
	k := 0
	for x >= orgKinds[k].weight {
		x -= orgKinds[k].weight
		k++
	}
	kind := orgKinds[k].kind

	var (
		p  *place
		pl *pool
	)
	switch kind {
	case orgEnterprise:
		p = g.places.anyLevel.pick(g.rng)
		pl = g.pick2(&g.ma, &g.digits, 65)
	case orgCoop:
		p = g.places.rural.pick(g.rng)
		pl = &g.ma
	case orgInstitution:
		p = g.places.anyLevel.pick(g.rng)
		pl = g.pick2(&g.mb, &g.digits, 50)
	default:
		p = g.places.anyLevel.pick(g.rng)
		pl = g.pick2(&g.mj, &g.digits, 60)
	}
	uscc, err := g.uscc(orgKinds[k].cat, p.code, pl)
	if err != nil {
		return credit.Subject{}, err
	}
	s := credit.Subject{Class: credit.ClassOrg, USCC: uscc, Region: p.code}
	if kind == orgEnterprise {
		e := g.enterprise(p)
		s.Name = e.String()
		if g.rng.IntN(100) < 5 {
			s.FormerNames = g.formerEnterpriseNames(e)
		}
		return s, nil
	}
	s.Name = g.orgName(kind, p)
	if g.rng.IntN(100) < 5 {
		// Earlier names, newest first, each different from all later ones.
		names := []string{s.Name}
		for range 1 + g.rng.IntN(2) {
			prev := g.orgName(kind, p)
			for try := 0; try < 8 && slices.Contains(names, prev); try++ {
				prev = g.orgName(kind, p)
			}
			if slices.Contains(names, prev) {
				break
			}
			names = append(names, prev)
		}
		if len(names) > 1 {
			s.FormerNames = g.nameSpans(names[1:])
		}
	}
	return s, nil
}

func (g *generator) orgName(kind orgKind, p *place) string {
	switch kind {
	case orgCoop:
		return g.coopName(p)
	case orgInstitution:
		return g.institutionName(p)
	case orgAssociation:
		return g.associationName(p)
	default:
		return g.nonprofitName(p)
	}
}

// pick2 returns a with probability pctA %, else b.
func (g *generator) pick2(a, b *pool, pctA int) *pool {
	if g.rng.IntN(100) < pctA {
		return a
	}
	return b
}

func (g *generator) sole() (credit.Subject, error) {
	p := g.places.county.pick(g.rng)
	s := credit.Subject{Class: credit.ClassSole, Region: p.code, Name: g.soleName(p)}
	var err error
	if g.rng.IntN(3) == 0 {
		s.RegNo, err = g.gs15(p.code)
	} else {
		s.USCC, err = g.uscc("92", p.code, &g.ma)
	}
	return s, err
}

func (g *generator) gov() (credit.Subject, error) {
	p := g.places.anyLevel.pick(g.rng)
	uscc, err := g.uscc("11", p.code, g.pick2(&g.digits, &g.mb, 60))
	if err != nil {
		return credit.Subject{}, err
	}
	return credit.Subject{Class: credit.ClassGov, USCC: uscc, Name: g.govName(p), Region: p.code}, nil
}

func (g *generator) person() (credit.Subject, error) {
	p := g.places.county.pick(g.rng)
	id, male, err := g.idNumber(p)
	if err != nil {
		return credit.Subject{}, err
	}
	return credit.Subject{Class: credit.ClassPerson, IDNumber: id, Name: g.personName(male), Region: p.code}, nil
}

// ---- former names ---------------------------------------------------------

var (
	foundFirst = time.Date(1998, 1, 1, 0, 0, 0, 0, time.UTC)
	foundDays  = int(time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC).Sub(foundFirst) / (24 * time.Hour))
	renameLast = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
)

// nameSpans dates former names given newest first and returns them oldest
// first: the first runs from the founding date, each ends when the next
// starts, and the last ends on the day the current name started.
func (g *generator) nameSpans(newestFirst []string) []credit.NameSpan {
	k := len(newestFirst)
	founded := foundFirst.AddDate(0, 0, g.rng.IntN(foundDays))
	first := founded.AddDate(0, 0, 180)
	span := int(renameLast.Sub(first)/(24*time.Hour)) + 1
	// k (at most 2) distinct change days in [0, span), ascending; span is
	// at least 900 days.
	days := make([]int, k)
	for i := range days {
		days[i] = g.rng.IntN(span)
	}
	slices.Sort(days)
	if k == 2 && days[1] == days[0] {
		if days[1]+1 < span {
			days[1]++
		} else {
			days[0]--
		}
	}
	out := make([]credit.NameSpan, k)
	from := founded
	for i := range k {
		to := first.AddDate(0, 0, days[i])
		out[i] = credit.NameSpan{Name: newestFirst[k-1-i], From: from, To: to}
		from = to
	}
	return out
}

func (g *generator) formerEnterpriseNames(cur entName) []credit.NameSpan {
	// Earlier names, newest first, each different from all later ones.
	names := []string{cur.String()}
	e := cur
	for range 1 + g.rng.IntN(2) {
		prev := g.mutateEnterprise(e)
		for try := 0; try < 8 && slices.Contains(names, prev.String()); try++ {
			prev = g.mutateEnterprise(e)
		}
		if slices.Contains(names, prev.String()) {
			break
		}
		names = append(names, prev.String())
		e = prev
	}
	if len(names) == 1 {
		return nil
	}
	return g.nameSpans(names[1:])
}
