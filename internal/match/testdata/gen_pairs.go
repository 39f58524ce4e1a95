//go:build ignore

// gen_pairs writes pairs.tsv, the labelled set of name pairs the match
// tests measure precision and recall on. Run from this directory:
//
//	go run gen_pairs.go > pairs.tsv
//
// The output is committed; the program is kept so that the set can be
// regenerated or extended, and so that its construction can be read. The
// names are synthetic but built like real Shaanxi registrations (place +
// trade name + line of business + organisational form, 个体工商户 as
// district + owner + shop), with a fixed seed.
//
// The label says whether the matcher should offer the candidate as the
// subject the query names, without a code. It is set by the construction
// of each pair, never by running the matcher. The policy (see the package
// comment of match) in brief: the same subject under another spelling
// (traditional, full width, punctuation), with a form or place left out or
// written differently, or by a former name, is a match; a branch and its
// head office, a group and its namesake, two places, two regions, two
// owners, and a name one character away are not.
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/search"
)

type pair struct {
	q, qr     string
	c         string
	former    []string
	cr        string
	match     bool
	category  string
	rationale string
}

type county struct{ code, name string }

type city struct {
	short, full, code string
	counties          []county
}

var cities = []city{
	{"西安", "西安市", "610100", []county{{"610102", "新城区"}, {"610103", "碑林区"}, {"610104", "莲湖区"}, {"610111", "灞桥区"}, {"610112", "未央区"}, {"610113", "雁塔区"}, {"610116", "长安区"}, {"610124", "周至县"}}},
	{"宝鸡", "宝鸡市", "610300", []county{{"610302", "渭滨区"}, {"610303", "金台区"}, {"610323", "岐山县"}}},
	{"咸阳", "咸阳市", "610400", []county{{"610402", "秦都区"}, {"610404", "渭城区"}, {"610424", "乾县"}}},
	{"渭南", "渭南市", "610500", []county{{"610502", "临渭区"}, {"610528", "富平县"}}},
	{"延安", "延安市", "610600", []county{{"610602", "宝塔区"}, {"610629", "洛川县"}}},
	{"汉中", "汉中市", "610700", []county{{"610702", "汉台区"}, {"610722", "城固县"}}},
	{"榆林", "榆林市", "610800", []county{{"610802", "榆阳区"}, {"610881", "神木市"}}},
	{"安康", "安康市", "610900", []county{{"610902", "汉滨区"}}},
	{"商洛", "商洛市", "611000", []county{{"611002", "商州区"}}},
	{"铜川", "铜川市", "610200", []county{{"610202", "王益区"}}},
}

// Trade-name characters. Pairs that are place names (安康, 长安) are
// skipped when drawing a trade name.
var (
	brandFirst  = []rune("华秦长兴盛鑫博恒宏德润金瑞嘉荣天宇中正明光诚汇通泰新科创众联和丰永昌百隆祥达康卓睿智鼎峰海源远航汉唐圣星晨益凯东福亿美佳优君聚广锦京驰腾飞云龙")
	brandSecond = []rune("信川源达泰远通盛兴华科瑞祥丰成创宇腾峰辉程业邦恒诚茂德隆鑫顺和润星辰锐航驰博威卓晟昊越杰鸿海耀仁宁美新天佳益合力正志骏嘉汇坤泽林山元")
	placeWords  = []string{"安康", "长安", "华阴", "兴平", "延长", "宝塔", "新城", "未央", "汉中", "商南", "丰宁"}
)

var industries = []string{
	"电子科技", "信息技术", "网络科技", "软件开发", "机械制造", "建设工程", "建筑工程", "商贸", "贸易",
	"物流", "餐饮管理", "房地产开发", "物业管理", "文化传媒", "广告", "农业科技", "生物科技", "医药",
	"医疗器械", "化工", "新材料", "新能源", "环保科技", "装饰工程", "园林绿化工程", "汽车销售服务",
	"汽车维修", "教育科技", "企业管理咨询", "人力资源", "劳务", "电力工程", "石油技术服务", "能源化工",
	"煤业", "矿业", "食品", "酒业", "茶业", "果业", "旅游开发", "酒店管理", "印务", "包装", "电气",
	"仪器仪表", "航空科技", "光电", "半导体", "智能科技", "大数据", "实业", "置业", "工贸", "电子商务",
	"供应链管理", "家政服务", "保安服务", "检测技术", "工程咨询", "建筑设计", "测绘", "机电设备", "建材",
	"钢结构工程", "水泥制品", "纺织", "服饰", "家具", "五金机电", "电线电缆", "汽车零部件", "重工",
	"农产品", "粮油", "畜牧", "中药材", "通信技术", "数字科技", "环境工程", "市政工程", "路桥工程",
	"节能科技", "科技发展", "文化旅游", "健康管理", "征信服务", "信用管理",
}

var forms = []struct {
	s string
	w int
}{{"有限公司", 70}, {"有限责任公司", 18}, {"股份有限公司", 8}, {"集团有限公司", 4}}

