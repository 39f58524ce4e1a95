package demo

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// region is one row of the region table (regions.go).
type region struct {
	Code   string // GB/T 2260 code
	Name   string // official name (陕西省, 西安市, 雁塔区)
	Weight int    // relative share of subjects registered there
}

type level int

const (
	levelProvince level = iota
	levelCity
	levelCounty
)

// place is a region row with the derived naming data.
type place struct {
	index    int
	code     string
	name     string // 陕西省, 西安市, 雁塔区, 周至县
	level    level
	short    string // 陕西, 西安, 雁塔, 眉县 (one-character names keep their suffix)
	district bool   // a 市辖区 (name ends in 区)
	prefix   string // prefix of local bodies: 陕西省, 西安市, 西安市雁塔区, 周至县
	city     *place // prefecture of a county; the city itself; nil for the province
	weight   int
}

// sampler picks a place with probability proportional to its weight.
type sampler struct {
	items []*place
	cum   []int
	total int
}

func newSampler(items []*place, weight func(*place) int) *sampler {
	s := &sampler{items: items, cum: make([]int, len(items))}
	for i, p := range items {
		s.total += weight(p)
		s.cum[i] = s.total
	}
	return s
}

func (s *sampler) pick(r *rand.Rand) *place {
	x := r.IntN(s.total)
	lo, hi := 0, len(s.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if s.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return s.items[lo]
}

type placeSet struct {
	all      []*place
	counties []*place
	anyLevel *sampler // province, cities and counties
	county   *sampler // county-level divisions only
	rural    *sampler // county-level divisions outside central Xi'an, uniform
}

// centralXian are the urban districts of Xi'an, where farmers' cooperatives
// are not registered.
var centralXian = []string{"610102", "610103", "610104", "610112", "610113"}

// places builds the derived region data once.
var places = sync.OnceValue(func() *placeSet {
	ps := &placeSet{}
	byCode := map[string]*place{}
	for i, r := range shaanxiRegions {
		p := &place{index: i, code: r.Code, name: r.Name, weight: r.Weight}
		switch {
		case strings.HasSuffix(r.Code, "0000"):
			p.level = levelProvince
			p.short = strings.TrimSuffix(r.Name, "省")
			p.prefix = r.Name
		case strings.HasSuffix(r.Code, "00"):
			p.level = levelCity
			p.short = strings.TrimSuffix(r.Name, "市")
			p.prefix = r.Name
			p.city = p
		default:
			p.level = levelCounty
			p.short = r.Name
			if utf8.RuneCountInString(r.Name) > 2 {
				_, size := utf8.DecodeLastRuneInString(r.Name)
				p.short = r.Name[:len(r.Name)-size]
			}
			p.district = strings.HasSuffix(r.Name, "区")
			p.city = byCode[r.Code[:4]+"00"]
			if p.city == nil {
				panic("demo: region " + r.Code + " listed before its city")
			}
			p.prefix = r.Name
			if p.district {
				p.prefix = p.city.name + r.Name
			}
			ps.counties = append(ps.counties, p)
		}
		byCode[r.Code] = p
		ps.all = append(ps.all, p)
	}
	byWeight := func(p *place) int { return p.weight }
	ps.anyLevel = newSampler(ps.all, byWeight)
	ps.county = newSampler(ps.counties, byWeight)
	var rural []*place
	for _, p := range ps.counties {
		if !slices.Contains(centralXian, p.code) {
			rural = append(rural, p)
		}
	}
	ps.rural = newSampler(rural, func(*place) int { return 1 })
	return ps
})
