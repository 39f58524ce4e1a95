package demo

// Name builders. Names are concatenations of word-list entries; Go
// concatenates all operands of one expression with a single allocation.

type weighted struct {
	s string
	w int
}

func (g *generator) pickW(ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	x := g.rng.IntN(total)
	for _, w := range ws {
		if x < w.w {
			return w.s
		}
		x -= w.w
	}
	return ws[len(ws)-1].s
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// brand returns a two-character trade name (字号) of distinct characters.
func (g *generator) brand() string {
	a := g.rng.IntN(len(brandFirst))
	b := g.rng.IntN(len(brandSecond))
	if brandFirst[a] == brandSecond[b] {
		b = (b + 1) % len(brandSecond)
	}
	return brandFirst[a] + brandSecond[b]
}

// surname favours the head of the frequency-ordered list.
func (g *generator) surname() string {
	u := g.rng.Float64()
	return surnames[int(u*u*float64(len(surnames)))]
}

func (g *generator) personName(male bool) string {
	given, given2 := femaleGiven, femaleGiven2
	if male {
		given, given2 = maleGiven, maleGiven2
	}
	switch x := g.rng.IntN(10); {
	case x < 4:
		return g.surname() + g.pick(given)
	case x < 7:
		return g.surname() + g.pick(given2)
	}
	return g.surname() + g.pick(given) + g.pick(given)
}

// entName is an enterprise name in parts, so that former names can be
// derived from it.
type entName struct {
	prefix   string // 陕西, 西安, 神木, 陕西省 (administrative-division part)
	city     string // short name of the prefecture, for prefix changes
	bracket  bool   // 字号（西安）行业形式 instead of 西安字号行业形式
	brand    string // 字号
	industry string // 行业
	form     string // 组织形式
	branch   string // e.g. 雁塔分公司, or empty
}

func (e entName) String() string {
	if e.bracket {
		return e.brand + "（" + e.prefix + "）" + e.industry + e.form + e.branch
	}
	return e.prefix + e.brand + e.industry + e.form + e.branch
}

var partnershipLines = []string{"投资管理", "企业管理咨询", "股权投资", "创业投资", "商务信息咨询", "投资"}

const partnershipForm = "合伙企业（有限合伙）"

func (g *generator) enterprise(p *place) entName {
	e := entName{brand: g.brand(), industry: g.pick(industries), form: g.pickW(enterpriseForms)}
	x := g.rng.IntN(100)
	switch p.level {
	case levelProvince:
		e.city = "西安"
		e.prefix = "陕西"
		if x < 10 {
			e.prefix = "陕西省"
		}
	case levelCity:
		e.city = p.short
		switch {
		case x < 70:
			e.prefix = p.short
		case x < 90:
			e.prefix = "陕西"
		default:
			e.prefix, e.bracket = p.short, true
		}
	default:
		e.city = p.city.short
		switch {
		case x < 45:
			e.prefix = p.city.short
		case x < 65:
			e.prefix = p.city.short
			if !p.district {
				e.prefix = p.short // 神木, 韩城, 富平, 眉县
			}
		case x < 85:
			e.prefix = "陕西"
		default:
			e.prefix, e.bracket = p.city.short, true
		}
	}
	switch y := g.rng.IntN(100); {
	case y < 3:
		e.industry, e.form, e.bracket = g.pick(partnershipLines), partnershipForm, false
	case y < 7 && p.level == levelCounty:
		e.branch = p.short + "分公司"
	}
	return e
}

// mutateEnterprise returns a plausible earlier name of e: another trade
// name, another industry wording, an earlier legal form, or the city
// instead of the province in front.
func (g *generator) mutateEnterprise(e entName) entName {
	switch g.rng.IntN(4) {
	case 1:
		e.industry = g.pick(industries)
		if e.form == partnershipForm {
			e.industry = g.pick(partnershipLines)
		}
		return e
	case 2:
		switch e.form {
		case "有限公司", "股份有限公司", "集团有限公司":
			e.form = "有限责任公司"
			return e
		case "有限责任公司":
			e.form = "有限公司"
			return e
		case "集团股份有限公司":
			e.form = "股份有限公司"
			return e
		}
	case 3:
		if e.prefix == "陕西" && !e.bracket {
			e.prefix = e.city
			return e
		}
	}
	e.brand = g.brand()
	return e
}

func (g *generator) coopName(p *place) string {
	var prefix string
	switch x := g.rng.IntN(100); {
	case x < 40:
		prefix = p.prefix
	case x < 70:
		prefix = p.city.short + p.name // 延安宝塔区
	default:
		prefix = p.name
	}
	return prefix + g.brand() + g.pick(coopProducts) + g.pick(coopForms)
}

func (g *generator) institutionName(p *place) string {
	if p.level == levelProvince {
		return p.prefix + g.pick(provinceInstitutions)
	}
	if g.rng.IntN(100) < 40 {
		maxSchool := 9
		if p.level == levelCity {
			maxSchool = 15
			if p.code == "610100" {
				maxSchool = 89
			}
		}
		switch g.rng.IntN(3) {
		case 0:
			return p.prefix + "第" + chineseNumber(1+g.rng.IntN(maxSchool)) + "中学"
		case 1:
			return p.prefix + "第" + chineseNumber(1+g.rng.IntN(maxSchool)) + "小学"
		default:
			if p.level == levelCity {
				return p.prefix + "第" + chineseNumber(1+g.rng.IntN(5)) + "医院"
			}
			return p.prefix + "第" + chineseNumber(1+g.rng.IntN(3)) + "幼儿园"
		}
	}
	return p.prefix + g.pick(localInstitutions)
}

func (g *generator) associationName(p *place) string {
	form := g.pickW(associationForms)
	if form == "商会" {
		return p.prefix + g.pick(chambers) + form
	}
	return p.prefix + g.pick(associationTopics) + form
}

func (g *generator) nonprofitName(p *place) string {
	return p.prefix + g.brand() + g.pick(nonprofitKinds)
}

func (g *generator) soleName(p *place) string {
	prefix := p.name
	if g.rng.IntN(100) < 40 {
		prefix = p.prefix
	}
	var owner string
	switch x := g.rng.IntN(100); {
	case x < 50:
		owner = g.brand()
	case x < 70:
		owner = "老" + g.surname()
	case x < 85:
		owner = g.surname() + "记"
	default:
		owner = "小" + g.surname()
	}
	return prefix + owner + g.pick(soleShops)
}

// govName names a department of the government at p's level, in the style
// of the real Shaanxi departments (陕西省生态环境厅, 咸阳市人力资源和社会保障局,
// 西安市公安局雁塔分局, 国家税务总局宝鸡市渭滨区税务局).
func (g *generator) govName(p *place) string {
	x := g.rng.IntN(100)
	switch p.level {
	case levelProvince:
		if x < 8 {
			return "国家税务总局" + p.prefix + "税务局"
		}
		return p.prefix + g.pick(provinceDepts)
	case levelCity:
		if x < 6 {
			return "国家税务总局" + p.prefix + "税务局"
		}
		return p.prefix + g.pick(cityDepts)
	}
	switch {
	case x < 6:
		return "国家税务总局" + p.prefix + "税务局"
	case x < 12:
		if p.district {
			return p.city.prefix + "公安局" + p.short + "分局"
		}
		return p.prefix + "公安局"
	case x < 17:
		return p.city.prefix + "生态环境局" + p.short + "分局"
	}
	return p.prefix + g.pick(countyDepts)
}
