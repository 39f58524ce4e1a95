package match

import (
	"strings"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/credit"
)

// The places a name may start with (陕西省西安市…, 西安…, 碑林区…) or carry in
// brackets (华信（西安）电子…), with their GB/T 2260 division codes. This is
// deliberately a small embedded list, not the national table: the
// provincial-level divisions, and the prefecture-level cities, districts,
// counties and county-level cities of Shaanxi, where the platform runs
// (the same rows as internal/demo/regions.go). A place missing from it is
// simply left in the core of a name, which makes matching stricter, never
// looser.
//
// Short forms: provinces and cities are also written without 省/市/自治区
// (陕西, 西安); counties and county-level cities without 县/市 when two or
// more characters remain (富平, 神木; but 眉县, 乾县). Districts are only
// recognised by their full name (雁塔区): their short forms are common
// words and trade names (长安, 新城, 未央, 宝塔).
var placeRows = []struct{ code, name, short string }{
	{"110000", "北京市", "北京"},
	{"120000", "天津市", "天津"},
	{"130000", "河北省", "河北"},
	{"140000", "山西省", "山西"},
	{"150000", "内蒙古自治区", "内蒙古"},
	{"210000", "辽宁省", "辽宁"},
	{"220000", "吉林省", "吉林"},
	{"230000", "黑龙江省", "黑龙江"},
	{"310000", "上海市", "上海"},
	{"320000", "江苏省", "江苏"},
	{"330000", "浙江省", "浙江"},
	{"340000", "安徽省", "安徽"},
	{"350000", "福建省", "福建"},
	{"360000", "江西省", "江西"},
	{"370000", "山东省", "山东"},
	{"410000", "河南省", "河南"},
	{"420000", "湖北省", "湖北"},
	{"430000", "湖南省", "湖南"},
	{"440000", "广东省", "广东"},
	{"450000", "广西壮族自治区", "广西"},
	{"460000", "海南省", "海南"},
	{"500000", "重庆市", "重庆"},
	{"510000", "四川省", "四川"},
	{"520000", "贵州省", "贵州"},
	{"530000", "云南省", "云南"},
	{"540000", "西藏自治区", "西藏"},
	{"610000", "陕西省", "陕西"},
	{"620000", "甘肃省", "甘肃"},
	{"630000", "青海省", "青海"},
	{"640000", "宁夏回族自治区", "宁夏"},
	{"650000", "新疆维吾尔自治区", "新疆"},
	{"710000", "台湾省", "台湾"},
	{"810000", "香港特别行政区", "香港"},
	{"820000", "澳门特别行政区", "澳门"},
}

