package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/evaluation"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// MaxSubjects bounds one check request.
const MaxSubjects = 10000

// MaxCandidates is how many name candidates a name-only query returns.
const MaxCandidates = 5

// Query is one subject asked about: by code, or by name and region.
type Query struct {
	Code   string `json:"code,omitempty" doc:"USCC, registration number or ID number; any width or case."`
	Name   string `json:"name,omitempty" doc:"Name, when there is no code."`
	Region string `json:"region,omitempty" doc:"2-6 digit division code prefix, to narrow a name."`
}

// Request is a credit check.
type Request struct {
	Scenario string  `json:"scenario" doc:"Scenario code: procurement, bidding, subsidy, honour, approval, hiring, land, credit."`
	CaseNo   string  `json:"case_no" doc:"办件编号: the case the check is made for."`
	MinScore float64 `json:"min_score,omitempty" doc:"Lowest name-match score returned (0-1); default the platform's."`
	Subjects []Query `json:"subjects"`
}

// Feature is one part of a name-match score, explained.
type Feature struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Weight  float64 `json:"weight"`
	Explain string  `json:"explain"`
}

// Subject is who was checked.
type Subject struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Class    string `json:"class"`
	USCC     string `json:"uscc,omitempty"`
	RegNo    string `json:"reg_no,omitempty"`
	MaskedID string `json:"masked_id,omitempty"`
	Region   string `json:"region,omitempty"`
}

// Bands of a name candidate.
const (
	BandMatch    = "match"
	BandPossible = "possible"
)

// Candidate is a subject found by name, scored, with its check.
type Candidate struct {
	Subject Subject `json:"subject"`
	Band    string  `json:"band" enum:"match,possible" doc:"match: at or above the minimum score, the subject the name means; possible (可能的匹配): the name differs from the subject's by one character of its core (a slip, or another firm), to be checked by hand; it never decides the verdict."`
	Score   float64 `json:"score" doc:"0-1. The match band starts at the minimum score (default 0.75; no score falls between 0.65 and 0.79); possible matches score 0.39-0.65."`
	// Diff is set for a possible match.
	Diff     *NameDiff `json:"diff,omitempty" doc:"For a possible match: how its name differs from the query."`
	Features []Feature `json:"features"`
	Result   Result    `json:"result"`
}

// NameDiff is how a possible match's name differs from the query: one edit
// of the core (the name without places and organisational forms).
type NameDiff struct {
	Kind      string `json:"kind" enum:"substitute,insert,delete,transpose" doc:"substitute: a character changed; insert: the candidate has one more; delete: the query has one more; transpose: two neighbours swapped."`
	Query     string `json:"query" doc:"The query's core."`
	Candidate string `json:"candidate" doc:"The candidate's core."`
	From      string `json:"from" doc:"The query's character(s) that differ; empty for insert."`
	To        string `json:"to" doc:"The candidate's; empty for delete."`
	Change    string `json:"change" doc:"In short: 新→信, 少“信”, 多“信”, 信华→华信."`
	Text      string `json:"text" doc:"In words: 查询“华新电子科技”与“华信电子科技”相差一字：新→信."`
}

func nameDiff(d *match.Diff) *NameDiff {
	if d == nil {
		return nil
	}
	return &NameDiff{Kind: string(d.Kind), Query: d.Query, Candidate: d.Candidate, From: d.From, To: d.To, Change: d.Change(), Text: d.String()}
}

// Item is the answer for one query.
type Item struct {
	Index      int         `json:"index" doc:"1-based position in subjects."`
	Query      Query       `json:"query"`
	Match      string      `json:"match" enum:"code,name,none" doc:"How the subject was found."`
	Subject    *Subject    `json:"subject,omitempty" doc:"The subject, when found by code."`
	Result     *Result     `json:"result,omitempty" doc:"Its check, when found by code."`
	Candidates []Candidate `json:"candidates,omitempty" doc:"Name matches at or above the minimum score, best first, each with its check; the first decides the verdict."`
	Possible   []Candidate `json:"possible,omitempty" doc:"可能的匹配, when no name reaches the match band: subjects whose name differs from the query by one character of its core, best first, each with its check, for a person to confirm (请人工核对). They never decide the verdict: the item counts as not found."`
	Error      string      `json:"error,omitempty" doc:"Why the query could not be answered."`
}

