package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

func recordTests() []namedTest {
	return []namedTest{
		{"RecordsCreateUnchangedUpdate", testRecordsVersions},
		{"RecordsRepeatInBatch", testRecordsRepeat},
		{"RecordsDoNotRenameSubjects", testRecordsSubjects},
		{"RecordsPersonalData", testRecordsPrivate},
		{"IntakeResume", testIntakeResume},
		{"RecordRevoke", testRecordRevoke},
		{"IntakeStats", testIntakeStats},
	}
}

func penalty(n int, content string) store.RecordInput {
	dept := USCC("11", "610100", 900)
	sub := credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 100+n), Name: fmt.Sprintf("西安处罚测试%02d有限公司", n)}
	no := fmt.Sprintf("西市监罚〔2026〕%d号", n)
	return store.RecordInput{
		Kind: "cf", Identity: "cf|" + dept + "|" + no + "|" + sub.USCC, Subject: sub, SourceDept: dept,
		DecisionNo: no, DecisionDate: "2026-11-02",
		Fields:  []byte(fmt.Sprintf(`{"decision_no":%q,"content":%q}`, no, content)),
		Content: []byte(no + "|" + content), WorkingDays: n % 10, Late: n%10 > 7,
	}
}

func startBatch(t *testing.T, s store.Store, hash string) store.IntakeBatch {
	t.Helper()
	b, _, err := s.StartIntake(context.Background(), store.IntakeBatch{Kind: "cf", Channel: "file", FileName: "x.csv", FileHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func put(t *testing.T, s store.Store, batch int64, recs ...store.RecordInput) []store.RecordOutcome {
	t.Helper()
	out, err := store.PutRecords(context.Background(), s, batch, recs)
	if err != nil {
		t.Fatalf("PutRecords: %v", err)
	}
	if len(out) != len(recs) {
		t.Fatalf("%d outcomes for %d records", len(out), len(recs))
	}
	return out
}

func changes(out []store.RecordOutcome) string {
	var s []string
	for _, o := range out {
		s = append(s, fmt.Sprintf("%s/v%d", o.Change, o.Version))
	}
	return strings.Join(s, " ")
}

func testRecordsVersions(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "罚款1万元"), penalty(2, "警告"))
	if got := changes(out); got != "created/v1 created/v1" {
		t.Fatalf("first put: %s", got)
	}
	out2 := put(t, h.Store, b.ID, penalty(1, "罚款1万元"), penalty(2, "警告（更正）"))
	if got := changes(out2); got != "unchanged/v1 updated/v2" {
		t.Fatalf("second put: %s", got)
	}
	if out2[0].ID != out[0].ID || out2[1].ID != out[1].ID {
		t.Fatalf("ids changed: %v %v", out, out2)
	}
	vs, err := h.Store.RecordVersions(ctx, out[1].ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %d, %v", len(vs), err)
	}
	if !strings.Contains(string(vs[0].Fields), `"警告"`) || !strings.Contains(string(vs[1].Fields), "更正") || vs[1].Version != 2 ||
		vs[0].State != store.StateActive || vs[1].State != store.StateCorrected || vs[1].StateReason != store.DefaultCorrectionReason {
		t.Fatalf("versions %s / %s", vs[0].Fields, vs[1].Fields)
	}
	r, err := h.Store.GetRecord(ctx, out[0].ID)
	if err != nil || r.Kind != "cf" || r.DecisionDate != "2026-11-02" || r.State != store.StateActive || r.SubjectID == 0 {
		t.Fatalf("GetRecord %+v %v", r, err)
	}
	sub, err := h.Store.GetSubject(ctx, r.SubjectID)
	if err != nil || sub.Name != "西安处罚测试01有限公司" {
		t.Fatalf("subject %+v %v", sub, err)
	}
	if _, err := h.Store.GetRecord(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing record: %v", err)
	}
}

func testRecordsRepeat(t *testing.T, h Harness) {
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(1, "a"), penalty(1, "a"), penalty(1, "b"), penalty(2, "x"))
	if got := changes(out); got != "created/v1 unchanged/v1 updated/v2 created/v1" {
		t.Fatalf("outcomes: %s", got)
	}
	if out[0].ID != out[1].ID || out[1].ID != out[2].ID || out[3].ID == out[0].ID || out[0].ID == 0 {
		t.Fatalf("ids %+v", out)
	}
	vs, _ := h.Store.RecordVersions(context.Background(), out[0].ID)
	if len(vs) != 2 {
		t.Fatalf("%d versions", len(vs))
	}
}

func testRecordsSubjects(t *testing.T, h Harness) {
	ctx := context.Background()
	p := penalty(3, "x")
	mustPut(t, h.Store, []credit.Subject{{Class: credit.ClassOrg, USCC: p.Subject.USCC, Name: "现用名称有限公司"}})
	b := startBatch(t, h.Store, "")
	put(t, h.Store, b.ID, p)
	got := mustFind(t, h.Store, p.Subject.USCC)
	if got.Name != "现用名称有限公司" {
		t.Fatalf("a record renamed its subject to %q", got.Name)
	}
	counts, _ := h.Store.CountSubjects(ctx)
	if counts[credit.ClassOrg] != 1 {
		t.Fatalf("%d organisations", counts[credit.ClassOrg])
	}
}

