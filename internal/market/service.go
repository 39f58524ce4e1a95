package market

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/check"
	"github.com/xinyong/xinyong/internal/commitment"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/pii"
	"github.com/xinyong/xinyong/internal/store"
)

// Scenario is the credit check's scenario of the marketplace (lists.json):
// its measure M10 intercepts agencies on the serious lists.
const Scenario = "intermediary"

// RatingKind is the catalogue kind of a rating filed through intake.
const RatingKind = "zj"

// System is who acts when the platform does (auto-confirm, interception).
const System = "系统"

// Service runs the marketplace for principals.
//
// Who does what: an agency is a subject user (its own account); the
// operator (中介超市运维机构) is staff with market.operate over the
// organisation the agency or project chose as operator; an owner is staff
// with market.buy in the project's organisation; an industry department
// is staff with market.catalog, keeping its items.
type Service struct {
	Store store.Store
	Auth  *auth.Authorizer
	// Importer files ratings through intake (kind zj).
	Importer *ingest.Importer
	// Commitments signs the agency's integrity commitment.
	Commitments *commitment.Service
	// Checker intercepts agencies with dishonesty (scenario intermediary).
	Checker *check.Checker
	// Evaluation gives the agencies' public credit grades and scores (nil:
	// none; 择优选取 then ranks by composite score alone).
	Evaluation *evaluation.Service
	Clock      deadline.Clock
	Keys       *pii.Keyring
	Now        func() time.Time
	Rand       io.Reader // seeds (nil: crypto/rand)
	// Crash, when set, is called at the points a process may be killed
	// between two writes ("apply:signed": the commitment signed, not yet
	// stored on the application); an error stops the action there. For
	// tests of recovery.
	Crash func(point string) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) today() calendar.Date { return calendar.FromTime(s.now()) }

func (s *Service) cal() *calendar.Calendar {
	if s.Clock.Calendar != nil {
		return s.Clock.Calendar
	}
	return calendar.Default()
}

func (s *Service) audit(p auth.Principal, outcome string, subject int64) auth.AuditEntry {
	return auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditMarket, Outcome: outcome, SubjectID: subject}
}

func refuse(msg string) error { return fault.New(fault.Refused, msg) }

// errs collects field errors into one fault.Invalid.
type errs []fault.Field

func (e *errs) add(field, format string, args ...any) {
	*e = append(*e, fault.Field{Field: field, Reason: fmt.Sprintf(format, args...)})
}

func (e *errs) text(field, v string, required bool, max int) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		e.add(field, "必填")
	case utf8.RuneCountInString(v) > max:
		e.add(field, "不能超过%d个字", max)
	}
	return v
}

func (e errs) err() error {
	if len(e) == 0 {
		return nil
	}
	var b strings.Builder
	for i, f := range e {
		if i > 0 {
			b.WriteString("；")
		}
		b.WriteString(f.Field + "：" + f.Reason)
	}
	return fault.New(fault.Invalid, b.String(), e...)
}

func event(at time.Time, action string, by string, note string) Event {
	return Event{At: at, Action: action, By: by, Note: note}
}

func byName(p auth.Principal) string {
	if p.Kind == auth.System {
		return System
	}
	if p.Org.Name != "" {
		return p.Org.Name + " " + p.Name
	}
	return p.Name
}

// start starts a step's timer now.
func (s *Service) start(step string, at time.Time) deadline.Timer {
	t, err := s.Clock.Start(step, at)
	if err != nil {
		panic(err) // the steps are built in (steps.json); a missing one is a programming error
	}
	return t
}

// done closes a timer at at; a late step is named in late.
func (s *Service) done(t *deadline.Timer, at time.Time, late *[]string) {
	if t.Step == "" || !t.Done.IsZero() {
		return
	}
	t.Done = at
	if st := s.Clock.Status(*t, at); st.State == deadline.DoneLate && late != nil {
		if step, ok := s.Clock.Rules.Step(t.Step); ok {
			*late = append(*late, step.Name)
		} else if step, ok := deadline.Default().Step(t.Step); ok {
			*late = append(*late, step.Name)
		}
	}
}

// Status is a timer's status now.
func (s *Service) Status(t deadline.Timer) deadline.Status { return s.Clock.Status(t, s.now()) }

// StepName names a step.
func StepName(key string) string {
	if st, ok := deadline.Default().Step(key); ok {
		return st.Name
	}
	return key
}

// seed makes a new 32-byte seed (hex) and its hash.
func (s *Service) seed() (string, string, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", "", err
	}
	seed := hex.EncodeToString(b)
	h, err := SeedHash(seed)
	return seed, h, err
}

// Intercept runs the credit check of the marketplace's scenario for a
// subject today: the hits of measures that restrict (the rule and the
// record named), none when it may take part.
func (s *Service) Intercept(ctx context.Context, subjectID int64) ([]Hit, error) {
	if s.Checker == nil {
		return nil, nil
	}
	recs, err := s.Store.SubjectsRecords(ctx, []int64{subjectID}, s.checkKinds())
	if err != nil {
		return nil, err
	}
	res, err := s.Checker.Evaluate(Scenario, s.today(), recs)
	if err != nil {
		return nil, err
	}
	if res.Verdict != check.Punish {
		return nil, nil
	}
	var rules []string
	for _, m := range res.Measures {
		if m.Class != "reward" {
			rules = append(rules, m.Code+" "+m.Name+"（"+m.Basis+"）")
		}
	}
	var hits []Hit
	for _, l := range res.Lists {
		for _, m := range res.Measures {
			if m.Class != "reward" && slices.Contains(m.By, l.Type) {
				hits = append(hits, Hit{Rule: m.Code + " " + m.Name + "（" + m.Basis + "）", List: l.Name, Authority: l.Authority,
					DecisionNo: l.DecisionNo, Date: l.DecisionDate, RecordID: l.RecordID})
				break
			}
		}
	}
	if len(hits) == 0 && len(rules) > 0 {
		hits = append(hits, Hit{Rule: strings.Join(rules, "；"), List: strings.Join(res.Reasons, "；")})
	}
	return hits, nil
}

