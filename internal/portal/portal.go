// Package portal is what the public window shows: subject search, the
// credit file of a subject, record pages and the 双公示 columns, each as of a
// day, with publicity decided by package publicity. The HTML pages and the
// JSON read API both call it; it holds no HTTP.
package portal

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/objection"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/publicity"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// Errors the portal returns (wrapped); the store's ErrNotFound and
// ErrInvalid pass through.
var (
	ErrNotFound = store.ErrNotFound
	ErrInvalid  = store.ErrInvalid
)

// Service answers the portal's questions.
type Service struct {
	Store   store.Store
	Catalog *catalog.Catalog
	// Keys sign the references of subjects without a USCC (persons, sole
	// traders with a registration number) and of records, so that they
	// cannot be enumerated.
	Keys *pii.Keyring
	// Today is the current day in China (default calendar.Today).
	Today func() calendar.Date
}

func (s *Service) today() calendar.Date {
	if s.Today != nil {
		return s.Today()
	}
	return calendar.Today()
}

// AsOf parses an as_of value: "" is today; a day after today is invalid.
func (s *Service) AsOf(v string) (calendar.Date, bool, error) {
	today := s.today()
	if v == "" {
		return today, false, nil
	}
	d, err := calendar.ParseDate(v)
	if err != nil {
		return calendar.Date{}, false, fault.New(fault.Invalid, "as_of应为YYYY-MM-DD格式的日期")
	}
	if d.After(today) {
		return calendar.Date{}, false, fault.Newf(fault.Invalid, "as_of不能晚于今天（%s）", today)
	}
	return d, !d.Equal(today), nil
}

// tag is the keyed check part of a reference.
func (s *Service) tag(kind string, id int64) string {
	return hex.EncodeToString(s.Keys.Hash("portal-ref:" + kind + ":" + strconv.FormatInt(id, 10)))[:12]
}

// SubjectRef is the reference of a subject in URLs: its USCC, or for a
// subject without one a signed id ("s123-…").
func (s *Service) SubjectRef(sub credit.Subject) string {
	if sub.USCC != "" {
		return sub.USCC
	}
	return "s" + strconv.FormatInt(sub.ID, 10) + "-" + s.tag("s", sub.ID)
}

// RecordRef is the reference of a record in URLs: a signed id ("123-…").
func (s *Service) RecordRef(id int64) string {
	return strconv.FormatInt(id, 10) + "-" + s.tag("r", id)
}

// RecordID reads a record's reference.
func (s *Service) RecordID(ref string) (int64, bool) { return s.parseRef("r", ref) }

// parseRef reads "id-tag" and checks the tag for kind.
func (s *Service) parseRef(kind, ref string) (int64, bool) {
	idPart, tag, ok := strings.Cut(ref, "-")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 || tag != s.tag(kind, id) {
		return 0, false
	}
	return id, true
}

// Subject finds a subject by its reference.
func (s *Service) Subject(ctx context.Context, ref string) (credit.Subject, error) {
	if rest, ok := strings.CutPrefix(ref, "s"); ok {
		if id, ok := s.parseRef("s", rest); ok {
			return s.Store.GetSubject(ctx, id)
		}
		return credit.Subject{}, ErrNotFound
	}
	c := search.Code(ref)
	if len(c) == 18 {
		// A wrong check character is said as such, not as "not found".
		if r := code.Check(code.KindAuto, c); r.Kind == code.KindUSCC && r.Want != "" {
			return credit.Subject{}, fault.New(fault.Invalid, "统一社会信用代码“"+c+"”校验码错误："+r.DetailZH)
		}
	}
	if len(c) != 18 || code.Check(code.KindUSCC, c).Status != code.StatusValid {
		return credit.Subject{}, ErrNotFound
	}
	sub, err := s.Store.FindSubjectByCode(ctx, c)
	if err == nil && sub.USCC != c {
		return credit.Subject{}, ErrNotFound // an ID number is not a reference
	}
	return sub, err
}