// Shops of 个体工商户 and their owners.
var (
	shops  = []string{"面馆", "五金店", "便利店", "超市", "小吃店", "水果店", "理发店", "烟酒店", "凉皮店", "肉夹馍店", "羊肉泡馍馆", "饺子馆", "建材经营部", "农资经营部", "粮油店", "干洗店", "手机维修部", "服装店", "茶叶店", "汽车修理部", "蛋糕店", "花店"}
	owners = []string{"老王", "老李", "老张", "老刘", "老陈", "王记", "李记", "张记", "刘记", "小杨", "小赵", "小马", "老马", "老孙", "小周"}
)

// Government departments and institutions: level prefix + name.
var (
	cityDepts    = []string{"市场监督管理局", "生态环境局", "人力资源和社会保障局", "住房和城乡建设局", "交通运输局", "农业农村局", "应急管理局", "财政局", "教育局", "卫生健康委员会"}
	provDepts    = []string{"市场监督管理局", "生态环境厅", "人力资源和社会保障厅", "住房和城乡建设厅", "交通运输厅", "农业农村厅", "应急管理厅", "财政厅", "教育厅", "卫生健康委员会"}
	institutions = []string{"人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心", "图书馆", "第一中学", "第三中学", "实验小学", "职业技术学院", "公共资源交易中心"}
)

// trad maps simplified characters to the traditional ones a Hong Kong or
// Taiwan writer uses, including variants (遊, 諮, 復, 徵, 夥) that
// search.Fold does not fold.
var trad = func() map[rune]rune {
	pairs := "华華电電术術业業贸貿设設计計网網络絡发發门門馆館面麵陕陝宝寶鸡雞阳陽汉漢长長兴興润潤荣榮诚誠汇匯创創众眾联聯丰豐万萬达達远遠圣聖凯凱东東亿億优優广廣国國锦錦驰馳腾騰飞飛云雲龙龍辉輝顺順锐銳杰傑鸿鴻宁寧骏駿泽澤责責团團厂廠经經营營区區县縣务務软軟机機制製筑築饮飲产產开開传傳农農医醫药藥疗療环環装裝饰飾园園绿綠车車销銷维維协協会會场場监監体體学學职職训訓师師铁鐵矿礦资資讯訊线線缆纜乐樂书書卫衛养養专專种種财財顾顧问問货貨运運输輸钢鋼构構劳勞气氣仪儀表錶数數据據游遊楼樓粮糧证證检檢测測验驗综綜压壓咨諮询詢复復征徵伙夥盘盤节節能能实實置置纺紡织織服服饰飾电電线線钟鐘灵靈记記饺餃馍饃烟菸酒酒干乾洗洗图圖书書厅廳局局财財卫衛兰蘭条條价價头頭买買卖賣师師乡鄉镇鎮护護样樣岁歲号號码碼厨廚窑窯桥橋荟薈态態际際闻聞报報处處导導质質标標准準"
	m := map[rune]rune{}
	rs := []rune(pairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			m[rs[i]] = rs[i+1]
		}
	}
	return m
}()

