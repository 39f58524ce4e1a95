package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/division"
)

// RecordOptions configure Records.
type RecordOptions struct {
	Seed int64
	Rows int
	// Subjects is how many distinct subjects the rows are about (default
	// Rows/2): real files name some subjects more than once.
	Subjects int
	// Today is the latest decision date (default 2026-11-20); decisions
	// spread over the Days before it (default 4 years), in ascending order,
	// so that the oldest penalties are past their publicity window.
	Today time.Time
	Days  int
	// Pool, when set, are the subjects the rows are about (its government
	// bodies are the deciding departments); Subjects is then ignored.
	Pool []credit.Subject
}

var violations = []struct{ typ, facts, basis, category, content string }{
	{"未按规定公示年度报告", "未在规定期限内公示年度报告", "《企业信息公示暂行条例》第十八条", "警告", "警告"},
	{"销售过期食品", "经营超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条", "罚款；没收违法所得", "罚款并没收违法所得"},
	{"无证经营", "未取得许可从事经营活动", "《无证无照经营查处办法》第十三条", "罚款", "罚款"},
	{"违法排放污染物", "超过排放标准排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条", "罚款；责令停产停业", "罚款、责令停产整治"},
	{"虚假宣传", "对商品作虚假的商业宣传", "《中华人民共和国反不正当竞争法》第二十条", "罚款", "罚款"},
	{"未按规定办理税务登记", "未按照规定期限办理税务登记", "《中华人民共和国税收征收管理法》第六十条", "罚款", "罚款"},
	{"超范围经营", "超出许可范围从事经营活动", "《中华人民共和国食品安全法》第一百二十二条", "没收违法所得；吊销许可证件", "没收违法所得并吊销食品经营许可证"},
	{"安全生产违法行为", "未按规定对从业人员进行安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条", "罚款", "罚款"},
	{"未按规定明码标价", "未按照规定明码标价", "《明码标价和禁止价格欺诈规定》第二十一条", "警告", "警告"},
}

var listFacts = []string{
	"有履行能力而拒不履行生效法律文书确定的义务",
	"因严重违法行为受到较重行政处罚，情节严重",
	"在政府采购活动中提供虚假材料谋取中标",
	"发生较大生产安全责任事故",
	"通过登记的住所或者经营场所无法联系",
	"未按规定期限公示年度报告",
}

var licences = []struct{ title, category, name, content string }{
	{"食品经营许可决定书", "普通", "食品经营许可证", "预包装食品销售、散装食品销售"},
	{"建筑工程施工许可决定书", "普通", "建筑工程施工许可证", "房屋建筑工程施工"},
	{"排污许可决定书", "普通", "排污许可证", "大气污染物、水污染物排放"},
	{"道路运输经营许可决定书", "特许", "道路运输经营许可证", "道路普通货物运输"},
	{"药品经营许可决定书", "核准", "药品经营许可证", "中成药、化学药制剂零售"},
	{"营业执照核发", "登记", "营业执照", "设立登记"},
}

