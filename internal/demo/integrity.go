package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
)

// IntegrityOptions configure IntegrityEvents.
type IntegrityOptions struct {
	Seed int64
	Rows int
	// Bodies are the government bodies the events are about (subjects of
	// class gov; others are skipped); the first few also report about the
	// others.
	Bodies []credit.Subject
	// Natures gives the natures (良好, 不良) an item may have.
	Natures func(item string) []string
	// Today is the latest event date (default 2026-11-20); events spread
	// over the Months before it (default 15), in ascending order.
	Today  time.Time
	Months int
}

// IntegrityEvents generates rows of integrity events (政务诚信信息, kind
// zwcx) in the kind's field order, valid against the catalogue, about
// demo government bodies: a mix of the 18 items, good and bad, reported by
// the bodies themselves or shared by other departments, some rectified.
// Same options, same rows.
func IntegrityEvents(kind *catalog.Kind, opts IntegrityOptions, emit func(row []string) error) error {
	var bodies []credit.Subject
	for _, s := range opts.Bodies {
		if s.Class == credit.ClassGov && s.USCC != "" {
			bodies = append(bodies, s)
		}
	}
	if len(bodies) == 0 || opts.Rows <= 0 {
		return nil
	}
	if opts.Today.IsZero() {
		opts.Today = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	}
	if opts.Months <= 0 {
		opts.Months = 15
	}
	f, ok := kind.Field("item")
	if !ok {
		return fmt.Errorf("kind %s has no item field", kind.Code)
	}
	items := f.Enum
	reporters := bodies[:min(len(bodies), 5)]
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x7a6378))
	from := opts.Today.AddDate(0, -opts.Months, 0)
	span := int(opts.Today.Sub(from)/(24*time.Hour)) + 1
	days := make([]int, opts.Rows)
	for i := range days {
		days[i] = rng.IntN(span)
	}
	slices.Sort(days)
	for i, day := range days {
		body := bodies[rng.IntN(len(bodies))]
		item := items[rng.IntN(len(items))]
		natures := []string{"良好", "不良"}
		if opts.Natures != nil {
			natures = opts.Natures(item)
		}
		nature := natures[rng.IntN(len(natures))]
		date := from.AddDate(0, 0, day)
		vals := map[string]string{
			"subject_name": body.Name, "subject_uscc": body.USCC, "item": item, "nature": nature,
			"event_date": date.Format("2006-01-02"), "description": describeEvent(item, nature),
			"decision_no": fmt.Sprintf("陕信监〔%d〕%d号", date.Year(), i+1),
		}
		rep := body
		switch x := rng.IntN(10); {
		case x < 3:
			vals["channel"] = "主动提供"
		case x < 4:
			vals["channel"] = "互联网抓取"
			vals["evidence"] = "https://news.example.cn/" + fmt.Sprint(i+1)
			rep = reporters[rng.IntN(len(reporters))]
		default:
			vals["channel"] = "信息共享"
			rep = reporters[rng.IntN(len(reporters))]
		}
		vals["source_dept"], vals["source_dept_uscc"] = rep.Name, rep.USCC
		if item == "获得荣誉表彰奖励或获评试点示范和创新事例" {
			vals["honour_level"] = []string{"国家级", "省部级", "市级", "县级"}[rng.IntN(4)]
		}
		// Some bad events are rectified within their month (a file is
		// received early the next month, and a date may not be after it).
		if left := daysLeft(date); nature == "不良" && left > 0 && rng.IntN(10) < 4 {
			if fix := date.AddDate(0, 0, 1+rng.IntN(left)); !fix.After(opts.Today) {
				vals["rectified_on"] = fix.Format("2006-01-02")
			}
		}
		row := make([]string, len(kind.Fields))
		for j, fl := range kind.Fields {
			row[j] = vals[fl.Key]
		}
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

func describeEvent(item, nature string) string {
	if nature == "良好" {
		return "经核实，" + item + "情况良好，予以记录"
	}
	return "经核实，存在" + item + "问题，已通报相关单位"
}

// daysLeft is how many days of its month follow d.
func daysLeft(d time.Time) int {
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, d.Location())
	return first.AddDate(0, 1, -1).Day() - d.Day()
}
