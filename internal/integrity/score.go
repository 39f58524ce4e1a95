package integrity

import (
	"cmp"
	"slices"

	"github.com/xinyong/xinyong/internal/calendar"
)

// Event is one piece of integrity information about a body, as the
// platform knew it at the end of the month being scored: a reported
// integrity event (kind zwcx) or a record a source supplies.
type Event struct {
	RecordID     int64         `json:"record_id"`
	Kind         string        `json:"kind"` // zwcx, or the source's kind
	Item         string        `json:"item"`
	Nature       string        `json:"nature"` // good or bad
	Date         calendar.Date `json:"-"`      // 发生日期
	Rectified    calendar.Date `json:"-"`      // 整改或修复日期 (zero: none)
	HonourLevel  string        `json:"honour_level,omitempty"`
	Reporter     string        `json:"reporter"`      // 报送单位统一社会信用代码
	ReporterName string        `json:"reporter_name"` // 报送单位
	Received     calendar.Date `json:"-"`             // the day the platform first received it (China)
	Channel      string        `json:"channel,omitempty"`
	Description  string        `json:"description,omitempty"`
	DecisionNo   string        `json:"decision_no,omitempty"`
}

// Contribution is what one event did to a body's score in a month: the
// points of the item's rule (0 when a rule excluded it, with the reason),
// or a bonus for timely reporting (Bonus true, a line of its own).
type Contribution struct {
	RecordID  int64  `json:"record_id"`
	Kind      string `json:"kind"`
	Item      string `json:"item"`
	Dimension string `json:"dimension"` // code
	Nature    string `json:"nature"`
	Date      string `json:"date"` // 发生日期
	Points    Points `json:"points"`
	Counted   bool   `json:"counted"` // within the window and not excluded by a rule
	Bonus     bool   `json:"bonus,omitempty"`
	Rule      string `json:"rule"` // why, in Chinese
}

// DimensionScore is a body's score in one dimension.
type DimensionScore struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Full  Points `json:"full"`
	Base  Points `json:"base"`
	Good  Points `json:"good"`  // points added by good events
	Bad   Points `json:"bad"`   // points taken by bad events (negative)
	Bonus Points `json:"bonus"` // timely reporting
	Score Points `json:"score"` // base + good + bad + bonus, within 0..full
}

// Result is a body's score for a month.
type Result struct {
	Month      string           `json:"month"`
	Total      Points           `json:"total"`
	Dimensions []DimensionScore `json:"dimensions"`
	Events     []Contribution   `json:"events"`
}

// Window is the first day of the months a month's score looks at for an
// ordinary event (WindowMonths months up to and including the month) and
// for an honour of the extended levels.
func (m *Model) Window(month Month) (from, honourFrom calendar.Date) {
	return month.Add(-(m.WindowMonths - 1)).First(), month.Add(-(m.WindowMonths + m.Honour.ExtraMonths - 1)).First()
}

