package catalog

import (
	"slices"
	"strconv"
)

// Severities are the publicity classes of bad records, mildest first.
var Severities = []string{"minor", "general", "serious"}

// SeverityLabel is the Chinese name of a severity (轻微 / 一般 / 严重).
func SeverityLabel(s string) string {
	switch s {
	case "minor":
		return "轻微"
	case "general":
		return "一般"
	case "serious":
		return "严重"
	}
	return ""
}

// SplitItems splits a normalized enum or multi_enum value into its items.
func SplitItems(v string) []string {
	var items []string
	for v != "" {
		var item string
		item, v = cutItem(v)
		items = append(items, item)
	}
	return items
}

// checkSeverity checks the severity rules of the kind's publicity.
func (k *Kind) checkSeverity(p *problems, ref func(what, key string, types ...FieldType) int) {
	pub := k.Publicity
	valid := func(s string) bool { return slices.Contains(Severities, s) }
	if pub.DefaultSeverity != "" {
		if !valid(pub.DefaultSeverity) {
			p.addf("publicity.default_severity“%s”应为minor、general或serious", pub.DefaultSeverity)
		} else if _, ok := pub.Window(pub.DefaultSeverity); !ok {
			p.addf("publicity.default_severity“%s”在windows中没有对应的公示期限", pub.DefaultSeverity)
		}
	}
	if len(pub.Windows) > 1 && pub.DefaultSeverity == "" {
		p.addf("publicity有多个windows时必须写default_severity（没有规则匹配时的严重程度）")
	}
	if len(pub.SeverityRules) > 0 && len(pub.Windows) == 0 {
		p.addf("publicity写了severity_rules时必须写windows")
	}
	for i, r := range pub.SeverityRules {
		at := "publicity.severity_rules第" + strconv.Itoa(i+1) + "条"
		if !valid(r.Severity) {
			p.addf("%s的severity“%s”应为minor、general或serious", at, r.Severity)
		} else if _, ok := pub.Window(r.Severity); !ok {
			p.addf("%s的severity“%s”在windows中没有对应的公示期限", at, r.Severity)
		}
		if (len(r.AnyOf) > 0 || len(r.OnlyOf) > 0) != (r.Field != "") {
			p.addf("%s：any_of/only_of与field须同时写", at)
		}
		if r.Field != "" {
			ref(at+".field", r.Field, TypeEnum, TypeMultiEnum)
		}
		if (r.AmountAtLeast != nil || r.AmountAtMost != nil) != (len(r.Amounts) > 0) {
			p.addf("%s：amount_at_least/amount_at_most与amounts须同时写", at)
		}
		for _, key := range r.Amounts {
			ref(at+".amounts", key, TypeDecimal)
		}
		if (len(r.Domains) > 0) != (len(r.DomainFields) > 0) {
			p.addf("%s：domains与domain_fields须同时写", at)
		}
		for _, key := range r.DomainFields {
			ref(at+".domain_fields", key)
		}
		if r.Field == "" && len(r.Amounts) == 0 && len(r.Domains) == 0 {
			p.addf("%s没有任何条件", at)
		}
		if r.Basis == "" {
			p.addf("%s须写basis（依据或理由，向公众展示）", at)
		}
	}
	k.checkNoEarlyRepair(p, ref)
}

// checkNoEarlyRepair checks the no_early_repair rules of the kind's
// publicity: each names an enum or multi_enum field of the kind, lists at
// least one of its enum values (not aliases: records hold normalized
// values) and gives its basis.
func (k *Kind) checkNoEarlyRepair(p *problems, ref func(what, key string, types ...FieldType) int) {
	pub := k.Publicity
	if len(pub.NoEarlyRepair) > 0 && len(pub.Windows) == 0 {
		p.addf("publicity写了no_early_repair时必须写windows")
	}
	for i, r := range pub.NoEarlyRepair {
		at := "publicity.no_early_repair第" + strconv.Itoa(i+1) + "条"
		var f *Field
		if r.Field == "" {
			p.addf("%s须写field（enum或multi_enum类型字段的key）", at)
		} else if j := ref(at+".field", r.Field, TypeEnum, TypeMultiEnum); j >= 0 {
			if t := k.Fields[j].Type; t == TypeEnum || t == TypeMultiEnum {
				f = &k.Fields[j]
			}
		}
		if len(r.AnyOf) == 0 {
			p.addf("%s的any_of不能为空", at)
		}
		for _, v := range r.AnyOf {
			switch {
			case f == nil:
			case slices.Contains(f.Enum, v):
			case f.EnumAliases[v] != "":
				p.addf("%s的any_of中“%s”是字段%s的别名，应写其取值“%s”", at, v, f.Key, f.EnumAliases[v])
			default:
				p.addf("%s的any_of中“%s”不是字段%s的取值", at, v, f.Key)
			}
		}
		if r.Basis == "" {
			p.addf("%s须写basis（依据或理由，向申请人展示）", at)
		}
	}
}
