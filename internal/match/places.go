package match

import (
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/division"
)

// The places a name may start with (陕西省西安市…, 西安…, 碑林区…) or carry in
// brackets (华信（西安）电子…). Names and codes come from the national
// table (internal/division); what is recognised here is deliberately
// narrower: the provincial-level divisions, and the prefecture-level
// cities, districts, counties and county-level cities of Shaanxi, where the
// platform runs. A place missing from it is simply left in the core of a
// name, which makes matching stricter, never looser.
//
// Short forms: provinces and cities are also written without 省/市/自治区
// (陕西, 西安); counties and county-level cities without 县/市 when two or
// more characters remain (富平, 神木; but 眉县, 乾县). Districts are only
// recognised by their full name (雁塔区): their short forms are common
// words and trade names (长安, 新城, 未央, 宝塔).
var provinceShort = []struct{ code, short string }{
	{"110000", "北京"}, {"120000", "天津"}, {"130000", "河北"}, {"140000", "山西"},
	{"150000", "内蒙古"}, {"210000", "辽宁"}, {"220000", "吉林"}, {"230000", "黑龙江"},
	{"310000", "上海"}, {"320000", "江苏"}, {"330000", "浙江"}, {"340000", "安徽"},
	{"350000", "福建"}, {"360000", "江西"}, {"370000", "山东"}, {"410000", "河南"},
	{"420000", "湖北"}, {"430000", "湖南"}, {"440000", "广东"}, {"450000", "广西"},
	{"460000", "海南"}, {"500000", "重庆"}, {"510000", "四川"}, {"520000", "贵州"},
	{"530000", "云南"}, {"540000", "西藏"}, {"610000", "陕西"}, {"620000", "甘肃"},
	{"630000", "青海"}, {"640000", "宁夏"}, {"650000", "新疆"}, {"710000", "台湾"},
	{"810000", "香港"}, {"820000", "澳门"},
}

// homeProvince is the province whose cities and counties are recognised.
const homeProvince = "61"

// places maps every recognised spelling of a place to its trimmed code
// (credit.RegionPrefix: 61, 6101, 610113).
var places, maxPlaceRunes = func() (map[string]string, int) {
	m := map[string]string{}
	add := func(name, code string) {
		if name == "" {
			return
		}
		if old, ok := m[name]; ok && old != code {
			panic("match: place " + name + " has two codes")
		}
		m[name] = credit.RegionPrefix(code)
	}
	for _, p := range provinceShort {
		add(division.Under(p.code)[0].Name, p.code)
		add(p.short, p.code)
	}
	for _, d := range division.Under(homeProvince)[1:] {
		code, name := d.Code, d.Name
		add(name, code)
		suffix, _ := utf8.DecodeLastRuneInString(name)
		short := strings.TrimSuffix(name, string(suffix))
		switch {
		case strings.HasSuffix(code, "00"): // a prefecture-level city
			add(short, code)
		case suffix == '县' || suffix == '市': // a county or county-level city
			if utf8.RuneCountInString(short) >= 2 {
				add(short, code)
			}
		}
	}
	longest := 0
	for k := range m {
		longest = max(longest, utf8.RuneCountInString(k))
	}
	return m, longest
}()

// leadingPlace returns the longest place name that s starts with, and its
// code; "" when none.
func leadingPlace(s string) (name, code string) {
	var ends [16]int // byte offsets of the first rune boundaries
	n := 0
	for i := 0; i < len(s) && n < len(ends) && n < maxPlaceRunes; n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		ends[n] = i
	}
	for k := n - 1; k >= 1; k-- { // at least two runes
		c, ok := places[s[:ends[k]]]
		if !ok {
			continue
		}
		// 西安市场监督管理局 is 西安 + 市场…, not 西安市 + 场…: the suffix
		// of a place also starts a few common words.
		if short := s[:ends[k-1]]; k >= 2 && places[short] == c {
			for _, w := range suffixWords {
				if strings.HasPrefix(s[len(short):], w) {
					return short, c
				}
			}
		}
		return s[:ends[k]], c
	}
	return "", ""
}

// suffixWords are words that start with the last character of a place
// name (市, 县, 区, 省).
var suffixWords = []string{"市场", "市政", "市容", "市民", "县域", "区域", "省际"}

// placeCode returns the code of s when all of it is one place name, or a
// chain of nested ones (陕西西安).
func placeCode(s string) string {
	code := ""
	for s != "" {
		name, c := leadingPlace(s)
		if name == "" || (code != "" && !(len(c) > len(code) && strings.HasPrefix(c, code))) {
			return ""
		}
		code, s = c, s[len(name):]
	}
	return code
}

// PlaceName names a division code, or a prefix of one (61, 6101, 610113):
// province, city and county from the national table (陕西省西安市雁塔区);
// the code itself when the table does not know it, so that people never
// see less than the code.
func PlaceName(code string) string { return division.Name(code) }
