package catalog

import (
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
)

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2019-10-10": "2019-10-10", "2019/10/10": "2019-10-10", "2019.10.10": "2019-10-10", "20191010": "2019-10-10",
		"2024/9/5": "2024-09-05", "2024-9-05": "2024-09-05", "2019年10月10日": "2019-10-10", "2019年1月2日": "2019-01-02",
		"2019-10-10 00:00:00": "2019-10-10", "2019-10-10T08:30:00": "2019-10-10", "2019/10/10 8:30": "2019-10-10",
		"2019-10-10 00:00:00.000": "2019-10-10", "2019年10月10": "2019-10-10", "2000-02-29": "2000-02-29",
		"2099/12/31": "2099-12-31", "0001-01-01": "0001-01-01", "9999/12/31": "9999-12-31",
	} {
		got, ok := ParseDate(in)
		if !ok || got != calendar.MustParseDate(want) || got.String() != want {
			t.Errorf("ParseDate(%q) = %#v, %v; want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", "2019-02-29", "1900-02-29", "2019-13-01", "2019-00-10", "2019-10-00", "2019-04-31", "2019/10-10",
		"10/10/2019", "2019-10", "2019-010-10", "2019-10-100", "201910101", "2019-10-10 25:00", "2019-10-10 later",
		"2019年10月10日号", "２０１９-10-10", "2019-10-10T", "0000-01-01", "00000101", "长期",
	} {
		if d, ok := ParseDate(in); ok || d != (calendar.Date{}) {
			t.Errorf("ParseDate(%q) = %#v, %v; want failure", in, d, ok)
		}
	}
	if got, want := LongTerm.String(), "2099-12-31"; got != want || LongTerm != maxAnyDate {
		t.Errorf("LongTerm = %s; want %s", got, want)
	}
}
