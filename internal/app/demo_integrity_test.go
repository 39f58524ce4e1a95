package app

import (
	"testing"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/integrity"
)

// TestDemoIntegrityEventsValid: every demo integrity event passes the
// catalogue and the model's intake rule, and they cover good and bad
// information, self-reported and shared.
func TestDemoIntegrityEventsValid(t *testing.T) {
	t.Parallel()
	cat := catalog.Default()
	k, _ := cat.Kind(integrity.EventKind)
	m, err := integrity.Builtin(cat)
	if err != nil {
		t.Fatal(err)
	}
	var pool []credit.Subject
	err = demo.Generate(demo.Options{Seed: 3, Subjects: 3000}, func(s credit.Subject) error {
		pool = append(pool, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	seen := map[string]int{}
	n := 0
	err = demoIntegrity(k, cat, 7, 300, pool, today, func(row []string) error {
		n++
		// Validated on the day the demo's monthly file is received: the
		// first of the next month.
		event := calendar.MustParseDate(row[k.FieldIndex("event_date")])
		received := calendar.NewDate(event.Year, event.Month, 1).AddMonths(1)
		rec, errs := k.Validate(row, k.StandardColumns(), received)
		if errs == nil {
			errs = m.Rule(rec)
		}
		if errs != nil {
			t.Errorf("row %d %v: %v", n, row, errs)
			return nil
		}
		seen[rec.Get("nature")+"/"+rec.Get("channel")]++
		if rec.Get("rectified_on") != "" {
			seen["rectified"]++
		}
		return nil
	})
	if err != nil || n != 300 {
		t.Fatalf("%d rows, %v", n, err)
	}
	for _, want := range []string{"良好/主动提供", "不良/信息共享", "不良/互联网抓取", "rectified"} {
		if seen[want] == 0 {
			t.Errorf("no %s among %v", want, seen)
		}
	}
}