// homophones are plausible one-character slips (the same pinyin, or a
// similar shape), each of which also makes a plausible other name.
var homophones = map[rune][]rune{
	'华': {'化', '花'}, '信': {'新', '欣'}, '秦': {'勤', '琴'}, '长': {'昌', '常'}, '兴': {'星', '鑫'},
	'盛': {'胜', '晟'}, '鑫': {'新', '欣'}, '博': {'波', '柏'}, '恒': {'衡', '亨'}, '宏': {'鸿', '弘'},
	'德': {'得', '达'}, '润': {'闰', '瑞'}, '金': {'锦', '今'}, '瑞': {'锐', '睿'}, '嘉': {'佳', '家'},
	'荣': {'容', '融'}, '天': {'田', '添'}, '宇': {'雨', '禹'}, '中': {'众', '忠'}, '正': {'政', '征'},
	'明': {'鸣', '铭'}, '光': {'广', '洸'}, '诚': {'成', '程'}, '汇': {'惠', '慧'}, '通': {'同', '彤'},
	'泰': {'太', '态'}, '新': {'鑫', '欣'}, '科': {'可', '柯'}, '创': {'闯', '窗'}, '众': {'中', '仲'},
	'联': {'连', '莲'}, '和': {'合', '禾'}, '丰': {'峰', '锋'}, '永': {'勇', '咏'}, '昌': {'长', '畅'},
	'百': {'佰', '柏'}, '隆': {'龙', '珑'}, '祥': {'翔', '详'}, '达': {'大', '德'}, '康': {'慷', '抗'},
	'卓': {'桌', '灼'}, '睿': {'瑞', '锐'}, '智': {'志', '至'}, '鼎': {'顶', '定'}, '峰': {'丰', '锋'},
	'海': {'凯', '亥'}, '源': {'元', '圆'}, '远': {'源', '元'}, '航': {'杭', '行'}, '汉': {'翰', '韩'},
	'唐': {'堂', '棠'}, '圣': {'胜', '盛'}, '星': {'兴', '醒'}, '晨': {'辰', '宸'}, '益': {'亿', '艺'},
	'凯': {'恺', '楷'}, '东': {'冬', '栋'}, '福': {'富', '甫'}, '亿': {'益', '艺'}, '美': {'梅', '镁'},
	'佳': {'嘉', '家'}, '优': {'友', '悠'}, '君': {'军', '俊'}, '聚': {'巨', '炬'}, '广': {'光', '港'},
	'锦': {'金', '劲'}, '京': {'晶', '精'}, '驰': {'池', '弛'}, '腾': {'藤', '誊'}, '飞': {'菲', '非'},
	'云': {'运', '芸'}, '龙': {'隆', '珑'}, '川': {'传', '穿'}, '辉': {'晖', '徽'}, '程': {'诚', '成'},
	'业': {'烨', '叶'}, '邦': {'帮', '榜'}, '茂': {'贸', '懋'}, '顺': {'舜', '瞬'}, '辰': {'晨', '臣'},
	'锐': {'瑞', '睿'}, '威': {'伟', '维'}, '晟': {'盛', '胜'}, '昊': {'浩', '皓'}, '越': {'悦', '跃'},
	'杰': {'捷', '洁'}, '鸿': {'宏', '弘'}, '耀': {'曜', '跃'}, '仁': {'任', '人'}, '宁': {'凝', '柠'},
	'合': {'和', '禾'}, '力': {'立', '利'}, '志': {'智', '至'}, '骏': {'俊', '峻'}, '坤': {'昆', '琨'},
	'泽': {'择', '则'}, '林': {'霖', '琳'}, '山': {'善', '珊'}, '元': {'源', '圆'},
	// line-of-business slips
	'技': {'枝', '伎'}, '术': {'木', '述'}, '贸': {'茂', '帽'}, '物': {'务', '勿'}, '流': {'留', '浏'},
	'工': {'公', '功'}, '建': {'健', '键'}, '设': {'社', '摄'}, '管': {'馆', '官'},
	'理': {'里', '礼'}, '网': {'往', '罔'}, '络': {'洛', '落'}, '电': {'点', '店'}, '子': {'仔', '紫'},
	'息': {'熄', '惜'}, '能': {'龙', '农'}, '药': {'要', '耀'}, '械': {'戒', '诫'},
}

type gen struct {
	rng   *rand.Rand
	out   []pair
	cores map[string]bool // trade name + line of business already used
}

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *gen) brand() string {
	for {
		b := string([]rune{brandFirst[g.rng.IntN(len(brandFirst))], brandSecond[g.rng.IntN(len(brandSecond))]})
		r := []rune(b)
		if r[0] != r[1] && !slices.Contains(placeWords, b) {
			return b
		}
	}
}

func (g *gen) form() string {
	x := g.rng.IntN(100)
	for _, f := range forms {
		if x < f.w {
			return f.s
		}
		x -= f.w
	}
	return forms[0].s
}

// firm is an enterprise name in parts.
type firm struct {
	prefix, brand, industry, form string
	city                          city
	county                        county
}

func (f firm) name() string { return f.prefix + f.brand + f.industry + f.form }

// newFirm draws a firm whose trade name and line of business are unused.
func (g *gen) newFirm() firm {
	for {
		c := cities[g.rng.IntN(len(cities))]
		f := firm{brand: g.brand(), industry: g.pick(industries), form: g.form(), city: c, county: c.counties[g.rng.IntN(len(c.counties))]}
		switch x := g.rng.IntN(100); {
		case x < 70:
			f.prefix = c.short
		case x < 80:
			f.prefix = c.full
		default:
			f.prefix = "陕西"
		}
		if f.form == "集团有限公司" {
			f.form = "有限公司" // groups get their own category
		}
		if !g.cores[f.brand+f.industry] {
			g.cores[f.brand+f.industry] = true
			return f
		}
	}
}

// otherBrand returns an unused trade name for f's line of business.
func (g *gen) otherBrand(f firm) string {
	for {
		b := g.brand()
		if b != f.brand && !g.cores[b+f.industry] {
			g.cores[b+f.industry] = true
			return b
		}
	}
}

func (g *gen) otherIndustry(f firm) string {
	for {
		i := g.pick(industries)
		if i != f.industry && !strings.Contains(i, f.industry) && !strings.Contains(f.industry, i) && !g.cores[f.brand+i] {
			g.cores[f.brand+i] = true
			return i
		}
	}
}

func (g *gen) otherCity(c city) city {
	for {
		o := cities[g.rng.IntN(len(cities))]
		if o.code != c.code {
			return o
		}
	}
}

// queryRegion is what a department may give with a name of f: nothing,
// the county, the city or the province.
func (g *gen) queryRegion(f firm) string {
	switch g.rng.IntN(4) {
	case 0:
		return f.county.code
	case 1:
		return f.city.code[:4]
	case 2:
		return "61"
	}
	return ""
}