// Score computes a body's score for a month from its events, as the rules
// of the model say:
//
//   - an event counts when its date lies in the window (the WindowMonths
//     calendar months up to the month's last day: an event 13 months old
//     no longer counts); an honour of the extended levels (省部级 and
//     above) counts for Honour.ExtraMonths more;
//   - a bad event of the rectify classes (履约, 践诺, 拖欠) no longer counts
//     from its rectification date on;
//   - each event adds the item's good points or takes its bad points
//     (honours by level), until the item's cap; events are taken in date
//     order, then record id;
//   - a bad or good event of the timely classes that the body reported
//     itself and the platform received by the end of the month after the
//     one it happened in adds Timely.Points, up to Timely.Cap;
//   - a dimension is its base plus its points, within 0 and its full
//     marks; the total is the sum of the dimensions.
//
// Every event in the window is listed with what it did and why.
func (m *Model) Score(body Body, events []Event, month Month) Result {
	res := Result{Month: month.String(), Events: []Contribution{}}
	dims := make([]DimensionScore, len(m.Dimensions))
	for i, d := range m.Dimensions {
		dims[i] = DimensionScore{Code: d.Code, Name: d.Name, Full: d.Full, Base: d.Base}
	}
	from, honourFrom := m.Window(month)
	last := month.Last()
	evs := slices.Clone(events)
	slices.SortFunc(evs, func(a, b Event) int {
		return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.RecordID, b.RecordID), cmp.Compare(a.Kind, b.Kind))
	})
	type capKey struct {
		item string
		good bool
	}
	used := map[capKey]Points{}
	var bonusUsed Points
	for _, e := range evs {
		it, ok := m.Item(e.Item)
		if !ok || e.Date.After(last) {
			continue
		}
		good := e.Nature == Good
		extended := it.Class == ClassHonour && good && slices.Contains(m.Honour.Levels, e.HonourLevel)
		start := from
		if extended {
			start = honourFrom
		}
		if e.Date.Before(start) {
			continue
		}
		d := &dims[it.dim]
		c := Contribution{RecordID: e.RecordID, Kind: e.Kind, Item: e.Item, Dimension: d.Code, Nature: e.Nature, Date: e.Date.String()}
		rectifiable := !good && slices.Contains(m.Rectify.Classes, it.Class)
		switch {
		case rectifiable && !e.Rectified.IsZero() && !e.Rectified.After(last):
			c.Rule = "已于" + e.Rectified.String() + "整改或修复，不再作为评价依据"
		case good:
			pts, rule := it.Good, "良好信息加分"
			if it.Class == ClassHonour {
				pts, rule = it.Levels[e.HonourLevel], e.HonourLevel+"表彰奖励加分"
				if extended && e.Date.Before(from) {
					rule += "（省部级以上，评价有效期延长一年）"
				}
			}
			c.Counted = true
			c.Points, c.Rule = capped(pts, it.GoodCap, used, capKey{it.Name, true}, rule)
			d.Good += c.Points
		default:
			c.Counted = true
			pts, rule := capped(it.Bad, it.BadCap, used, capKey{it.Name, false}, "不良信息扣分")
			c.Points, c.Rule = -pts, rule
			d.Bad += c.Points
		}
		res.Events = append(res.Events, c)
		if slices.Contains(m.Timely.Classes, it.Class) && e.Reporter == body.USCC && !e.Received.IsZero() {
			due := MonthOf(e.Date).Add(m.Timely.MonthsAfter).Last()
			b := Contribution{RecordID: e.RecordID, Kind: e.Kind, Item: e.Item, Dimension: d.Code, Nature: e.Nature, Date: e.Date.String(), Bonus: true}
			if e.Received.After(due) {
				b.Rule = "本单位报送，但平台" + e.Received.String() + "才收到（应于" + due.String() + "前），不加分"
			} else {
				b.Counted = true
				var rule string
				b.Points, rule = capBonus(m.Timely.Points, m.Timely.Cap, &bonusUsed)
				b.Rule = "本单位及时报送履约践诺类信息加分（平台" + e.Received.String() + "收到）" + rule
				d.Bonus += b.Points
			}
			res.Events = append(res.Events, b)
		}
	}
	for i := range dims {
		d := &dims[i]
		d.Score = min(max(d.Base+d.Good+d.Bad+d.Bonus, 0), d.Full)
		res.Total += d.Score
	}
	res.Dimensions = dims
	return res
}

// capped takes pts from what is left under the cap of key.
func capped[K comparable](pts, limit Points, used map[K]Points, key K, rule string) (Points, string) {
	left := limit - used[key]
	switch {
	case left <= 0:
		return 0, rule + "（本事项已达上限" + limit.String() + "分，不再计分）"
	case pts > left:
		used[key] += left
		return left, rule + "（达到本事项上限" + limit.String() + "分）"
	}
	used[key] += pts
	return pts, rule
}

func capBonus(pts, limit Points, used *Points) (Points, string) {
	left := limit - *used
	switch {
	case left <= 0:
		return 0, "（加分已达上限" + limit.String() + "分）"
	case pts > left:
		*used += left
		return left, "（达到加分上限" + limit.String() + "分）"
	}
	*used += pts
	return pts, ""
}
