package storetest

import (
	"context"
	"testing"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/store"
)

func windowTests() []namedTest {
	return []namedTest{
		{"CommitmentColumn", testCommitmentColumn},
	}
}

// testCommitmentColumn: the public column's filters, paging and total.
func testCommitmentColumn(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "内容"))
	r1, err := h.Store.GetRecord(ctx, out[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	audit := auth.AuditEntry{Actor: "user:31", Action: auth.AuditCommitment, Outcome: "make", SubjectID: r1.SubjectID}
	add := func(kind, promisor, disclosure string) store.Commitment {
		c, err := h.Store.AddCommitment(ctx, store.Commitment{Kind: kind, SubjectID: r1.SubjectID, PromisorName: promisor, Matter: "事由",
			Content: "内容", Liability: "责任", MadeOn: "2026-11-02", AcceptorName: "西安市市场监督管理局",
			AcceptorCode: USCC("11", "610100", 931), Disclosure: disclosure, History: []byte(`[]`)}, "610113", audit)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	add("审批替代型", "甲100%_公司", "可向社会公开")
	b2 := add("审批替代型", "乙公司", "可向社会公开")
	add("信用修复型", "丙公司", "可向社会公开")
	add("审批替代型", "丁公司", "不可公开")
	pub := []string{"可向社会公开"}
	for _, c := range []struct {
		f    store.CommitmentFilter
		want int
	}{
		{store.CommitmentFilter{Disclosures: pub}, 3},
		{store.CommitmentFilter{Disclosures: pub, Kind: "审批替代型"}, 2},
		{store.CommitmentFilter{Disclosures: pub, Promisor: "100%_"}, 1},
		{store.CommitmentFilter{Disclosures: pub, Promisor: "%"}, 1},
		{store.CommitmentFilter{Disclosures: pub, Status: "已履行"}, 0},
	} {
		n, err := h.Store.CountCommitments(ctx, c.f)
		if err != nil || n != c.want {
			t.Errorf("count %+v = %d %v, want %d", c.f, n, err, c.want)
		}
		list, err := h.Store.ListCommitments(ctx, c.f)
		if err != nil || len(list) != c.want {
			t.Errorf("list %+v = %d %v, want %d", c.f, len(list), err, c.want)
		}
	}
	page, err := h.Store.ListCommitments(ctx, store.CommitmentFilter{Disclosures: pub, Kind: "审批替代型", Limit: 1, Offset: 1})
	if err != nil || len(page) != 1 || page[0].ID == b2.ID {
		t.Errorf("second page: %+v %v", page, err)
	}
}
