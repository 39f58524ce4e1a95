package exchange

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
)

// usccIn is a valid unified social credit code registered in region r.
func usccIn(t *testing.T, r, serial string) string {
	t.Helper()
	first := "11" + r + serial
	c, err := code.USCCCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// lowerOf registers city as a lower peer of prov (region) and prov as
// city's upper; it returns city's view of prov and prov's view of city.
func lowerOf(t *testing.T, city, prov side, name, region string) (up, down store.Peer) {
	t.Helper()
	ctx := context.Background()
	_, _, key := auth.NewAPIKey()
	up, err := city.s.PutPeer(ctx, store.Peer{Name: "prov", Role: store.PeerUpper, Personal: true, ClientID: int64(len(name))})
	if err != nil {
		t.Fatal(err)
	}
	down, err = prov.s.PutPeer(ctx, store.Peer{Name: name, Role: store.PeerLower, Region: region, URL: "http://unused", Key: key, Personal: true})
	if err != nil {
		t.Fatal(err)
	}
	return up, down
}

// pull moves what is new in a's feed (a's territory aRegion) to b (its
// territory bRegion).
func pull(t *testing.T, a, b side, aRegion, bRegion string, up, down store.Peer, replay ...bool) store.PeerProgress {
	t.Helper()
	ctx := context.Background()
	p, err := b.s.GetPeer(ctx, down.Name)
	if err != nil {
		t.Fatal(err)
	}
	if len(replay) > 0 {
		p.Cursor = 0
	}
	f := &Feed{Store: a.s, Region: aRegion}
	pl := &Puller{Store: b.s, Importer: b.im, Log: slog.New(slog.DiscardHandler), Region: bRegion}
	var sum store.PeerProgress
	for {
		page, err := f.Page(ctx, up, secretSum(p.Key), Query{Since: p.Cursor, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		prog, err := pl.Apply(ctx, p, page)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.s.SavePeerProgress(ctx, p.ID, prog); err != nil {
			t.Fatal(err)
		}
		sum.Applied += prog.Applied
		sum.Conflicts += prog.Conflicts
		p.Cursor = page.Next
		if p.Cursor >= page.Head {
			return sum
		}
	}
}

// TestDecidingDepartmentWins: city A is home to the authority of 5
// penalties (its code is registered in 610100); city B files a copy of
// them edited later. At the province the deciding department's latest
// version wins whichever arrives first, though B's stamp is later; both
// conflicts are logged.
func TestDecidingDepartmentWins(t *testing.T) {
	ctx := context.Background()
	authority := usccIn(t, "610100", "MA000000"+"7")
	rows := func(content string) ingest.Table {
		return penalties(t, 5, func(k *catalog.Kind, i int, row []string) {
			row[k.FieldIndex("authority_uscc")] = authority
			row[k.FieldIndex("decision_content")] = content + strings.Repeat("。", i)
		})
	}
	contents := func(sd side) []string {
		var out []string
		for _, l := range export(t, sd) {
			for _, f := range strings.Split(l, "|") {
				if strings.HasPrefix(f, "甲市") || strings.HasPrefix(f, "乙市") {
					out = append(out, f)
				}
			}
		}
		return out
	}
	for _, order := range []string{"home first", "elsewhere first"} {
		t.Run(order, func(t *testing.T) {
			a, b, prov := open(t, 1), open(t, 2), open(t, 3)
			upA, downA := lowerOf(t, a, prov, "city-a", "610100")
			upB, downB := lowerOf(t, b, prov, "city-b", "610200")
			now := time.Now()
			if r := importInto(t, a, rows("甲市决定的版本"), ingest.Options{ReceivedAt: now.Add(-2 * time.Hour)}); r.Accepted != 5 {
				t.Fatalf("import %+v", r)
			}
			// B's copy, edited, with a later stamp.
			importInto(t, b, rows("乙市改过的副本"), ingest.Options{ReceivedAt: now.Add(-time.Hour)})
			if order == "home first" {
				if got := pull(t, a, prov, "610100", "610000", upA, downA); got.Applied != 5 || got.Conflicts != 0 {
					t.Fatalf("from A: %+v", got)
				}
				if got := pull(t, b, prov, "610200", "610000", upB, downB); got.Applied != 0 || got.Conflicts != 5 {
					t.Fatalf("from B (later, not the deciding department's): %+v", got)
				}
			} else {
				if got := pull(t, b, prov, "610200", "610000", upB, downB); got.Applied != 5 || got.Conflicts != 0 {
					t.Fatalf("from B first: %+v", got)
				}
				if got := pull(t, a, prov, "610100", "610000", upA, downA); got.Applied != 5 || got.Conflicts != 5 {
					t.Fatalf("from A (older, the deciding department's): %+v", got)
				}
			}
			got := contents(prov)
			if len(got) != 5 || !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "甲市") }) ||
				slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "乙市") }) {
				t.Fatalf("province holds %q", got)
			}
			cs, err := prov.s.ListConflicts(ctx, 20)
			if err != nil || len(cs) != 5 || !cs[0].At.Before(cs[0].HeldAt) && !cs[0].HeldAt.Before(cs[0].At) {
				t.Fatalf("conflicts %+v %v", cs, err)
			}
			// A's correction, still earlier than B's copy, wins too; a
			// replay of everything changes nothing.
			importInto(t, a, rows("甲市更正的版本"), ingest.Options{ReceivedAt: now.Add(-90 * time.Minute), Reason: "录入错误"})
			if got := pull(t, a, prov, "610100", "610000", upA, downA); got.Applied != 5 {
				t.Fatalf("A's correction: %+v", got)
			}
			want := export(t, prov)
			for _, l := range want {
				if !strings.Contains(l, "|甲市更正的版本") {
					t.Fatalf("province holds %s", l)
				}
			}
			if got := pull(t, b, prov, "610200", "610000", upB, downB, true); got.Applied != 0 {
				t.Fatalf("replay of B: %+v", got)
			}
			if got := pull(t, a, prov, "610100", "610000", upA, downA, true); got.Applied != 0 {
				t.Fatalf("replay of A: %+v", got)
			}
			if !slices.Equal(export(t, prov), want) {
				t.Fatal("a replay changed the province's records")
			}
		})
	}
}