// Summary counts a check's answers.
type Summary struct {
	Subjects int `json:"subjects"`
	Punished int `json:"punished" doc:"Items answered 有惩戒措施 (by code, or the best name candidate)."`
	Rewarded int `json:"rewarded"`
	None     int `json:"none" doc:"Items answered 无限制."`
	NotFound int `json:"not_found"`
	Possible int `json:"possible" doc:"Items not found (counted in not_found) that have possible matches to check by hand."`
}

// Response is the archived answer.
type Response struct {
	ID           int64     `json:"id"`
	At           time.Time `json:"at"`
	Day          string    `json:"day" doc:"The day (China time) the lists and records were judged on."`
	Scenario     string    `json:"scenario"`
	ScenarioName string    `json:"scenario_name"`
	CaseNo       string    `json:"case_no"`
	Org          string    `json:"org" doc:"The asking organisation."`
	Actor        string    `json:"actor"`
	DataAsOf     int64     `json:"data_as_of" doc:"The newest record id the answer was made on."`
	Summary      Summary   `json:"summary"`
	Items        []Item    `json:"items"`
}

// Matcher finds name candidates (the match package over the store's name
// index): up to limit matches scoring at least min, best first, then, when
// none is in the match band, up to limit possible matches (BandPossible).
type Matcher func(ctx context.Context, name, region string, min float64, limit int) ([]MatchedSubject, error)

// MatchedSubject is a name candidate before its check.
type MatchedSubject struct {
	Subject  credit.Subject
	Band     string // BandMatch or BandPossible
	Score    float64
	Diff     *NameDiff
	Features []Feature
}

// Service runs and archives checks.
type Service struct {
	Store   store.Store
	Checker *Checker
	Match   Matcher // nil: name-only queries are answered "not found"
	// MinScore is the default minimum name-match score.
	MinScore float64
	Today    func() calendar.Date
	// Grades, when set, gives the subjects' public credit grades
	// (evaluation.Service.Briefs): each answer carries its subject's.
	Grades func(ctx context.Context, ids []int64, recs map[int64][]store.Record, day calendar.Date) (map[int64]evaluation.Brief, error)
}