// FindByCode finds a subject by a code typed by a user: a USCC,
// registration number or ID number, in any width or case.
func (s *Service) FindByCode(ctx context.Context, q string) (credit.Subject, bool, error) {
	c := search.Code(q)
	switch len(c) {
	case 18, 15:
	default:
		return credit.Subject{}, false, nil
	}
	r := code.Check(code.KindAuto, c)
	if r.Status != code.StatusValid {
		return credit.Subject{}, false, nil
	}
	sub, err := s.Store.FindSubjectByCode(ctx, c)
	if errors.Is(err, store.ErrNotFound) {
		return credit.Subject{}, true, ErrNotFound
	}
	return sub, true, err
}

// SearchPage is a page of search results.
type SearchPage struct {
	Query    string
	Page     int // 1-based
	PerPage  int
	Subjects []credit.Subject
	More     bool
}

// PerPage is the number of search results on a page.
const PerPage = 20

// MaxPage bounds paging through a search: deeper pages mean the query
// should be more precise.
const MaxPage = 50

// Search finds subjects whose name contains q (persons are never found).
func (s *Service) Search(ctx context.Context, q string, page int) (SearchPage, error) {
	page = max(page, 1)
	if page > MaxPage {
		return SearchPage{}, fault.Newf(fault.Invalid, "最多显示前%d页，请输入更完整的名称", MaxPage)
	}
	subs, err := s.Store.SearchSubjects(ctx, q, (page-1)*PerPage, PerPage+1)
	if err != nil {
		return SearchPage{}, err
	}
	p := SearchPage{Query: q, Page: page, PerPage: PerPage, Subjects: subs}
	if len(subs) > PerPage {
		p.Subjects, p.More = subs[:PerPage], true
	}
	// On the first page an exact name comes first.
	if page == 1 {
		f := search.Fold(q)
		for i, sub := range p.Subjects {
			if i > 0 && search.Fold(sub.Name) == f {
				copy(p.Subjects[1:i+1], p.Subjects[:i])
				p.Subjects[0] = sub
				break
			}
		}
	}
	return p, nil
}