func (s *Service) checkKinds() []string {
	out := s.Checker.Lists.Kinds()
	for _, k := range s.Checker.Catalog.Kinds() {
		if k.Nature == catalog.NatureBad && !slices.Contains(out, k.Code) {
			out = append(out, k.Code)
		}
	}
	return out
}

func hitsText(hs []Hit) string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Text())
	}
	return strings.Join(out, "；")
}

// grade is a subject's public credit grade and score today ("" and 0 when
// not graded).
func (s *Service) grade(ctx context.Context, sub credit.Subject) (string, int, error) {
	if s.Evaluation == nil {
		return "", 0, nil
	}
	e, err := s.Evaluation.SubjectEvaluation(ctx, sub, s.today())
	if err != nil {
		if fault.KindOf(err) == fault.NotFound || errors.Is(err, evaluation.ErrNoEvaluation) {
			return "", 0, nil
		}
		return "", 0, err
	}
	return e.Grade.Grade, e.Score, nil
}

// The composite score (综合评分, 第二十九条): RatingWeight of the mean of
// the agency's ratings (0..100; NoRating before any) and GradeWeight of
// its credit grade's points, the grade the industry departments' graded
// supervision (分级分类监管) works from. Platform defaults.
const (
	RatingWeight = 60
	GradeWeight  = 40
	NoRating     = 80
)

// GradePoints are the points of a credit grade in the composite score.
var GradePoints = map[string]int{"A": 100, "B": 80, "C": 60, "D": 40, "": 70}

// Score is an agency's composite score, explained.
type Score struct {
	Ratings   int    `json:"ratings" doc:"How many ratings."`
	Mean      int64  `json:"mean" doc:"The ratings' mean, hundredths of a point (0-10000)."`
	Grade     string `json:"grade" doc:"Public credit grade (empty: not graded)."`
	EvalScore int    `json:"eval_score" doc:"Public credit evaluation score."`
	Composite int64  `json:"composite" doc:"Composite score, hundredths of a point: 60% ratings' mean (80 before any rating) + 40% grade points (A 100, B 80, C 60, D 40, ungraded 70)."`
}

// AgencyScore is the composite score of the agency with subject sub.
func (s *Service) AgencyScore(ctx context.Context, sub credit.Subject) (Score, error) {
	ps, err := s.Store.ListMarketProjects(ctx, store.MarketProjectFilter{WinnerSubjectID: sub.ID, States: []string{ProjectRated}, Limit: 10000})
	if err != nil {
		return Score{}, err
	}
	var sc Score
	var sum int64
	for _, sp := range ps {
		var p Project
		if err := json.Unmarshal(sp.Body, &p); err != nil {
			return Score{}, err
		}
		if p.Rating != nil {
			sc.Ratings++
			sum += int64(p.Rating.Total) * 100
		}
	}
	sc.Mean = NoRating * 100
	if sc.Ratings > 0 {
		sc.Mean = (sum + int64(sc.Ratings)/2) / int64(sc.Ratings)
	}
	if sc.Grade, sc.EvalScore, err = s.grade(ctx, sub); err != nil {
		return Score{}, err
	}
	sc.Composite = (sc.Mean*RatingWeight + int64(GradePoints[sc.Grade])*100*GradeWeight + 50) / 100
	return sc, nil
}

// org returns an organisation (nil error and zero when id is 0).
func (s *Service) org(ctx context.Context, id int64) (auth.Org, error) {
	if id == 0 {
		return auth.Org{}, nil
	}
	return s.Store.GetOrg(ctx, id)
}

// operates reports whether p runs the marketplace of organisation id.
func (s *Service) operates(ctx context.Context, p auth.Principal, id int64) bool {
	if !p.Staff() {
		return false
	}
	o, err := s.org(ctx, id)
	if err != nil || o.ID == 0 {
		return false
	}
	return s.Auth.Can(p, auth.MarketOperate, auth.Resource{OrgPath: o.Path})
}

// Operators are the organisations an agency or owner may choose as the
// marketplace's operator: every department with a USCC.
func (s *Service) Operators(ctx context.Context) ([]auth.Org, error) {
	orgs, err := s.Store.ListOrgs(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []auth.Org
	for _, o := range orgs {
		if o.Kind == auth.Dept && !o.Disabled && o.USCC != "" {
			out = append(out, o)
		}
	}
	return out, nil
}

func (s *Service) operatorOrg(ctx context.Context, id int64) (auth.Org, error) {
	o, err := s.org(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (o.Kind != auth.Dept || o.Disabled || o.USCC == "") {
		return auth.Org{}, fault.New(fault.Invalid, "运维机构：请选择本平台的部门", fault.Field{Field: "运维机构", Reason: "请选择本平台的部门"})
	}
	return o, err
}

// retry runs fn again when it lost a race for a document (ErrConflict).
func retry[T any](fn func() (T, error)) (T, error) {
	for i := 0; ; i++ {
		v, err := fn()
		if !errors.Is(err, store.ErrConflict) || i == 4 {
			return v, err
		}
	}
}
