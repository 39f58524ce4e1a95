package catalog

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for in, want := range map[string]Date{
		"2019-10-10": 20191010, "2019/10/10": 20191010, "2019.10.10": 20191010, "20191010": 20191010,
		"2024/9/5": 20240905, "2024-9-05": 20240905, "2019年10月10日": 20191010, "2019年1月2日": 20190102,
		"2019-10-10 00:00:00": 20191010, "2019-10-10T08:30:00": 20191010, "2019/10/10 8:30": 20191010,
		"2019-10-10 00:00:00.000": 20191010, "2019年10月10": 20191010, "2000-02-29": 20000229, "2099/12/31": LongTerm,
	} {
		if got, ok := ParseDate(in); !ok || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", "2019-02-29", "1900-02-29", "2019-13-01", "2019-00-10", "2019-10-00", "2019-04-31", "2019/10-10",
		"10/10/2019", "2019-10", "2019-010-10", "2019-10-100", "201910101", "2019-10-10 25:00", "2019-10-10 later",
		"2019年10月10日号", "２０１９-10-10", "2019-10-10T", "0000-01-01",
	} {
		if d, ok := ParseDate(in); ok {
			t.Errorf("ParseDate(%q) = %v, want failure", in, d)
		}
	}
}

func TestDate(t *testing.T) {
	d, ok := MakeDate(2024, time.February, 29)
	if !ok || d.String() != "2024-02-29" || d.Year() != 2024 || d.Month() != time.February || d.Day() != 29 {
		t.Errorf("%v", d)
	}
	if _, ok := MakeDate(2023, time.February, 29); ok {
		t.Error("2023-02-29")
	}
	if !d.Time().Equal(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) || Date(0).String() != "" || !Date(0).Time().IsZero() {
		t.Error("Time/String")
	}
	if DateOf(time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC).In(chinaTime)) != 20240301 {
		t.Error("DateOf in China")
	}
	if !LongTerm.IsLongTerm() || !Date(20190101).Before(20190102) {
		t.Error("LongTerm/Before")
	}
	if td := Today(); td < 20260101 || td > 21000101 {
		t.Errorf("Today %v", td)
	}
	b, _ := json.Marshal(struct{ D Date }{d})
	if string(b) != `{"D":"2024-02-29"}` {
		t.Errorf("json %s", b)
	}
	var back struct{ D Date }
	if err := json.Unmarshal(b, &back); err != nil || back.D != d {
		t.Errorf("unmarshal %v %v", back.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"2024-02-30"}`), &back); err == nil {
		t.Error("bad date unmarshalled")
	}
}
