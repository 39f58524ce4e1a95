package catalog

import (
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
)

// zwcxHeader is the interface of issue 18: the column names departments
// send integrity events under.
var zwcxHeader = []string{"监测对象名称", "监测对象统一社会信用代码", "监测事项", "信息性质", "发生日期", "情况描述",
	"信息来源渠道", "整改或修复日期", "表彰奖励级别", "报送日期", "报送单位", "报送单位统一社会信用代码"}

func zwcxRow(edit map[string]string) []string {
	v := map[string]string{
		"监测对象名称": "陕西省某某厅", "监测对象统一社会信用代码": deptUSCC2, "监测事项": "拖欠民营企业账款、农民工工资",
		"信息性质": "不良", "发生日期": "2026-03-02", "情况描述": "拖欠某公司工程款", "信息来源渠道": "相关单位信息共享",
		"整改或修复日期": "", "表彰奖励级别": "", "报送日期": "2026-03-20", "报送单位": "陕西省工业和信息化厅",
		"报送单位统一社会信用代码": deptUSCC,
	}
	for k, x := range edit {
		v[k] = x
	}
	row := make([]string, len(zwcxHeader))
	for i, h := range zwcxHeader {
		row[i] = v[h]
	}
	return row
}

// TestIntegrityEventKind: the integrity event kind takes exactly the
// issue's column names, files a government body without a class column
// (the field's default), and refuses what is not a government body's.
func TestIntegrityEventKind(t *testing.T) {
	k := kind(t, "zwcx")
	cols, err := k.MatchHeader(zwcxHeader)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols.Warnings) > 0 {
		t.Errorf("warnings for the issue's own columns: %v", cols.Warnings)
	}
	rec, errs := k.Validate(zwcxRow(nil), cols, testToday)
	if errs != nil {
		t.Fatal(reasons(errs))
	}
	if rec.SubjectClass() != credit.ClassGov || rec.Get("subject_class") != "法人及非法人组织" || rec.Get("channel") != "信息共享" {
		t.Errorf("class %s, %q, channel %q", rec.SubjectClass(), rec.Get("subject_class"), rec.Get("channel"))
	}
	if rec.Nature() != NatureBad || k.Nature != NatureBasic {
		t.Errorf("nature of a 不良 event %s, of the kind %s", rec.Nature(), k.Nature)
	}
	if good, errs := k.Validate(zwcxRow(map[string]string{"监测事项": "年度目标责任考核结果", "信息性质": "良好信息"}), cols, testToday); errs != nil || good.Nature() != NatureGood {
		t.Errorf("nature of a 良好 event %s %v", good.Nature(), reasons(errs))
	}
	if rec.DecisionDate().String() != "2026-03-02" || rec.SourceDeptUSCC() != deptUSCC {
		t.Errorf("event date %s, sender %s", rec.DecisionDate(), rec.SourceDeptUSCC())
	}
	for _, tc := range []struct {
		name  string
		edit  map[string]string
		field string
		want  string
	}{
		{"a firm is no government body", map[string]string{"监测对象统一社会信用代码": orgUSCC}, "subject_uscc", "第1-2位（登记管理部门码和机构类别码）应为11（机构编制机关）"},
		{"unknown item", map[string]string{"监测事项": "其他事项"}, "item", "应为"},
		{"honour without level", map[string]string{"监测事项": "获得荣誉表彰奖励或获评试点示范和创新事例", "信息性质": "良好"}, "honour_level", "当监测事项为获得荣誉表彰奖励或获评试点示范和创新事例时必填"},
		{"rectified before it happened", map[string]string{"整改或修复日期": "2026-03-01"}, "rectified_on", "不能早于"},
		{"event in the future", map[string]string{"发生日期": "2026-06-16", "报送日期": ""}, "event_date", ""},
		{"unknown channel", map[string]string{"信息来源渠道": "传闻"}, "channel", ""},
	} {
		_, errs := k.Validate(zwcxRow(tc.edit), cols, testToday)
		found := false
		for _, e := range errs {
			if e.Field == tc.field && strings.Contains(e.Reason, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: errors %v, want %s: …%s…", tc.name, reasons(errs), tc.field, tc.want)
		}
	}
	// A department code elsewhere in the file (the sender's) may be of any
	// category, and a valid one remembered for the sender must not let a
	// firm's code pass as a monitored body.
	if _, errs := k.Validate(zwcxRow(map[string]string{"报送单位统一社会信用代码": orgUSCC}), cols, testToday); errs != nil {
		t.Errorf("a sender with a firm's code: %v", reasons(errs))
	}
	if _, errs := k.Validate(zwcxRow(map[string]string{"监测对象统一社会信用代码": orgUSCC}), cols, testToday); errs == nil {
		t.Error("a firm's code passed as a monitored body after it was remembered as a sender's")
	}
	// With a class column, a value is still checked.
	cols2, err := k.MatchHeader(append(append([]string{}, zwcxHeader...), "监测对象类别"))
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := k.Validate(append(zwcxRow(nil), "自然人"), cols2, testToday); errs == nil {
		t.Error("监测对象类别 自然人 accepted")
	}
	if rec, errs := k.Validate(append(zwcxRow(nil), ""), cols2, testToday); errs != nil || rec.Get("subject_class") != "法人及非法人组织" {
		t.Errorf("an empty class cell did not take the default: %v", reasons(errs))
	}
}
