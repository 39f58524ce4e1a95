package exchange

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/portal"
	"github.com/xinyong/xinyong/internal/store"
)

// Snapshots builds the daily public snapshot: every record of an
// organisation (法人和非法人组织, 政府机构) that the portal shows that day,
// one JSON line each, sorted, and its delta from the snapshot before (what
// GLEIF publishes for LEIs).
type Snapshots struct {
	Store   store.Store
	Catalog *catalog.Catalog
	Portal  *portal.Service
}

// SnapshotLine is one record of the snapshot.
type SnapshotLine struct {
	Ref          string            `json:"ref"`
	Kind         string            `json:"kind"`
	Subject      string            `json:"subject"`
	SubjectRef   string            `json:"subject_ref"`
	DecisionNo   string            `json:"decision_no,omitempty"`
	DecisionDate string            `json:"decision_date,omitempty"`
	Fields       map[string]string `json:"fields" doc:"The public fields by exchange code."`
}

// View returns the public view of day: the snapshot's lines, sorted.
func (sn *Snapshots) View(ctx context.Context, day calendar.Date) ([]string, error) {
	var lines []string
	for _, k := range sn.Catalog.Kinds() {
		var after int64
		for {
			recs, err := sn.Store.ExportRecords(ctx, k.Code, after, 2000)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				after = r.ID
				v, err := sn.Portal.Record(ctx, sn.Portal.RecordRef(r.ID), day)
				if errors.Is(err, portal.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if v.SubjectClass != credit.ClassOrg && v.SubjectClass != credit.ClassGov {
					continue
				}
				l := SnapshotLine{Ref: v.Ref, Kind: k.Code, Subject: v.SubjectName, SubjectRef: v.SubjectRef, DecisionNo: v.DecisionNo,
					DecisionDate: v.DecisionDate, Fields: map[string]string{}}
				for _, f := range v.Fields {
					code := f.Code
					if code == "" {
						code = f.Key
					}
					l.Fields[code] = f.Value
				}
				b, err := json.Marshal(l)
				if err != nil {
					return nil, err
				}
				lines = append(lines, string(b))
			}
			if len(recs) < 2000 {
				break
			}
		}
	}
	slices.Sort(lines)
	return lines, nil
}

// Take builds and stores day's snapshot and its delta from the latest
// snapshot before day.
func (sn *Snapshots) Take(ctx context.Context, day calendar.Date) (store.PublicSnapshot, error) {
	lines, err := sn.View(ctx, day)
	if err != nil {
		return store.PublicSnapshot{}, err
	}
	body := joinLines(lines)
	p := store.PublicSnapshot{Day: day.String(), Records: len(lines), SHA256: sum(body)}
	if p.Body, err = gz(body); err != nil {
		return p, err
	}
	list, err := sn.Store.ListSnapshots(ctx)
	if err != nil {
		return p, err
	}
	for _, s := range list {
		if s.Day >= p.Day {
			continue
		}
		base, err := sn.Store.GetSnapshot(ctx, s.Day)
		if err != nil {
			return p, err
		}
		old, err := gunzip(base.Body)
		if err != nil {
			return p, err
		}
		delta, added, removed := Diff(splitLines(old), lines)
		p.BaseDay, p.Added, p.Removed, p.DeltaSHA256 = s.Day, added, removed, sum(delta)
		if p.Delta, err = gz(delta); err != nil {
			return p, err
		}
		break
	}
	return p, sn.Store.PutSnapshot(ctx, p)
}

// Diff is the delta from old to cur (both sorted): "-line" for each line
// removed, then "+line" for each added, each group sorted.
func Diff(old, cur []string) (delta []byte, added, removed int) {
	var minus, plus []string
	i, j := 0, 0
	for i < len(old) || j < len(cur) {
		switch {
		case j == len(cur) || (i < len(old) && old[i] < cur[j]):
			minus = append(minus, "-"+old[i])
			i++
		case i == len(old) || cur[j] < old[i]:
			plus = append(plus, "+"+cur[j])
			j++
		default:
			i++
			j++
		}
	}
	return joinLines(append(minus, plus...)), len(plus), len(minus)
}

// Apply applies a delta to a snapshot's lines (sorted) and returns the
// lines of the later day, sorted.
func Apply(lines []string, delta []string) []string {
	gone := map[string]bool{}
	out := slices.Clone(lines)
	for _, d := range delta {
		switch {
		case strings.HasPrefix(d, "-"):
			gone[d[1:]] = true
		case strings.HasPrefix(d, "+"):
			out = append(out, d[1:])
		}
	}
	out = slices.DeleteFunc(out, func(l string) bool { return gone[l] })
	slices.Sort(out)
	return out
}

func joinLines(lines []string) []byte {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SplitLines splits a snapshot or delta body into its lines.
func SplitLines(b []byte) []string { return splitLines(b) }

func splitLines(b []byte) []string {
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func gz(b []byte) ([]byte, error) {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Gunzip opens a stored snapshot or delta body.
func Gunzip(b []byte) ([]byte, error) { return gunzip(b) }

func gunzip(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}
