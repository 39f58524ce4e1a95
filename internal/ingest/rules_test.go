package ingest

import (
	"context"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/store"
)

func testUSCC(t *testing.T, first16 string) string {
	t.Helper()
	o, err := code.OrgCheckChar(first16[8:16])
	if err != nil {
		t.Fatal(err)
	}
	c, err := code.USCCCheckChar(first16 + string(o))
	if err != nil {
		t.Fatal(err)
	}
	return first16 + string(o) + string(c)
}

// TestImportRowRule: a kind's row rule rejects rows on the same terms as
// the catalogue, the other rows are filed; a kind without a deadline has
// no late rows; each row's nature decides whether it is bad.
func TestImportRowRule(t *testing.T) {
	t.Parallel()
	s := backends["sqlite"](t)
	body, sender := testUSCC(t, "11610000MB000012"), testUSCC(t, "11610000MB000101")
	header := []string{"监测对象名称", "监测对象统一社会信用代码", "监测事项", "信息性质", "发生日期", "情况描述", "信息来源渠道", "报送单位", "报送单位统一社会信用代码"}
	rows := [][]string{
		{"陕西省某某厅", body, "拖欠民营企业账款、农民工工资", "不良", "2024-01-05", "拖欠工程款", "信息共享", "陕西省工信厅", sender},
		{"陕西省某某厅", body, "年度目标责任考核结果", "良好", "2024-01-06", "考核优秀", "信息共享", "陕西省工信厅", sender},
		{"陕西省某某厅", body, "被列入失信被执行人", "良好", "2024-01-07", "不可能的良好", "信息共享", "陕西省工信厅", sender},
	}
	im := importer(s)
	im.Rules = map[string]RowRule{"zwcx": func(rec catalog.Record) []catalog.FieldError {
		if rec.Get("item") == "被列入失信被执行人" && rec.Nature() != catalog.NatureBad {
			return []catalog.FieldError{{Field: "nature", Name: "信息性质", Reason: "该监测事项只能是不良信息"}}
		}
		return nil
	}}
	tbl := NewRowsTable(header, rows)
	res, err := im.Import(context.Background(), tbl, Options{Kind: "zwcx", Channel: "api", Outcomes: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 2 || len(res.Rejected) != 1 || res.Rejected[0].Row != 3 || res.Rejected[0].Field != "信息性质" ||
		!strings.Contains(res.Rejected[0].Reason, "只能是不良信息") {
		t.Fatalf("%+v", res)
	}
	stats, err := s.IntakeStats(context.Background(), store.IntakeFilter{Kind: "zwcx"})
	if err != nil {
		t.Fatal(err)
	}
	var sum store.IntakeRow
	for _, r := range stats {
		sum.Received, sum.Late, sum.Rejected = sum.Received+r.Received, sum.Late+r.Late, sum.Rejected+r.Rejected
	}
	// Integrity events are reported at least monthly (1072号文): a kind
	// without a working-day deadline is late after the end of the month
	// following the event (catalog.Kind.Timeliness), as these months-old
	// events are.
	if sum.Received != 2 || sum.Late != 2 || sum.Rejected != 1 {
		t.Fatalf("stats %+v: events months old are late for a monthly kind", stats)
	}
	bad, _ := s.GetRecord(context.Background(), res.Outcomes[0].ID)
	if bad.Kind != "zwcx" || !bad.Late {
		t.Errorf("record %+v", bad)
	}
}
