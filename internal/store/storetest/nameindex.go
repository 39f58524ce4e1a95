package storetest

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

// RunIndexed runs the name-search and candidate tests on the driver's
// store wrapped in an in-memory name index (store.Indexed), and checks
// that the index follows what is written past it.
func RunIndexed(t *testing.T, open Open) {
	tests := append([]namedTest{
		{"Search", testSearch},
		{"Rename", testRename},
		{"FollowsOtherWriters", testIndexFollows},
	}, matchTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := open.migrated(t, "Indexed"+tc.name)
			ctx := context.Background()
			x, err := store.NewIndexed(ctx, h.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			h.Store = x
			tc.fn(t, h)
		})
	}
}

// testIndexFollows writes subjects and records past the index (as another
// process would) and checks that a refresh finds them, renamed ones by
// both names, and that a new index loads what is there.
func testIndexFollows(t *testing.T, h Harness) {
	ctx := context.Background()
	x := h.Store.(*store.Indexed)
	raw := x.Store
	mustPut(t, raw, []credit.Subject{{Class: credit.ClassOrg, USCC: USCC("91", "610100", 41), Name: "西安启明星辰软件有限公司", Region: "610113"}})
	search := func(q string) []string {
		t.Helper()
		res, err := x.SearchSubjects(ctx, q, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		return names(res)
	}
	if got := search("启明"); len(got) != 0 {
		t.Fatalf("found %q before a refresh", got)
	}
	before := x.Seq()
	if err := x.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search("启明"); !slices.Equal(got, []string{"西安启明星辰软件有限公司"}) {
		t.Fatalf("after refresh: %q", got)
	}
	if x.Seq() <= before {
		t.Errorf("sequence %d → %d", before, x.Seq())
	}
	mustPut(t, raw, []credit.Subject{{Class: credit.ClassOrg, USCC: USCC("91", "610100", 41), Name: "西安北辰网络有限公司", Region: "610113"}})
	if err := x.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"启明星辰", "北辰网络"} {
		if got := search(q); !slices.Equal(got, []string{"西安北辰网络有限公司"}) {
			t.Errorf("after rename, %s: %q", q, got)
		}
	}
	// Writes through the index are searchable at once.
	mustPut(t, x, []credit.Subject{{Class: credit.ClassOrg, USCC: USCC("91", "610100", 42), Name: "宝鸡启明机械有限公司", Region: "610300"}})
	if got := search("启明"); !slices.Equal(got, []string{"西安北辰网络有限公司", "宝鸡启明机械有限公司"}) {
		t.Errorf("own write: %q", got)
	}
	// A refresh with nothing new changes nothing.
	seq := x.Seq()
	if err := x.Refresh(ctx); err != nil || x.Seq() != seq {
		t.Errorf("idle refresh: %v, sequence %d → %d", err, seq, x.Seq())
	}
	// A new index (a restart) loads it all.
	y, err := store.NewIndexed(ctx, raw, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := y.SearchSubjects(ctx, "启明星辰", 0, 10); err != nil || !slices.Equal(names(res), []string{"西安北辰网络有限公司"}) {
		t.Errorf("reloaded: %q, %v", names(res), err)
	}
	if y.Seq() != x.Seq() {
		t.Errorf("reloaded at sequence %d, want %d", y.Seq(), x.Seq())
	}
}

// testNameChangeLog checks the name-change log that the full-text index and
// the in-memory index follow: a put appends its created and renamed
// subjects (never persons), numbered on in order, each with all its
// names; SyncSearch applies it and is idempotent; the former name stays
// searchable after a rename.
func testNameChangeLog(t *testing.T, h Harness) {
	ctx := context.Background()
	src, ok := h.Store.(store.NameSource)
	if !ok {
		t.Skip("the driver is no NameSource")
	}
	_, head, err := src.NameChanges(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	firm := credit.Subject{Class: credit.ClassOrg, USCC: USCC("91", "610100", 61), Name: "西安长乐信息技术有限公司", Region: "610113"}
	mustPut(t, h.Store, []credit.Subject{firm,
		{Class: credit.ClassPerson, IDNumber: RIC("610102", "19800101", 61), Name: "王长乐"},
		{Class: credit.ClassGov, USCC: USCC("11", "610100", 62), Name: "西安市长乐街道办事处"}})
	docs, last, err := src.NameChanges(ctx, head, 1000)
	if err != nil || len(docs) != 2 || last != head+2 {
		t.Fatalf("after a put of two subjects and a person: %+v, last %d (head %d), %v", docs, last, head, err)
	}
	if err := h.Store.SyncSearch(ctx); err != nil {
		t.Fatal(err)
	}
	// Unchanged subjects add nothing; a rename adds the subject with both
	// names.
	mustPut(t, h.Store, []credit.Subject{firm})
	if docs, l, err := src.NameChanges(ctx, last, 1000); err != nil || len(docs) != 0 || l != last {
		t.Fatalf("an unchanged put logged %+v (%d), %v", docs, l, err)
	}
	firm.Name = "陕西长乐数字科技有限公司"
	mustPut(t, h.Store, []credit.Subject{firm})
	docs, l, err := src.NameChanges(ctx, last, 1000)
	if err != nil || len(docs) != 1 || l != last+1 || !slices.Equal(docs[0].Names, []string{"陕西长乐数字科技有限公司", "西安长乐信息技术有限公司"}) {
		t.Fatalf("rename logged %+v (%d), %v", docs, l, err)
	}
	for range 2 {
		if err := h.Store.SyncSearch(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"长乐信息", "长乐数字"} {
		res, err := h.Store.SearchSubjects(ctx, q, 0, 10)
		if err != nil || !slices.Equal(names(res), []string{"陕西长乐数字科技有限公司"}) {
			t.Errorf("search %s after the rename: %q, %v", q, names(res), err)
		}
	}
	got := mustFind(t, h.Store, firm.USCC)
	if len(got.FormerNames) != 1 || got.FormerNames[0].Name != "西安长乐信息技术有限公司" || got.FormerNames[0].To.IsZero() ||
		got.FormerNames[0].From.After(got.FormerNames[0].To) {
		t.Errorf("former names %+v", got.FormerNames)
	}
}
