package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/demo"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store/sqlite"
	"github.com/xinyong/xinyong/internal/store/storetest"
)

func newIntakeServer(t *testing.T, enabled bool) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir(), storetest.Keys())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	im := &ingest.Importer{Store: s, Catalog: catalog.Default(), Calendar: calendar.Default(), Hash: storetest.Keys().Hash}
	h, err := New(Options{Store: s, SiteName: "测试", Importer: im, IntakeAPI: enabled})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// penaltyObjects returns n valid 行政处罚 records keyed by exchange code.
func penaltyObjects(t *testing.T, n int) []map[string]any {
	k, _ := catalog.Default().Kind("cf")
	var out []map[string]any
	demo.Records(k, demo.RecordOptions{Seed: 11, Rows: n}, func(row []string) error {
		o := map[string]any{}
		for i, f := range k.Fields {
			if row[i] != "" {
				o[f.Code] = row[i]
			}
		}
		out = append(out, o)
		return nil
	})
	return out
}

func post(t *testing.T, url string, body any) (int, RecordsResult, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r RecordsResult
	json.Unmarshal(raw, &r)
	return resp.StatusCode, r, string(raw)
}

func TestPostRecords(t *testing.T) {
	srv := newIntakeServer(t, true)
	recs := penaltyObjects(t, 5)
	recs[1]["CF_XDR_SHXYM"] = "91350100M000100Y4Z"
	recs[3]["CF_NR_FK"] = 0.25 // a JSON number is accepted
	delete(recs[4], "CF_WSH")
	code, r, raw := post(t, srv.URL+"/api/v1/records", map[string]any{"kind": "cf", "records": recs})
	if code != 200 {
		t.Fatalf("status %d: %s", code, raw)
	}
	if r.Rows != 5 || r.Accepted != 3 || len(r.Results) != 5 {
		t.Fatalf("result %s", raw)
	}
	want := []string{"created", "rejected", "created", "created", "rejected"}
	for i, res := range r.Results {
		if res.Row != i+1 || res.Status != want[i] || (res.Status == "created") != (res.ID > 0) {
			t.Errorf("result %d: %+v, want %s", i, res, want[i])
		}
	}
	if len(r.Rejected) != 2 || r.Rejected[0].Row != 2 || r.Rejected[0].Code != "CF_XDR_SHXYM" || !strings.Contains(r.Rejected[0].Reason, "校验码") ||
		r.Rejected[1].Row != 5 || r.Rejected[1].Code != "CF_WSH" {
		t.Errorf("rejected %+v", r.Rejected)
	}
	// Sent again: nothing new.
	_, r2, raw2 := post(t, srv.URL+"/api/v1/records", map[string]any{"kind": "cf", "records": recs})
	if r2.Accepted != 0 || r2.Unchanged != 3 {
		t.Fatalf("second post %s", raw2)
	}
	// Statistics see the three records and the two rejected rows twice.
	resp, err := http.Get(srv.URL + "/api/v1/stats/intake?kind=cf")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Rows []struct{ Received, Rejected int }
	}
	json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	var received, rejected int
	for _, s := range stats.Rows {
		received += s.Received
		rejected += s.Rejected
	}
	if received != 3 || rejected != 4 {
		t.Fatalf("stats %+v", stats)
	}

	for _, bad := range []struct {
		body   any
		status int
		has    string
	}{
		{map[string]any{"kind": "zz", "records": recs}, 422, "未知的信息类别"},
		{map[string]any{"kind": "cf", "records": []any{}}, 422, ""},
		{map[string]any{"kind": "cf", "records": []any{map[string]any{"CF_WSH": []int{1}}}}, 422, "字符串或数字"},
		{map[string]any{"kind": "cf", "records": []any{map[string]any{"名称": "x"}}}, 422, "缺少必填列"},
	} {
		code, _, raw := post(t, srv.URL+"/api/v1/records", bad.body)
		if code != bad.status || !strings.Contains(raw, bad.has) {
			t.Errorf("%v: %d %s", bad.body, code, raw)
		}
	}
}

func TestPostRecordsDisabled(t *testing.T) {
	srv := newIntakeServer(t, false)
	code, _, raw := post(t, srv.URL+"/api/v1/records", map[string]any{"kind": "cf", "records": penaltyObjects(t, 1)})
	if code != 403 || !strings.Contains(raw, "--api-intake") {
		t.Fatalf("%d %s", code, raw)
	}
}