// Run answers req for p, archives it with an audit entry per subject
// concerned, and returns the archived answer.
func (s *Service) Run(ctx context.Context, p auth.Principal, req Request) (Response, error) {
	sc, ok := s.Checker.Lists.Scenario(req.Scenario)
	if !ok {
		return Response{}, fault.Newf(fault.Invalid, "未知的核查场景“%s”", req.Scenario)
	}
	req.CaseNo = strings.TrimSpace(req.CaseNo)
	if req.CaseNo == "" || utf8.RuneCountInString(req.CaseNo) > 100 {
		return Response{}, fault.New(fault.Invalid, "请填写办件编号（不超过100字）")
	}
	if len(req.Subjects) == 0 || len(req.Subjects) > MaxSubjects {
		return Response{}, fault.Newf(fault.Invalid, "每次核查1至%d个主体", MaxSubjects)
	}
	min := req.MinScore
	if min <= 0 {
		min = s.MinScore
	}
	if min > 1 {
		return Response{}, fault.New(fault.Invalid, "min_score 应在0到1之间")
	}
	day := s.Today()
	asOf, err := s.Store.LastRecordID(ctx)
	if err != nil {
		return Response{}, err
	}
	res := Response{Day: day.String(), Scenario: sc.Code, ScenarioName: sc.Name, CaseNo: req.CaseNo, Org: p.Org.Name, Actor: p.String(),
		DataAsOf: asOf, Items: make([]Item, len(req.Subjects))}

	// Codes first, all at once.
	var codes []string
	for i, q := range req.Subjects {
		res.Items[i] = Item{Index: i + 1, Query: q, Match: "none"}
		q.Code = search.Code(q.Code)
		res.Items[i].Query.Code = q.Code
		switch {
		case q.Code != "":
			codes = append(codes, q.Code)
		case strings.TrimSpace(q.Name) == "":
			res.Items[i].Error = "缺少代码或名称"
		}
	}
	found, err := s.Store.FindSubjectsByCodes(ctx, codes)
	if err != nil {
		return Response{}, err
	}
	// Then names, one by one.
	named := map[int][]MatchedSubject{}
	for i, q := range req.Subjects {
		if search.Code(q.Code) != "" || strings.TrimSpace(q.Name) == "" {
			continue
		}
		if s.Match == nil {
			res.Items[i].Error = "本平台未启用按名称核查"
			continue
		}
		cands, err := s.Match(ctx, q.Name, q.Region, min, MaxCandidates)
		if errors.Is(err, store.ErrInvalid) {
			res.Items[i].Error = fault.Message(err)
			continue
		}
		if err != nil {
			return Response{}, err
		}
		named[i] = cands
	}
	// The records of every subject concerned, at once.
	var ids []int64
	seen := map[int64]bool{}
	addID := func(id int64) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, sub := range found {
		addID(sub.ID)
	}
	for _, cs := range named {
		for _, c := range cs {
			addID(c.Subject.ID)
		}
	}
	recs, err := s.Store.SubjectsRecords(ctx, ids, s.kinds())
	if err != nil {
		return Response{}, err
	}
	bySubject := map[int64][]store.Record{}
	for _, r := range recs {
		bySubject[r.SubjectID] = append(bySubject[r.SubjectID], r)
	}
	results, err := s.evaluateAll(sc.Code, day, ids, bySubject)
	if err != nil {
		return Response{}, err
	}
	if s.Grades != nil {
		grades, err := s.Grades(ctx, ids, bySubject, day)
		if err != nil {
			return Response{}, err
		}
		for id, g := range grades {
			r := results[id]
			r.Evaluation = &g
			results[id] = r
		}
	}
	evaluate := func(id int64) (Result, error) { return results[id], nil }
	var audits []auth.AuditEntry
	var measures []store.CheckMeasure
	measured := map[int]bool{}
	measure := func(item int, sub credit.Subject, r Result) {
		if measured[item] {
			return
		}
		measured[item] = true
		for _, m := range r.Measures {
			measures = append(measures, store.CheckMeasure{Item: item, SubjectID: sub.ID, Measure: m.Code})
		}
	}
	audited := map[int64]bool{}
	audit := func(sub credit.Subject, r Result) {
		if audited[sub.ID] {
			return
		}
		audited[sub.ID] = true
		audits = append(audits, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditCheck, SubjectID: sub.ID,
			Purpose: sc.Name + " " + req.CaseNo, Outcome: "ok", Detail: string(r.Verdict)})
	}
	for i := range res.Items {
		it := &res.Items[i]
		var verdict Verdict
		switch {
		case it.Query.Code != "":
			sub, ok := found[it.Query.Code]
			if !ok {
				it.Error = "未找到该代码对应的信用主体"
				if n := len(it.Query.Code); n != 18 && n != 15 {
					it.Error = fmt.Sprintf("代码“%s”有%d位：应为18位统一社会信用代码或身份证号，或15位工商注册号", it.Query.Code, n)
				}
				break
			}
			r, err := evaluate(sub.ID)
			if err != nil {
				return Response{}, err
			}
			it.Match, it.Subject, it.Result, verdict = "code", subjectOut(sub), &r, r.Verdict
			audit(sub, r)
			measure(it.Index, sub, r)
		case hasName(named, i):
			var first *MatchedSubject
			for _, c := range named[i] {
				r, err := evaluate(c.Subject.ID)
				if err != nil {
					return Response{}, err
				}
				cand := Candidate{Subject: *subjectOut(c.Subject), Band: c.Band, Score: c.Score, Diff: c.Diff, Features: c.Features, Result: r}
				if c.Band == BandPossible {
					it.Possible = append(it.Possible, cand)
				} else {
					it.Candidates = append(it.Candidates, cand)
					if first == nil {
						first = &c
					}
				}
				audit(c.Subject, r)
			}
			switch {
			case first != nil:
				it.Match, verdict = "name", it.Candidates[0].Result.Verdict
				measure(it.Index, first.Subject, it.Candidates[0].Result)
			case len(it.Possible) > 0:
				it.Error = "没有达到最低匹配分的主体；有可能的匹配（名称相差一字），请人工核对"
				res.Summary.Possible++
			default:
				it.Error = "没有达到最低匹配分的主体"
			}
		}
		switch verdict {
		case Punish:
			res.Summary.Punished++
		case Reward:
			res.Summary.Rewarded++
		case None:
			res.Summary.None++
		default:
			res.Summary.NotFound++
		}
	}
	res.Summary.Subjects = len(res.Items)
	reqJSON, _ := json.Marshal(req)
	rec := store.CheckRecord{Actor: p.String(), OrgID: p.Org.ID, Scenario: sc.Code, CaseNo: req.CaseNo, Subjects: res.Summary.Subjects,
		Punished: res.Summary.Punished, Rewarded: res.Summary.Rewarded, NotFound: res.Summary.NotFound, DataAsOf: asOf, Request: reqJSON,
		At: time.Now().UTC().Truncate(time.Microsecond)}
	res.At = rec.At
	rec.Result, err = json.Marshal(res) // without the id: it is not known yet and is a column
	if err != nil {
		return Response{}, err
	}
	rec, err = s.Store.SaveCheck(ctx, rec, measures, audits)
	if err != nil {
		return Response{}, err
	}
	res.ID = rec.ID
	return res, nil
}