func (g *gen) add(p pair) { g.out = append(g.out, p) }

func (g *gen) match(cat, q, qr, c, cr string, former ...string) {
	g.add(pair{q: q, qr: qr, c: c, cr: cr, former: former, match: true, category: cat})
}

func (g *gen) nonmatch(cat, q, qr, c, cr string, former ...string) {
	g.add(pair{q: q, qr: qr, c: c, cr: cr, former: former, match: false, category: cat})
}

func toTrad(s string) string {
	r := []rune(s)
	for i, c := range r {
		if t, ok := trad[c]; ok {
			r[i] = t
		}
	}
	return string(r)
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '!' && r <= '~':
			b.WriteRune(r - '!' + '！')
		case r == ' ':
			b.WriteRune('\u3000')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// slip changes one character of s at one of the positions [from, to).
func (g *gen) slip(s string, from, to int) (string, bool) {
	r := []rune(s)
	for try := 0; try < 20; try++ {
		i := from + g.rng.IntN(to-from)
		if hs, ok := homophones[r[i]]; ok {
			out := slices.Clone(r)
			out[i] = hs[g.rng.IntN(len(hs))]
			if search.Fold(string(out)) != search.Fold(s) {
				return string(out), true
			}
		}
	}
	return "", false
}

func main() {
	g := &gen{rng: rand.New(rand.NewPCG(2026, 1122)), cores: map[string]bool{}}
	g.firms()
	g.soleTraders()
	g.public()
	g.handwritten()

	w := os.Stdout
	fmt.Fprintln(w, "# Labelled name pairs for internal/match; generated by gen_pairs.go (go run gen_pairs.go > pairs.tsv), DO NOT EDIT.")
	fmt.Fprintln(w, "# Columns: query name, query region (division code prefix or empty), candidate name, candidate former names (| between),")
	fmt.Fprintln(w, "# candidate region, label (match: offer the candidate for the query without a code; nonmatch: do not), category.")
	fmt.Fprintln(w, "query\tquery_region\tcandidate\tformer_names\tcandidate_region\tlabel\tcategory")
	seen := map[string]bool{}
	for _, p := range g.out {
		label := "nonmatch"
		if p.match {
			label = "match"
		}
		line := strings.Join([]string{p.q, p.qr, p.c, strings.Join(p.former, "|"), p.cr, label, p.category}, "\t")
		key := strings.Join([]string{p.q, p.qr, p.c, strings.Join(p.former, "|"), p.cr}, "\t")
		if seen[key] {
			continue
		}
		seen[key] = true
		fmt.Fprintln(w, line)
	}
}

func (g *gen) firms() {
	n := func(k int, fn func(f firm)) {
		for range k {
			fn(g.newFirm())
		}
	}
	// ---- matches ----
	n(20, func(f firm) { g.match("exact", f.name(), g.queryRegion(f), f.name(), f.county.code) })
	n(6, func(f firm) {
		// The same registered name given with another region: an identical
		// full name outweighs the code (the department's own, or stale).
		g.match("exact_other_region", f.name(), g.otherCity(f.city).code[:4], f.name(), f.county.code)
	})
	n(24, func(f firm) {
		q := toTrad(f.name())
		if q == f.name() {
			q = toTrad(f.name()) + "（" + toTrad(f.city.short) + "）"
		}
		g.match("traditional", q, g.queryRegion(f), f.name(), f.county.code)
	})
	n(10, func(f firm) {
		// Traditional and punctuated: 華信電子科技 (西安) 有限公司.
		q := toTrad(f.brand+f.industry) + " (" + toTrad(f.prefix) + ") " + toTrad(f.form)
		g.match("traditional", q, "", f.prefix+f.brand+f.industry+f.form, f.county.code)
	})
	n(12, func(f firm) {
		q := strings.Replace(f.name(), f.brand, f.brand+"　", 1)
		if g.rng.IntN(2) == 0 {
			q = toFullWidth(f.prefix+" "+f.brand) + f.industry + f.form
		}
		g.match("full_width", q, g.queryRegion(f), f.name(), f.county.code)
	})
	for _, lat := range []string{"ABC", "3D", "E通", "5G", "IT", "K12", "U家", "360"} {
		// Latin letters and digits, typed full width (and in lower case).
		f := g.newFirm()
		name := f.prefix + lat + f.industry + f.form
		g.match("full_width", toFullWidth(strings.ToLower(f.prefix+lat))+f.industry+f.form, g.queryRegion(f), name, f.county.code)
	}
	n(25, func(f firm) {
		g.match("no_form", f.prefix+f.brand+f.industry, g.queryRegion(f), f.name(), f.county.code)
	})
	n(25, func(f firm) {
		g.match("no_place", f.brand+f.industry+f.form, g.queryRegion(f), f.name(), f.county.code)
	})
	n(10, func(f firm) {
		g.match("no_place_no_form", f.brand+f.industry, g.queryRegion(f), f.name(), f.county.code)
	})
	n(15, func(f firm) {
		var q string
		switch f.prefix {
		case f.city.short:
			q = []string{f.city.full, "陕西省" + f.city.full, "陕西" + f.city.short}[g.rng.IntN(3)]
		case f.city.full:
			q = f.city.short
		default:
			q = "陕西省"
		}
		g.match("place_spelling", q+f.brand+f.industry+f.form, g.queryRegion(f), f.name(), f.county.code)
	})
	n(10, func(f firm) {
		if f.prefix == "陕西" {
			f.prefix = f.city.short
		}
		bracketed := f.brand + "（" + f.prefix + "）" + f.industry + f.form
		if g.rng.IntN(2) == 0 {
			g.match("bracketed_place", bracketed, g.queryRegion(f), f.name(), f.county.code)
		} else {
			g.match("bracketed_place", f.name(), g.queryRegion(f), bracketed, f.county.code)
		}
	})
	n(10, func(f firm) {
		q := f.prefix + f.brand + f.industry + map[string]string{"有限公司": "有限责任公司", "有限责任公司": "有限公司", "股份有限公司": "股份公司"}[f.form]
		g.match("form_spelling", q, g.queryRegion(f), f.name(), f.county.code)
	})
	n(6, func(f firm) {
		// A limited company converted into a joint-stock one (改制) keeps
		// its code; the registry has the new name only.
		f.form = "有限公司"
		g.match("form_converted", f.name(), g.queryRegion(f), f.prefix+f.brand+f.industry+"股份有限公司", f.county.code)
	})
	// Former names: the current name is another trade name, line, form or
	// place; the query is the old name, in some spelling.
	n(36, func(f firm) {
		cur := f
		switch g.rng.IntN(4) {
		case 0:
			cur.brand = g.otherBrand(f)
		case 1:
			cur.industry = g.otherIndustry(f)
		case 2:
			cur.form = map[string]string{"有限公司": "股份有限公司", "有限责任公司": "集团有限公司", "股份有限公司": "集团股份有限公司"}[f.form]
		default:
			cur.prefix = "陕西"
			if f.prefix == "陕西" {
				cur.brand = g.otherBrand(f)
			}
		}
		old := f.name()
		q := old
		switch g.rng.IntN(6) {
		case 0:
			q = toTrad(old)
		case 1:
			q = f.prefix + f.brand + f.industry
		case 2:
			q = f.brand + f.industry + f.form
		}
		formers := []string{old}
		if g.rng.IntN(3) == 0 {
			older := f
			older.brand = g.otherBrand(f)
			formers = append([]string{older.name()}, formers...)
		}
		g.match("former_name", q, g.queryRegion(f), cur.name(), f.county.code, formers...)
	})
	// Partnerships.
	partnerLines := []string{"投资管理", "企业管理咨询", "股权投资", "创业投资", "商务信息咨询"}
	n(10, func(f firm) {
		f.industry = partnerLines[g.rng.IntN(len(partnerLines))]
		if g.cores[f.brand+f.industry] {
			return
		}
		g.cores[f.brand+f.industry] = true
		full := f.prefix + f.brand + f.industry + "合伙企业（有限合伙）"
		qs := []string{
			f.prefix + f.brand + f.industry + "合伙企业",
			f.brand + f.industry + "合伙企业（有限合伙）",
			toTrad(f.prefix+f.brand+f.industry) + "合夥企業(有限合夥)",
			f.prefix + f.brand + f.industry + "（有限合伙）",
		}
		g.match("partnership", qs[g.rng.IntN(len(qs))], g.queryRegion(f), full, f.county.code)
	})
	// Traditional variants Fold alone leaves (遊, 諮, 徵, 復).
	for _, ind := range []string{"旅游开发", "企业管理咨询", "征信服务", "文化旅游", "工程咨询", "信用管理"} {
		f := g.newFirm()
		f.industry = ind
		g.match("traditional_variant", toTrad(f.name()), g.queryRegion(f), f.name(), f.county.code)
	}
	for range 3 {
		f := g.newFirm()
		f.brand = "复兴"
		if g.cores[f.brand+f.industry] {
			continue
		}
		g.cores[f.brand+f.industry] = true
		g.match("traditional_variant", toTrad(f.name()), "", f.name(), f.county.code)
	}

	// ---- non-matches ----
	n(25, func(f firm) {
		o := f
		o.brand = g.otherBrand(f)
		g.nonmatch("other_trade_name", f.name(), g.queryRegion(f), o.name(), f.county.code)
	})
	n(15, func(f firm) {
		o := f
		o.industry = g.otherIndustry(f)
		g.nonmatch("other_line", f.name(), g.queryRegion(f), o.name(), f.county.code)
	})
	n(12, func(f firm) {
		// Another firm sharing a word and the place: 西安华信电子科技 /
		// 西安华为技术.
		o := f
		o.brand = string([]rune(f.brand)[0]) + string(brandSecond[g.rng.IntN(len(brandSecond))])
		for o.brand == f.brand || g.cores[o.brand+o.industry] {
			o.brand = string([]rune(f.brand)[0]) + string(brandSecond[g.rng.IntN(len(brandSecond))])
		}
		o.industry = g.otherIndustry(f)
		g.nonmatch("shared_word", f.name(), g.queryRegion(f), o.name(), f.county.code)
	})
	branchOf := func(f firm) string {
		return []string{strings.TrimSuffix(f.county.name, "区"), "第一", "第二", "城东", "高新", f.city.short}[g.rng.IntN(6)] + []string{"分公司", "分公司", "分公司", "营业部", "分店"}[g.rng.IntN(5)]
	}
	n(9, func(f firm) { g.nonmatch("branch", f.name(), g.queryRegion(f), f.name()+branchOf(f), f.county.code) })
	n(9, func(f firm) { g.nonmatch("branch", f.name()+branchOf(f), g.queryRegion(f), f.name(), f.county.code) })
	n(8, func(f firm) {
		a := branchOf(f)
		b := branchOf(f)
		for b == a {
			b = branchOf(f)
		}
		g.nonmatch("branch", f.name()+a, g.queryRegion(f), f.name()+b, f.county.code)
	})
	n(15, func(f firm) {
		if f.prefix == "陕西" {
			f.prefix = f.city.short
		}
		o := f
		o.city = g.otherCity(f.city)
		o.county = o.city.counties[0]
		o.prefix = o.city.short
		g.nonmatch("other_place", f.name(), "", o.name(), o.county.code)
	})
	n(15, func(f firm) {
		// No place in the query, but a region that is not the candidate's.
		o := g.otherCity(f.city)
		g.nonmatch("other_region", f.brand+f.industry+f.form, o.code[:4], f.name(), f.county.code)
	})
	n(8, func(f firm) {
		q := "陕西" + f.brand + f.industry + f.form
		f.prefix = f.city.short
		g.nonmatch("province_vs_city", q, "", f.name(), f.county.code)
	})
	n(20, func(f firm) {
		q, ok := g.slip(f.name(), len([]rune(f.prefix)), len([]rune(f.prefix))+2)
		if ok {
			g.nonmatch("slip_trade_name", q, g.queryRegion(f), f.name(), f.county.code)
		}
	})
	n(12, func(f firm) {
		p := len([]rune(f.prefix + f.brand))
		q, ok := g.slip(f.name(), p, p+len([]rune(f.industry)))
		if ok {
			g.nonmatch("slip_line", q, g.queryRegion(f), f.name(), f.county.code)
		}
	})
	n(8, func(f firm) {
		// A character left out, or doubled.
		r := []rune(f.name())
		i := len([]rune(f.prefix)) + g.rng.IntN(len([]rune(f.brand+f.industry)))
		var q string
		if g.rng.IntN(2) == 0 {
			q = string(r[:i]) + string(r[i+1:])
		} else {
			q = string(r[:i+1]) + string(r[i:])
		}
		g.nonmatch("slip_length", q, g.queryRegion(f), f.name(), f.county.code)
	})
	n(10, func(f firm) {
		grp := f.prefix + f.brand + f.industry + "集团有限公司"
		if g.rng.IntN(2) == 0 {
			g.nonmatch("group", grp, g.queryRegion(f), f.name(), f.county.code)
		} else {
			g.nonmatch("group", f.name(), g.queryRegion(f), grp, f.county.code)
		}
	})
	n(4, func(f firm) {
		f.industry = []string{"水泥制品", "食品", "服饰", "印务"}[g.rng.IntN(4)]
		if g.cores[f.brand+f.industry] {
			return
		}
		g.cores[f.brand+f.industry] = true
		g.nonmatch("other_form", f.prefix+f.brand+f.industry+"厂", g.queryRegion(f), f.name(), f.county.code)
	})
	n(4, func(f firm) {
		f.industry = partnerLines[g.rng.IntN(len(partnerLines))]
		if g.cores[f.brand+f.industry] {
			return
		}
		g.cores[f.brand+f.industry] = true
		g.nonmatch("other_form", f.prefix+f.brand+f.industry+"合伙企业（普通合伙）", g.queryRegion(f), f.prefix+f.brand+f.industry+"合伙企业（有限合伙）", f.county.code)
	})
	n(10, func(f firm) {
		// Too little to tell: the trade name alone, or with the first word
		// of the line.
		ind := []rune(f.industry)
		q := []string{f.brand + "公司", f.brand + string(ind[:2]), f.prefix + f.brand + string(ind[:2]) + "有限公司"}[g.rng.IntN(3)]
		if string(ind[:2]) == f.industry {
			q = f.brand + "公司"
		}
		g.nonmatch("abbreviation", q, g.queryRegion(f), f.name(), f.county.code)
	})
	n(6, func(f firm) {
		// The query is another subject's current name that the candidate
		// no longer bears... but the candidate never bore it: a name
		// resembling only the candidate's former name.
		cur := f
		cur.brand = g.otherBrand(f)
		o := f
		o.brand = g.otherBrand(f)
		g.nonmatch("other_than_former", o.name(), g.queryRegion(f), cur.name(), f.county.code, f.name())
	})
}

func (g *gen) soleTraders() {
	type shop struct {
		c      city
		k      county
		owner  string
		kind   string
		prefix string
	}
	used := map[string]bool{}
	draw := func() shop {
		for {
			c := cities[g.rng.IntN(len(cities))]
			s := shop{c: c, k: c.counties[g.rng.IntN(len(c.counties))], owner: g.pick(owners), kind: g.pick(shops)}
			if g.rng.IntN(3) == 0 {
				s.owner = g.brand()
			}
			s.prefix = s.k.name
			if used[s.k.code+s.owner+s.kind] {
				continue
			}
			used[s.k.code+s.owner+s.kind] = true
			return s
		}
	}
	name := func(s shop) string { return s.prefix + s.owner + s.kind }
	for range 8 {
		s := draw()
		g.match("sole_exact", name(s), []string{"", s.k.code}[g.rng.IntN(2)], name(s), s.k.code)
	}
	for range 8 {
		s := draw()
		g.match("sole_city_prefix", s.c.full+name(s), "", name(s), s.k.code)
	}
	for range 8 {
		s := draw()
		g.match("sole_no_place", s.owner+s.kind, s.k.code, name(s), s.k.code)
	}
	for range 4 {
		s := draw()
		g.match("sole_no_place", s.owner+s.kind, "", name(s), s.k.code)
	}
	for range 6 {
		s := draw()
		g.match("sole_traditional", toTrad(name(s)), "", name(s), s.k.code)
	}
	for range 4 {
		s := draw()
		g.match("sole_annotation", name(s)+"（个体工商户）", "", name(s), s.k.code)
	}
	for range 10 {
		// The same shop name in another district: another shop.
		s := draw()
		o := s
		for o.k.code == s.k.code {
			o.c = cities[g.rng.IntN(len(cities))]
			o.k = o.c.counties[g.rng.IntN(len(o.c.counties))]
		}
		o.prefix = o.k.name
		g.nonmatch("sole_other_district", name(s), "", name(o), o.k.code)
	}
	for range 6 {
		s := draw()
		o := s
		o.prefix = o.k.name
		g.nonmatch("sole_other_district", s.owner+s.kind, g.otherCity(s.c).code[:4], name(o), o.k.code)
	}
	for range 10 {
		s := draw()
		o := s
		for o.owner == s.owner {
			o.owner = g.pick(owners)
		}
		g.nonmatch("sole_other_owner", name(s), "", name(o), s.k.code)
	}
	for range 5 {
		s := draw()
		o := s
		for o.kind == s.kind {
			o.kind = g.pick(shops)
		}
		g.nonmatch("sole_other_shop", name(s), "", name(o), s.k.code)
	}
}

func (g *gen) public() {
	for i := range 8 {
		c := cities[g.rng.IntN(len(cities))]
		d := cityDepts[i%len(cityDepts)]
		q := []string{c.full + d, toTrad(c.full + d), c.short + d}[i%3]
		g.match("public_body", q, "", c.full+d, c.code)
	}
	for i := range 6 {
		c := cities[g.rng.IntN(len(cities))]
		in := institutions[i%len(institutions)]
		q := []string{c.short + in, toTrad(c.full + in), "陕西省" + c.full + in}[i%3]
		g.match("public_body", q, "", c.full+in, c.code)
	}
	for i := range 6 {
		// Province against city: two bodies.
		c := cities[g.rng.IntN(len(cities))]
		g.nonmatch("public_other_level", "陕西省"+provDepts[i], "", c.full+cityDepts[i], c.code)
	}
	for i := range 6 {
		c := cities[g.rng.IntN(len(cities))]
		o := g.otherCity(c)
		g.nonmatch("public_other_place", c.full+cityDepts[(i+3)%len(cityDepts)], "", o.full+cityDepts[(i+3)%len(cityDepts)], o.code)
	}
	for i := range 4 {
		c := cities[g.rng.IntN(len(cities))]
		k := c.counties[0]
		g.nonmatch("public_other_level", c.full+"公安局", "", c.full+"公安局"+strings.TrimSuffix(k.name, "区")+"分局", k.code)
		_ = i
	}
	for i := range 4 {
		c := cities[g.rng.IntN(len(cities))]
		g.nonmatch("public_other_body", c.full+institutions[i], "", c.full+institutions[i+4], c.code)
	}
}

// handwritten are pairs written by hand: the examples of the brief and
// cases the generator does not make.
func (g *gen) handwritten() {
	m, x := g.match, g.nonmatch
	x("shared_word", "西安华信电子科技有限公司", "", "西安华为技术有限公司", "610113")
	x("shared_word", "西安华为技术有限公司", "610113", "西安华信电子科技有限公司", "610113")
	m("traditional", "華為技術有限公司", "", "华为技术有限公司", "440300")
	m("exact", "华为技术有限公司", "44", "华为技术有限公司", "440300")
	m("no_place", "华信电子科技有限公司", "610113", "西安华信电子科技有限公司", "610113")
	m("former_name", "西安华信电子科技有限公司", "", "陕西华信数字科技集团有限公司", "610113", "西安华信电子科技有限公司", "陕西华信数字科技股份有限公司")
	m("former_name", "宝鸡市秦川技工学校", "", "宝鸡市秦川职业培训学校", "610302", "宝鸡市秦川技工学校")
	m("sole_no_place", "老王面馆", "610103", "碑林区老王面馆", "610103")
	m("sole_traditional", "碑林區老王麵館", "", "碑林区老王面馆", "610103")
	x("sole_other_district", "雁塔区老王面馆", "", "碑林区老王面馆", "610103")
	m("public_body", "陝西省市場監督管理局", "", "陕西省市场监督管理局", "610000")
	x("public_other_level", "西安市市场监督管理局", "", "陕西省市场监督管理局", "610000")
	x("branch", "中国建设银行股份有限公司西安雁塔支行", "", "中国建设银行股份有限公司", "110102")
	x("branch", "中国建设银行股份有限公司西安雁塔支行", "", "中国建设银行股份有限公司西安高新支行", "610113")
	m("exact", "中国建设银行股份有限公司西安雁塔支行", "610113", "中国建设银行股份有限公司西安雁塔支行", "610113")
	m("full_width", "西安ＡＢＣ电子科技有限公司", "", "西安ABC电子科技有限公司", "610113")
	m("place_spelling", "延安宝塔区金果苹果专业合作社", "", "延安市宝塔区金果苹果专业合作社", "610602")
	m("form_spelling", "洛川县秦丰苹果农民专业合作社", "", "洛川县秦丰苹果专业合作社", "610629")
	x("other_place", "洛川县秦丰苹果专业合作社", "", "宜川县秦丰苹果专业合作社", "610630")
	m("no_form", "西安华信酒店", "", "西安华信酒店有限公司", "610113")
	x("other_line", "西安华信酒店管理有限公司", "", "西安华信酒业有限公司", "610113")
	m("partnership", "西安秦川投资管理合夥企業（有限合夥）", "", "西安秦川投资管理合伙企业（有限合伙）", "610113")
	m("bracketed_place", "华信（陕西）电子科技有限公司", "", "陕西华信电子科技有限公司", "610000")
	x("other_place", "华信（咸阳）电子科技有限公司", "", "西安华信电子科技有限公司", "610113")
	m("place_spelling", "陕西省西安市雁塔区老王面馆", "", "雁塔区老王面馆", "610113")
	m("county_place", "富平华信电子科技有限公司", "", "富平县华信电子科技有限公司", "610528")
	m("county_place", "神木秦丰煤业有限公司", "610881", "神木市秦丰煤业有限公司", "610881")
	x("county_place", "神木秦丰煤业有限公司", "", "府谷秦丰煤业有限公司", "610822")
	m("form_spelling", "西安华信电子科技公司", "", "西安华信电子科技有限公司", "610113")
	x("sole_other_district", "西安市老王面馆", "", "碑林区老王面馆", "610103")
	m("exact", "西安华信电子科技有限公司雁塔分公司", "", "西安华信电子科技有限公司雁塔分公司", "610113")
	m("traditional", "西安華信電子科技有限公司雁塔分公司", "", "西安华信电子科技有限公司雁塔分公司", "610113")
	// Hard cases, labelled by what the name means; the matcher may miss
	// them. 乾 is also a standard character (乾县), so 乾洗 stays unfolded;
	// a slip in the form is not recognised as one; a district written
	// without 区 is not recognised as a place (the short forms of
	// districts are common words); a trade name that is a place is taken
	// for one.
	m("sole_traditional", "雁塔區老劉乾洗店", "", "雁塔区老刘干洗店", "610113")
	m("form_slip", "西安华信电子科技有线公司", "", "西安华信电子科技有限公司", "610113")
	m("sole_place_spelling", "碑林老王面馆", "", "碑林区老王面馆", "610103")
	m("trade_name_is_place", "安康医药有限公司", "", "西安安康医药有限公司", "610113")
	m("trade_name_is_place", "陕西长安汽车销售服务有限公司", "", "长安汽车销售服务有限公司", "610116")
	x("trade_name_is_place", "安康医药有限公司", "6109", "西安安康医药有限公司", "610113")
	m("public_body", "西安市场监督管理局", "", "西安市市场监督管理局", "610100")
	m("no_place", "市政工程有限公司", "6101", "西安市市政工程有限公司", "610100")
	x("other_line", "西安华信电子科技有限公司", "", "西安华信电子技术有限公司", "610113")
}