// shaanxi lists the divisions of Shaanxi below the province (code, name).
var shaanxi = [][2]string{
	{"610100", "西安市"}, {"610102", "新城区"}, {"610103", "碑林区"}, {"610104", "莲湖区"},
	{"610111", "灞桥区"}, {"610112", "未央区"}, {"610113", "雁塔区"}, {"610114", "阎良区"},
	{"610115", "临潼区"}, {"610116", "长安区"}, {"610117", "高陵区"}, {"610118", "鄠邑区"},
	{"610122", "蓝田县"}, {"610124", "周至县"},
	{"610200", "铜川市"}, {"610202", "王益区"}, {"610203", "印台区"}, {"610204", "耀州区"},
	{"610222", "宜君县"},
	{"610300", "宝鸡市"}, {"610302", "渭滨区"}, {"610303", "金台区"}, {"610304", "陈仓区"},
	{"610323", "岐山县"}, {"610324", "扶风县"}, {"610326", "眉县"}, {"610327", "陇县"},
	{"610328", "千阳县"}, {"610329", "麟游县"}, {"610330", "凤县"}, {"610331", "太白县"},
	{"610400", "咸阳市"}, {"610402", "秦都区"}, {"610403", "杨陵区"}, {"610404", "渭城区"},
	{"610422", "三原县"}, {"610423", "泾阳县"}, {"610424", "乾县"}, {"610425", "礼泉县"},
	{"610426", "永寿县"}, {"610428", "长武县"}, {"610429", "旬邑县"}, {"610430", "淳化县"},
	{"610431", "武功县"}, {"610481", "兴平市"}, {"610482", "彬州市"},
	{"610500", "渭南市"}, {"610502", "临渭区"}, {"610503", "华州区"}, {"610522", "潼关县"},
	{"610523", "大荔县"}, {"610524", "合阳县"}, {"610525", "澄城县"}, {"610526", "蒲城县"},
	{"610527", "白水县"}, {"610528", "富平县"}, {"610581", "韩城市"}, {"610582", "华阴市"},
	{"610600", "延安市"}, {"610602", "宝塔区"}, {"610603", "安塞区"}, {"610621", "延长县"},
	{"610622", "延川县"}, {"610625", "志丹县"}, {"610626", "吴起县"}, {"610627", "甘泉县"},
	{"610628", "富县"}, {"610629", "洛川县"}, {"610630", "宜川县"}, {"610631", "黄龙县"},
	{"610632", "黄陵县"}, {"610681", "子长市"},
	{"610700", "汉中市"}, {"610702", "汉台区"}, {"610703", "南郑区"}, {"610722", "城固县"},
	{"610723", "洋县"}, {"610724", "西乡县"}, {"610725", "勉县"}, {"610726", "宁强县"},
	{"610727", "略阳县"}, {"610728", "镇巴县"}, {"610729", "留坝县"}, {"610730", "佛坪县"},
	{"610800", "榆林市"}, {"610802", "榆阳区"}, {"610803", "横山区"}, {"610822", "府谷县"},
	{"610824", "靖边县"}, {"610825", "定边县"}, {"610826", "绥德县"}, {"610827", "米脂县"},
	{"610828", "佳县"}, {"610829", "吴堡县"}, {"610830", "清涧县"}, {"610831", "子洲县"},
	{"610881", "神木市"},
	{"610900", "安康市"}, {"610902", "汉滨区"}, {"610921", "汉阴县"}, {"610922", "石泉县"},
	{"610923", "宁陕县"}, {"610924", "紫阳县"}, {"610925", "岚皋县"}, {"610926", "平利县"},
	{"610927", "镇坪县"}, {"610929", "白河县"},
	{"611000", "商洛市"}, {"611002", "商州区"}, {"611021", "洛南县"}, {"611022", "丹凤县"},
	{"611023", "商南县"}, {"611024", "山阳县"}, {"611025", "镇安县"}, {"611026", "柞水县"},
}

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
	for _, p := range placeRows {
		add(p.name, p.code)
		add(p.short, p.code)
	}
	for _, p := range shaanxi {
		code, name := p[0], p[1]
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

// placeNames maps the division codes of the table to their names.
var placeNames = func() map[string]string {
	m := make(map[string]string, len(placeRows)+len(shaanxi))
	for _, p := range placeRows {
		m[p.code] = p.name
	}
	for _, p := range shaanxi {
		m[p[0]] = p[1]
	}
	return m
}()

// PlaceName names a division code, or a prefix of one (61, 6101, 610113):
// the province, city and county as the table knows them (陕西省西安市雁塔区);
// the code itself when the table does not know it, so that people never
// see less than the code.
func PlaceName(code string) string {
	if len(code) < 2 || len(code) > 6 || len(code)%2 != 0 {
		return code
	}
	full := code + "000000"[len(code):]
	var name string
	for _, c := range []string{full[:2] + "0000", full[:4] + "00", full} {
		if n, ok := placeNames[c]; ok && !strings.HasSuffix(name, n) {
			name += n
		}
	}
	if _, known := placeNames[full]; !known || name == "" {
		return code
	}
	return name
}