func testRecordsPrivate(t *testing.T, h Harness) {
	ctx := context.Background()
	id := RIC("610102", "19800101", 7)
	r := penalty(4, "x")
	r.Subject = credit.Subject{Class: credit.ClassPerson, IDNumber: id, Name: "王五"}
	r.Identity = "cf|" + r.SourceDept + "|" + r.DecisionNo + "|" + id
	r.Private = []byte(`{"subject_id_number":"` + id + `"}`)
	r.Fields = []byte(`{"subject_id_number":"` + credit.MaskID(id) + `"}`)
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, r)
	got, err := h.Store.GetRecord(ctx, out[0].ID)
	if err != nil || !strings.Contains(string(got.Private), id) {
		t.Fatalf("private part not read back: %s %v", got.Private, err)
	}
	for _, table := range []string{"records", "subjects"} {
		texts, err := h.Texts(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range texts {
			if strings.Contains(v, id) || strings.Contains(v, "19800101") {
				t.Fatalf("%s holds the ID number in clear", table)
			}
		}
	}
	if _, err := h.Store.FindSubjectByCode(ctx, id); err != nil {
		t.Fatalf("person not filed: %v", err)
	}
}

func testIntakeResume(t *testing.T, h Harness) {
	ctx := context.Background()
	b1 := startBatch(t, h.Store, "abc")
	b2, resumed, err := h.Store.StartIntake(ctx, store.IntakeBatch{Kind: "cf", Channel: "file", FileHash: "abc"})
	if err != nil || !resumed || b2.ID != b1.ID || !b2.ReceivedAt.Equal(b1.ReceivedAt) {
		t.Fatalf("resume: %+v resumed=%v %v; first %+v", b2, resumed, err, b1)
	}
	if err := h.Store.FinishIntake(ctx, b1.ID, store.IntakeStats{Rows: 1}, nil); err != nil {
		t.Fatal(err)
	}
	b3, resumed, _ := h.Store.StartIntake(ctx, store.IntakeBatch{Kind: "cf", Channel: "file", FileHash: "abc"})
	if resumed || b3.ID == b1.ID {
		t.Fatalf("a finished batch was resumed")
	}
	if _, err := store.PutRecords(ctx, h.Store, 424242, []store.RecordInput{penalty(1, "x")}); err == nil {
		t.Fatal("PutRecords accepted an unknown batch")
	}
}

func testRecordRevoke(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	out := put(t, h.Store, b.ID, penalty(5, "x"))
	if err := h.Store.SetRecordState(ctx, out[0].ID, store.StateRevoked, "行政复议撤销"); err != nil {
		t.Fatal(err)
	}
	r, _ := h.Store.GetRecord(ctx, out[0].ID)
	if r.State != store.StateRevoked || r.StateReason != "行政复议撤销" || r.Version != 2 {
		t.Fatalf("%+v", r)
	}
	vs, _ := h.Store.RecordVersions(ctx, out[0].ID)
	if len(vs) != 2 || vs[0].State != store.StateActive {
		t.Fatalf("history %+v", vs)
	}
	if err := h.Store.SetRecordState(ctx, 999999, store.StateRevoked, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown record: %v", err)
	}
}

func testIntakeStats(t *testing.T, h Harness) {
	ctx := context.Background()
	b := startBatch(t, h.Store, "")
	var recs []store.RecordInput
	for i := range 10 {
		recs = append(recs, penalty(i, "x"))
	}
	put(t, h.Store, b.ID, recs...)
	names := []string{"第3行：主体名称“甲”与登记名称“乙”不一致", "第7行：主体名称“丙”与登记名称“丁”不一致"}
	if err := h.Store.FinishIntake(ctx, b.ID, store.IntakeStats{Rows: 13, Accepted: 10, Rejected: 3, Warnings: []string{"列“备注”不是标准字段，已忽略"},
		NameWarnings: names},
		[]store.Rejection{{Row: 11, Field: "a", Reason: "x"}, {Row: 11, Field: "b", Reason: "y"}, {Row: 12, Field: "a", Reason: "x"}, {Row: 13, Field: "a", Reason: "x"}}); err != nil {
		t.Fatal(err)
	}
	// The warnings stay with the batch.
	if info, err := h.Store.IntakeBatch(ctx, b.ID); err != nil || len(info.Warnings) != 1 || info.Warnings[0] != "列“备注”不是标准字段，已忽略" ||
		!slices.Equal(info.NameWarnings, names) {
		t.Fatalf("batch warnings: %+v %v", info, err)
	}
	rows, err := h.Store.IntakeStats(ctx, store.IntakeFilter{Kind: "cf"})
	if err != nil {
		t.Fatal(err)
	}
	var received, late, rejected int
	for _, r := range rows {
		received += r.Received
		late += r.Late
		rejected += r.Rejected
		if len(r.Month) != 7 {
			t.Errorf("month %q", r.Month)
		}
	}
	if received != 10 || late != 2 || rejected != 3 {
		t.Fatalf("stats %+v: received %d late %d rejected %d", rows, received, late, rejected)
	}
	if rows, _ := h.Store.IntakeStats(ctx, store.IntakeFilter{Kind: "xk"}); len(rows) != 0 {
		t.Fatalf("xk stats %+v", rows)
	}
}
