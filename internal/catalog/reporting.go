package catalog

import (
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
)

// Reporting rules: when a record of a kind is due at the platform, who
// decided it, and what identifies a row that failed validation. The
// reporting ledger (package ledger) and intake (package ingest) both ask
// here.

// Monthly reports whether the kind's records are reported monthly (其他信用
// 信息至少按月报送和更新, 陕发改财金〔2017〕550号 二(三)): the kind has no
// deadline in working days.
func (k *Kind) Monthly() bool { return k.Publicity.DeadlineWorkingDays <= 0 }

// Timeliness says, for a record decided on decision and received on
// received, the working days between them (WorkingDaysBetween: in
// (decision, received]) and whether it arrived late:
//
//   - a kind with deadline_working_days n (行政许可, 行政处罚: 7) is late
//     when more than n working days lie between decision and receipt;
//   - a monthly kind is late when it arrives after the last day of the
//     month following the decision's month (a decision of March is on
//     time through April 30: one monthly report after the decision).
//
// A zero decision date is never late. cal is the working-day calendar.
func (k *Kind) Timeliness(decision, received calendar.Date, cal *calendar.Calendar) (workingDays int, late bool) {
	if decision.IsZero() {
		return 0, false
	}
	wd := cal.WorkingDaysBetween(decision, received)
	if !k.Monthly() {
		return wd, wd > k.Publicity.DeadlineWorkingDays
	}
	return wd, received.After(MonthlyDue(decision))
}

// MonthlyDue is the last day on time for a monthly kind's record decided
// on d: the last day of the following month.
func MonthlyDue(d calendar.Date) calendar.Date {
	first := calendar.Date{Year: d.Year, Month: d.Month, Day: 1}
	return first.AddMonths(2).AddDays(-1)
}

// Overdue reports whether a decision of this kind taken on decision and not
// yet reported on today is past its deadline (漏报 once it is still not
// reported): Timeliness as if it arrived today.
func (k *Kind) Overdue(decision, today calendar.Date, cal *calendar.Calendar) bool {
	_, late := k.Timeliness(decision, today, cal)
	return late
}

// AuthorityKey is the key of the field with the USCC of the body that took
// the decision (许可机关, 处罚机关, 实施机关 …: by convention the field
// authority_uscc), or "" when the kind has none. A record whose deciding
// body is not its supplier was reported by someone else: the reporting
// ledger counts it against the deciding body when that body never
// reported it (瞒报).
func (k *Kind) AuthorityKey() string {
	if f, ok := k.Field("authority_uscc"); ok && f.Type == TypeUSCC {
		return f.Key
	}
	return ""
}

// FieldAt returns the field column j of the file maps to, or nil for an
// ignored column.
func (c Columns) FieldAt(j int) *Field {
	if c.kind == nil {
		return nil
	}
	for i, col := range c.col {
		if col == j {
			return &c.kind.Fields[i]
		}
	}
	return nil
}

// RowIdentity is Record.IdentityKey for a row that may have failed
// validation: the identity of the record the row meant, so that a later
// valid version of it is recognised (a return is closed when it arrives).
// Each identity entry takes the first alternative filled in the row; ok is
// false when that value itself is invalid (a wrong USCC check digit, an ID
// number that is not one), since the corrected row will carry another
// value. Values are normalized as Validate does.
func (k *Kind) RowIdentity(values []string, cols Columns, today calendar.Date, hash func(string) []byte) (string, bool) {
	if cols.kind != k {
		panic("catalog: RowIdentity called with Columns of another kind")
	}
	v, _ := k.run(values, cols, today)
	for _, alts := range k.c.identity {
		for _, a := range alts {
			raw := trimValue(v.raw(a))
			if raw == "" || k.Fields[a].Type == TypeUSCC && code.IsUSCCPlaceholder(raw) {
				continue
			}
			if v.vals[a] == "" {
				return "", false
			}
			break
		}
	}
	return Record{kind: k, vals: v.vals}.IdentityKey(hash), true
}