// Records generates rows of a 行政许可 (xk) or 行政处罚 (cf) file in the
// standard's column order (the kind's StandardColumns), valid against the
// catalogue, about demo subjects. Same options, same rows.
func Records(kind *catalog.Kind, opts RecordOptions, emit func(row []string) error) error {
	if opts.Subjects <= 0 {
		opts.Subjects = max(1, opts.Rows/2)
	}
	if opts.Today.IsZero() {
		opts.Today = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	}
	var subjects, depts []credit.Subject
	split := func(s credit.Subject) error {
		if s.Class == credit.ClassGov && len(depts) < 20 {
			depts = append(depts, s)
		} else {
			subjects = append(subjects, s)
		}
		return nil
	}
	if opts.Pool != nil {
		for _, s := range opts.Pool {
			split(s)
		}
	} else if err := Generate(Options{Seed: opts.Seed, Subjects: opts.Subjects + 40}, split); err != nil {
		return err
	}
	if len(depts) == 0 || len(subjects) == 0 {
		return fmt.Errorf("demo records need government bodies and other subjects in the pool")
	}
	if opts.Days <= 0 {
		opts.Days = 4 * 365
	}
	var persons []credit.Subject
	for _, s := range subjects {
		if s.Class == credit.ClassPerson && len(persons) < 100 {
			persons = append(persons, s)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x7265636f726473))
	row := make([]string, len(kind.Fields))
	vals := map[string]string{}
	if kind.Code == "dj" {
		return registrations(kind, opts, subjects, depts, persons, rng, emit)
	}
	for i := range opts.Rows {
		s := subjects[rng.IntN(len(subjects))]
		dept := depts[rng.IntN(len(depts))]
		decided := opts.Today.AddDate(0, 0, -(opts.Days-1)+int(int64(i)*int64(opts.Days)/int64(max(opts.Rows, 1))))
		if _, ok := kind.Field("list_type"); ok {
			// Lists are about organisations with a code in the demo.
			for s.Class == credit.ClassPerson || s.USCC == "" {
				s = subjects[rng.IntN(len(subjects))]
			}
		}
		clear(vals)
		vals["subject_name"] = s.Name
		switch s.Class {
		case credit.ClassPerson:
			vals["subject_class"] = "自然人"
			vals["subject_id_type"] = "身份证"
			vals["subject_id_number"] = s.IDNumber
		case credit.ClassSole:
			vals["subject_class"] = "个体工商户"
			vals["subject_uscc"] = s.USCC
			if s.USCC == "" {
				vals["subject_uscc"] = "00000000000000000X"
				vals["subject_reg_no"] = s.RegNo
			}
			vals["legal_rep"] = "经营者"
			if len(persons) > 0 && rng.IntN(2) == 0 {
				vals["legal_rep_id_type"] = "身份证"
				vals["legal_rep_id_number"] = persons[rng.IntN(len(persons))].IDNumber
			}
		default:
			vals["subject_class"] = "法人及非法人组织"
			vals["subject_uscc"] = s.USCC
			vals["legal_rep"] = "法定代表人"
		}
		vals["decision_date"] = decided.Format("2006-01-02")
		vals["authority"] = dept.Name
		vals["authority_uscc"] = dept.USCC
		vals["source_dept"] = dept.Name
		vals["source_dept_uscc"] = dept.USCC
		if f, ok := kind.Field("list_type"); ok {
			// A list entry (失信名单 or 守信激励名单).
			lt := f.Enum[rng.IntN(len(f.Enum))]
			vals["list_type"] = lt
			vals["decision_no"] = fmt.Sprintf("陕%s〔%d〕第%06d号", map[bool]string{true: "守信", false: "失信"}[kind.Nature == catalog.NatureGood], decided.Year(), i+1)
			if kind.Nature == catalog.NatureGood {
				vals["facts"], vals["legal_basis"] = "经评价认定为"+lt, "国办发〔2016〕33号"
			} else {
				vals["facts"], vals["legal_basis"] = listFacts[rng.IntN(len(listFacts))], "国办发〔2020〕49号"
			}
			years := 1 + rng.IntN(3)
			vals["valid_to"] = decided.AddDate(years, 0, -1).Format("2006-01-02")
			if exit := decided.AddDate(0, 3+rng.IntN(12), 0); rng.IntN(4) == 0 && exit.Before(opts.Today) {
				vals["exit_date"], vals["exit_reason"] = exit.Format("2006-01-02"), "已履行相关义务，经认定单位决定移出"
			}
		} else if kind.Code == "cf" {
			v := violations[rng.IntN(len(violations))]
			vals["decision_no"] = fmt.Sprintf("陕罚决字〔%d〕第%07d号", decided.Year(), i+1)
			vals["violation_type"], vals["violation_facts"], vals["legal_basis"] = v.typ, v.facts, v.basis
			vals["penalty_category"], vals["decision_content"] = v.category, v.content
			switch {
			case v.category == "警告":
			case rng.IntN(5) == 0:
				vals["fine_amount"] = fmt.Sprintf("0.%d", 1+rng.IntN(3)) // a small fine: 轻微
			case rng.IntN(20) == 0:
				vals["fine_amount"] = fmt.Sprintf("%d", 100+rng.IntN(400)) // a huge fine: 严重
			default:
				vals["fine_amount"] = fmt.Sprintf("%d.%d", 1+rng.IntN(20), rng.IntN(10))
			}
			vals["valid_to"] = decided.AddDate(1, 0, 0).Format("2006-01-02")
			if rng.IntN(5) == 0 { // a department's own, earlier end of publicity
				vals["publicity_end"] = decided.AddDate(0, 6, 0).Format("2006/01/02")
			}
		} else {
			l := licences[rng.IntN(len(licences))]
			vals["decision_no"] = fmt.Sprintf("陕许字〔%d〕第%07d号", decided.Year(), i+1)
			vals["decision_title"], vals["licence_category"], vals["licence_name"], vals["decision_content"] = l.title, l.category, l.name, l.content
			vals["licence_no"] = fmt.Sprintf("XK%d%07d", decided.Year(), i+1)
			vals["valid_from"] = decided.Format("2006/01/02")
			vals["valid_to"] = "2099/12/31"
			if rng.IntN(2) == 0 {
				vals["valid_to"] = decided.AddDate(5, 0, 0).Format("2006/01/02")
			}
		}
		for j, f := range kind.Fields {
			row[j] = vals[f.Key]
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// registrations are 设立 rows of the registration database (kind dj), one
// per subject with a code, in the pool's order: each code is registered
// once, by one authority, with the 登记管理部门码 its code carries, so
// that the registry finds no problem in them.
func registrations(kind *catalog.Kind, opts RecordOptions, subjects, depts, persons []credit.Subject, rng *rand.Rand,
	emit func(row []string) error) error {
	row := make([]string, len(kind.Fields))
	vals := map[string]string{}
	n := 0
	for _, s := range subjects {
		if n == opts.Rows {
			break
		}
		if s.USCC == "" || s.Class == credit.ClassPerson || s.Class == credit.ClassGov {
			continue
		}
		dept := depts[rng.IntN(len(depts))]
		founded := opts.Today.AddDate(0, 0, -(opts.Days-1)+int(int64(n)*int64(opts.Days)/int64(max(opts.Rows, 1))))
		clear(vals)
		vals["subject_uscc"], vals["subject_name"] = s.USCC, s.Name
		vals["subject_class"] = "法人及非法人组织"
		if s.Class == credit.ClassSole {
			vals["subject_class"] = "个体工商户"
		}
		vals["legal_rep"] = "法定代表人"
		if len(persons) > 0 {
			vals["legal_rep"] = persons[rng.IntN(len(persons))].Name
		}
		vals["founded_on"] = founded.Format("2006-01-02")
		vals["reg_address"] = division.Name(s.Region) + "（演示地址）"
		vals["reg_address_region"] = s.Region
		vals["authority"], vals["authority_uscc"] = dept.Name, dept.USCC
		vals["reg_dept_code"] = s.USCC[:1]
		vals["status"], vals["reg_business"] = "存续", "设立"
		vals["decision_date"] = vals["founded_on"]
		vals["source_dept"], vals["source_dept_uscc"] = dept.Name, dept.USCC
		for j, f := range kind.Fields {
			row[j] = vals[f.Key]
		}
		if err := emit(row); err != nil {
			return err
		}
		n++
	}
	return nil
}
