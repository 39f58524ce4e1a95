package complaint

import "testing"

func TestLabels(t *testing.T) {
	for _, o := range Outcomes {
		if o.Label() == string(o) {
			t.Errorf("outcome %s has no label", o)
		}
	}
	for _, s := range States {
		if s.Label() == string(s) {
			t.Errorf("state %s has no label", s)
		}
	}
	if (Stats{OnTime: 3, Late: 1}).OnTimeRate() != "75.0%" || (Stats{}).OnTimeRate() != "—" {
		t.Error("on-time rate")
	}
}