// FieldValue is one public field of a record.
type FieldValue struct {
	Key   string `json:"key"`
	Code  string `json:"code"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// RecordView is a record as the public sees it on a day.
type RecordView struct {
	ID           int64
	Ref          string
	Kind         *catalog.Kind
	DecisionNo   string
	DecisionDate string
	Version      int
	State        store.RecordState
	Fields       []FieldValue
	Decision     publicity.Decision
	SubjectID    int64
	SubjectRef   string
	SubjectName  string
	SubjectClass credit.Class
	Versions     []VersionView
	// SourceDept and Private are set only by RecordInternal: the
	// supplying department's USCC and the personal fields in clear.
	SourceDept string
	Private    []FieldValue
}

// Title is the record's headline: its kind and decision number.
func (v RecordView) Title() string { return v.Kind.Name + " " + v.DecisionNo }

// Field returns the value of a field by key.
func (v RecordView) Field(key string) string {
	for _, f := range v.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// VersionView is one version in a record's history.
type VersionView struct {
	Version   int
	State     store.RecordState
	Reason    string
	ValidFrom time.Time
	ValidTo   time.Time
}

// endOf is the first instant after day d in China: what was in force "on
// d" is what was in force just before it.
func endOf(d calendar.Date) time.Time { return d.AddDays(1).Time().Add(-time.Nanosecond) }

// marks returns which of recs were under objection (marked 异议处理中) at
// the end of day on.
func (s *Service) marks(ctx context.Context, recs []store.Record, on calendar.Date) (map[int64]bool, error) {
	return objection.MarkedAt(ctx, s.Store, recs, endOf(on))
}

// view decides a record's publicity on day on. r is the version in force;
// objected: an objection to it was being handled that day. A record
// repaired (r.RepairedOn) is not public from its repair day.
func (s *Service) view(r store.Record, on calendar.Date, objected bool) (RecordView, error) {
	k, ok := s.Catalog.Kind(r.Kind)
	if !ok {
		return RecordView{}, fmt.Errorf("record %d: unknown kind %q", r.ID, r.Kind)
	}
	vals, err := store.DecodeFields(r.Fields)
	if err != nil {
		return RecordView{}, fmt.Errorf("record %d: fields: %w", r.ID, err)
	}
	first := r.FirstReceived
	if first.IsZero() {
		first = r.ReceivedAt
	}
	var repaired calendar.Date
	if r.RepairedOn != "" {
		if repaired, err = calendar.ParseDate(r.RepairedOn); err != nil {
			return RecordView{}, fmt.Errorf("record %d: repaired on: %w", r.ID, err)
		}
	}
	d := publicity.Decide(publicity.Input{
		Kind: k, Fields: vals, Received: calendar.FromTime(first), Revoked: r.State == store.StateRevoked, Objection: objected,
		Repaired: repaired,
	}, on)
	v := RecordView{ID: r.ID, Ref: s.RecordRef(r.ID), Kind: k, DecisionNo: r.DecisionNo, DecisionDate: r.DecisionDate,
		Version: r.Version, State: r.State, Decision: d, SubjectID: r.SubjectID}
	for _, f := range k.Fields {
		if val := vals[f.Key]; val != "" {
			v.Fields = append(v.Fields, FieldValue{f.Key, f.Code, f.Label(), val})
		}
	}
	return v, nil
}

// Record returns a record by reference as it was public on day on;
// ErrNotFound when it was not public then (or does not exist).
func (s *Service) Record(ctx context.Context, ref string, on calendar.Date) (RecordView, error) {
	return s.record(ctx, ref, on, false)
}

// RecordInternal returns a record by reference as it stood on day on,
// public or not, with its personal fields and supplying department: the
// view of staff entitled to read their department's records. The caller
// decides whether the reader may see it and writes the audit entry.
// IsPublic reports whether the record with this id is public today.
func (s *Service) IsPublic(ctx context.Context, id int64) (bool, error) {
	_, err := s.Record(ctx, s.RecordRef(id), s.today())
	var np ErrNotPublic
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &np), errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

func (s *Service) RecordInternal(ctx context.Context, ref string, on calendar.Date) (RecordView, error) {
	return s.record(ctx, ref, on, true)
}

func (s *Service) record(ctx context.Context, ref string, on calendar.Date, internal bool) (RecordView, error) {
	id, ok := s.parseRef("r", ref)
	if !ok {
		return RecordView{}, ErrNotFound
	}
	vs, err := s.Store.RecordVersions(ctx, id)
	if err != nil {
		return RecordView{}, err
	}
	cur, ok := store.VersionAt(vs, endOf(on))
	if !ok {
		return RecordView{}, ErrNotFound
	}
	marked, err := s.marks(ctx, []store.Record{cur}, on)
	if err != nil {
		return RecordView{}, err
	}
	v, err := s.view(cur, on, marked[cur.ID])
	if err != nil {
		return RecordView{}, err
	}
	if !v.Decision.Public && !internal {
		return v, ErrNotPublic{v.Decision}
	}
	if internal {
		v.SourceDept = cur.SourceDept
		if len(cur.Private) > 0 {
			var priv map[string]string
			if err := json.Unmarshal(cur.Private, &priv); err != nil {
				return RecordView{}, fmt.Errorf("record %d: personal fields: %w", cur.ID, err)
			}
			for _, f := range v.Kind.Fields {
				if val := priv[f.Key]; val != "" {
					v.Private = append(v.Private, FieldValue{f.Key, f.Code, f.Label(), val})
				}
			}
		}
	}
	sub, err := s.Store.GetSubject(ctx, cur.SubjectID)
	if err != nil {
		return RecordView{}, err
	}
	v.SubjectRef, v.SubjectName, v.SubjectClass = s.SubjectRef(sub), sub.Name, sub.Class
	for _, ver := range vs {
		if ver.ValidFrom.After(endOf(on)) {
			break
		}
		v.Versions = append(v.Versions, VersionView{ver.Version, ver.State, ver.StateReason, ver.ValidFrom, ver.ValidTo})
	}
	return v, nil
}

// ErrNotPublic is returned for a record that exists but was not public on
// the day asked; it says why (expired, revoked, …).
type ErrNotPublic struct{ Decision publicity.Decision }

func (e ErrNotPublic) Error() string { return "not public: " + string(e.Decision.Status) }
func (e ErrNotPublic) Is(target error) bool {
	return target == ErrNotFound
}

// Unwrap gives the error as a *fault.Error of kind Gone saying why.
func (e ErrNotPublic) Unwrap() error {
	return &fault.Error{Kind: fault.Gone, Msg: "该信息目前不予公示：" + e.Decision.Reason}
}