// parallelFrom is the number of subjects from which evaluateAll shares the
// work among the CPUs.
const parallelFrom = 256

// evaluateAll evaluates each subject of ids on its records, among the CPUs
// when there are many (decoding 50,000 records' fields is a fifth of a
// 10,000-subject check).
func (s *Service) evaluateAll(scenario string, day calendar.Date, ids []int64, recs map[int64][]store.Record) (map[int64]Result, error) {
	res := make([]Result, len(ids))
	parts := 1
	if len(ids) >= parallelFrom {
		parts = runtime.NumCPU()
	}
	var g errgroup.Group
	for p := range parts {
		g.Go(func() error {
			for i := p; i < len(ids); i += parts {
				r, err := s.Checker.Evaluate(scenario, day, recs[ids[i]])
				if err != nil {
					return err
				}
				res[i] = r
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[int64]Result, len(ids))
	for i, id := range ids {
		out[id] = res[i]
	}
	return out, nil
}

// Decode returns the answer an archived check holds.
func Decode(rec store.CheckRecord) (Response, error) {
	var res Response
	if err := json.Unmarshal(rec.Result, &res); err != nil {
		return Response{}, fmt.Errorf("check %d: %w", rec.ID, err)
	}
	res.ID = rec.ID
	// Checks archived before the possible band had matches only.
	for i := range res.Items {
		for j := range res.Items[i].Candidates {
			if c := &res.Items[i].Candidates[j]; c.Band == "" {
				c.Band = BandMatch
			}
		}
	}
	return res, nil
}

// kinds are the record kinds a check reads: the list kinds and the bad
// kinds.
func (s *Service) kinds() []string {
	out := s.Checker.Lists.Kinds()
	for _, k := range s.Checker.Catalog.Kinds() {
		if k.Nature == catalog.NatureBad && !slices.Contains(out, k.Code) {
			out = append(out, k.Code)
		}
	}
	return out
}

func hasName(named map[int][]MatchedSubject, i int) bool {
	_, ok := named[i]
	return ok
}

func subjectOut(s credit.Subject) *Subject {
	return &Subject{ID: s.ID, Name: s.Name, Class: string(s.Class), USCC: s.USCC, RegNo: s.RegNo, MaskedID: s.MaskedID, Region: s.Region}
}

// Feedback records what p's department did about the measures of check
// id. Only the asking department (or one above it) reports.
func (s *Service) Feedback(ctx context.Context, p auth.Principal, id int64, items []store.Feedback) error {
	if len(items) == 0 || len(items) > MaxSubjects {
		return fault.Newf(fault.Invalid, "每次反馈1至%d条", MaxSubjects)
	}
	return s.Store.AddFeedback(ctx, id, items, auth.AuditEntry{Actor: p.String(), OrgID: p.Org.ID, Action: auth.AuditCheckFeedback,
		Outcome: "ok", Detail: fmt.Sprintf("%d 条措施反馈", len(items))})
}

// StatRow is a line of the monthly statistics, with names.
type StatRow struct {
	store.CheckStat
	Org         string `json:"org"`
	MeasureName string `json:"measure_name"`
}

// Stats returns the month's statistics for the organisations under
// orgPath, with the organisations' and measures' names.
func (s *Service) Stats(ctx context.Context, month, orgPath string) ([]StatRow, error) {
	if _, err := time.Parse("2006-01", month); err != nil {
		return nil, fault.New(fault.Invalid, "月份应为YYYY-MM格式")
	}
	rows, err := s.Store.CheckStats(ctx, month, orgPath)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	out := make([]StatRow, 0, len(rows))
	for _, r := range rows {
		if _, ok := names[r.OrgID]; !ok {
			if o, err := s.Store.GetOrg(ctx, r.OrgID); err == nil {
				names[r.OrgID] = o.Name
			}
		}
		row := StatRow{CheckStat: r, Org: names[r.OrgID], MeasureName: r.Measure}
		for _, m := range s.Checker.Lists.Measures {
			if m.Code == r.Measure {
				row.MeasureName = m.Name
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// MatchCandidatesRead is how many candidates a name-only query reads from
// the name index before scoring them, and how many names near it when it
// finds no match.
const MatchCandidatesRead = 100

// NameMatcher is the Matcher over a store's name index: it reads the
// candidates sharing the name's rarer bigrams and scores them with the
// match package (name, former names, form, branch, place, region). When
// none reaches the match band (match.DefaultMinScore), it also reads the
// names one character off (store.Matcher.NearCandidates) and returns the
// possible matches among all it read, after the matches at or above min:
// up to limit of each.
func NameMatcher(m store.Matcher) Matcher {
	return func(ctx context.Context, name, region string, min float64, limit int) ([]MatchedSubject, error) {
		if utf8.RuneCountInString(name) > 200 {
			return nil, fault.New(fault.Invalid, "名称过长")
		}
		subs, err := m.MatchCandidates(ctx, name, MatchCandidatesRead)
		if err != nil {
			return nil, err
		}
		byID := make(map[int64]credit.Subject, len(subs))
		cands := make([]match.Candidate, 0, len(subs))
		for _, s := range subs {
			byID[s.ID] = s
			cands = append(cands, match.CandidateOf(s))
		}
		q := match.Query{Name: name, Region: region}
		// Rank down to the match band whatever min is, to know whether
		// anything is in it; then keep those at min.
		rmin := math.Min(min, match.DefaultMinScore)
		r := match.RankBands(q, cands, rmin, limit)
		if !slices.ContainsFunc(r.Match, func(r match.Result) bool { return r.Band == match.BandMatch }) {
			near, err := m.NearCandidates(ctx, name, MatchCandidatesRead)
			if err != nil {
				return nil, err
			}
			added := false
			for _, s := range near {
				if _, ok := byID[s.ID]; !ok {
					byID[s.ID] = s
					cands = append(cands, match.CandidateOf(s))
					added = true
				}
			}
			if added {
				r = match.RankBands(q, cands, rmin, limit)
			}
		} else {
			r.Possible = nil
		}
		// Sorted by score: those at min are a prefix.
		for i, m := range r.Match {
			if m.Score < min {
				r.Match = r.Match[:i]
				break
			}
		}
		out := make([]MatchedSubject, 0, len(r.Match)+len(r.Possible))
		for _, rs := range [][]match.Result{r.Match, r.Possible} {
			for _, r := range rs {
				ms := MatchedSubject{Subject: byID[r.ID], Band: BandMatch, Score: r.Score, Diff: nameDiff(r.Diff)}
				if r.Band == match.BandPossible {
					ms.Band = BandPossible
				}
				for _, f := range r.Features {
					ms.Features = append(ms.Features, Feature{Name: f.Name, Value: f.Value, Weight: f.Weight, Explain: f.Explain})
				}
				out = append(out, ms)
			}
		}
		return out, nil
	}
}
