package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// MaxWatchCodes is how many subjects one POST /api/v1/watchlist adds.
const MaxWatchCodes = 10000

// FeedSubject is a subject as the watchlist and the change feed show it.
type FeedSubject struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Class    string `json:"class" doc:"org, sole, gov or person."`
	USCC     string `json:"uscc,omitempty"`
	RegNo    string `json:"reg_no,omitempty"`
	MaskedID string `json:"masked_id,omitempty" doc:"A person's ID number, masked."`
	Region   string `json:"region,omitempty" doc:"6-digit administrative division code."`
}

func feedSubject(s credit.Subject) FeedSubject {
	return FeedSubject{ID: s.ID, Name: s.Name, Class: string(s.Class), USCC: s.USCC, RegNo: s.RegNo, MaskedID: s.MaskedID, Region: s.Region}
}

// WatchItem is one watch of the organisation.
type WatchItem struct {
	ID      int64        `json:"id"`
	Subject *FeedSubject `json:"subject,omitempty" doc:"The subject watched (a subject watch)."`
	Region  string       `json:"region,omitempty" doc:"The region watched (a region watch): every subject whose region code starts with these 2 to 6 digits."`
	Created time.Time    `json:"created_at"`
}

// WatchlistOutput is the organisation's watchlist.
type WatchlistOutput struct {
	Body struct {
		Watches []WatchItem `json:"watches"`
	}
}

// WatchAddInput is the body of POST /api/v1/watchlist.
type WatchAddInput struct {
	Body struct {
		Subjects []string `json:"subjects,omitempty" maxItems:"10000" doc:"Up to 10,000 subjects by USCC, registration number or ID number."`
		Region   string   `json:"region,omitempty" pattern:"^[0-9]{2,6}$" doc:"A region prefix of 2 to 6 digits (6101: 西安市 and its districts)."`
	}
}

// UnknownCode is a code that named no subject, and why.
type UnknownCode struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// WatchAddOutput says what a POST added.
type WatchAddOutput struct {
	Body struct {
		Added   int           `json:"added" doc:"Watches added; a subject or region watched already is not added again."`
		Unknown []UnknownCode `json:"unknown" doc:"The codes that named no subject, each with the reason."`
	}
}

// WatchIDInput names a watch.
type WatchIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// ChangesInput is the query of GET /api/v1/changes.
type ChangesInput struct {
	Since int64 `query:"since" minimum:"0" doc:"The cursor: next of the previous page; 0 (or absent) reads from the first event."`
	Limit int   `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Most events returned."`
}

// ChangeItem is one event of the feed.
type ChangeItem struct {
	Seq      int64       `json:"seq" doc:"The event's place in the feed: gap-free and in commit order."`
	At       time.Time   `json:"at"`
	Type     string      `json:"type" enum:"list_entry,list_exit,bad_record,repair,repair_revoked,grade" doc:"list_entry: put on a list (or back in force); list_exit: exited or the entry revoked; bad_record: a new record of a bad kind (a penalty); repair: a record repaired (信用修复); repair_revoked: a repair revoked after a failed re-check (抽查复核), the record public again; grade: the subject's public credit grade (公共信用综合评价) changed (grade_from, grade_to; record_id 0)."`
	Subject  FeedSubject `json:"subject"`
	RecordID int64       `json:"record_id"`
	Kind     string      `json:"kind" doc:"The record's catalogue kind: sx, hm, cf, …"`
	ListType string      `json:"list_type,omitempty" doc:"The list's name, for list events."`
	// GradeFrom and GradeTo are set for grade events.
	GradeFrom string `json:"grade_from,omitempty" doc:"A grade event: the grade before."`
	GradeTo   string `json:"grade_to,omitempty" doc:"A grade event: the grade now."`
	Summary   string `json:"summary" doc:"The event in words (Chinese)."`
}

// ChangesOutput is a page of the feed.
type ChangesOutput struct {
	Body struct {
		Changes []ChangeItem `json:"changes"`
		Next    int64        `json:"next" doc:"The cursor to resume from (since=next): it advances past events examined even when none matched."`
	}
}

func (s *Server) registerChanges() {
	huma.Register(s.api, huma.Operation{
		OperationID: "get-watchlist",
		Method:      "GET",
		Path:        "/api/v1/watchlist",
		Summary:     "The organisation's watched subjects and regions",
		Description: "Requires an API key with the checks:run scope or a signed-in checker; the watchlist is the organisation's.",
		Tags:        []string{"changes"},
		Security:    secSignedIn,
		Errors:      with(errsRead, http.StatusForbidden),
	}, func(ctx context.Context, _ *struct{}) (*WatchlistOutput, error) {
		p, err := s.watcher(ctx)
		if err != nil {
			return nil, err
		}
		ws, err := s.opts.Store.ListWatches(ctx, p.Org.ID)
		if err != nil {
			return nil, err
		}
		out := &WatchlistOutput{}
		out.Body.Watches = make([]WatchItem, 0, len(ws))
		for _, w := range ws {
			it := WatchItem{ID: w.ID, Region: w.Region, Created: w.Created}
			if w.SubjectID != 0 {
				sub := feedSubject(w.Subject)
				it.Subject = &sub
			}
			out.Body.Watches = append(out.Body.Watches, it)
		}
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "post-watchlist",
		Method:      "POST",
		Path:        "/api/v1/watchlist",
		Summary:     "Watch subjects, or every subject of a region",
		Description: "Either subjects (up to 10,000 codes: USCC, registration number or ID number; each unknown code is reported) " +
			"or a region prefix. Their list entries, exits, new penalties and repairs then appear in GET /api/v1/changes.",
		Tags:         []string{"changes"},
		Security:     secSignedIn,
		Errors:       errsBody,
		MaxBodyBytes: 1 << 20,
	}, func(ctx context.Context, in *WatchAddInput) (*WatchAddOutput, error) {
		p, err := s.watcher(ctx)
		if err != nil {
			return nil, err
		}
		if (len(in.Body.Subjects) > 0) == (in.Body.Region != "") {
			return nil, fault.New(fault.Invalid, "请提供subjects（主体代码）或region（行政区划代码）之一")
		}
		out := &WatchAddOutput{}
		out.Body.Unknown = []UnknownCode{}
		var ws []store.Watch
		if in.Body.Region != "" {
			ws = append(ws, store.Watch{OrgID: p.Org.ID, Region: in.Body.Region})
		} else {
			var codes []string
			seen := map[string]bool{}
			for _, c := range in.Body.Subjects {
				c = search.Code(c)
				switch {
				case seen[c]:
					continue
				case len(c) != 15 && len(c) != 18:
					out.Body.Unknown = append(out.Body.Unknown, UnknownCode{Code: c, Reason: "代码应为18位统一社会信用代码、身份证号码或15位注册号"})
				default:
					codes = append(codes, c)
				}
				seen[c] = true
			}
			found, err := s.opts.Store.FindSubjectsByCodes(ctx, codes)
			if err != nil {
				return nil, err
			}
			ids := map[int64]bool{}
			for _, c := range codes {
				sub, ok := found[c]
				if !ok {
					out.Body.Unknown = append(out.Body.Unknown, UnknownCode{Code: c, Reason: "平台未收录该主体"})
					continue
				}
				if !ids[sub.ID] {
					ids[sub.ID] = true
					ws = append(ws, store.Watch{OrgID: p.Org.ID, SubjectID: sub.ID})
				}
			}
		}
		n, err := s.opts.Store.AddWatches(ctx, ws)
		if err != nil {
			return nil, err
		}
		out.Body.Added = n
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID:   "delete-watch",
		Method:        "DELETE",
		Path:          "/api/v1/watchlist/{id}",
		Summary:       "Stop watching a subject or region",
		Tags:          []string{"changes"},
		Security:      secSignedIn,
		Errors:        with(errsGuarded, http.StatusNotFound),
		DefaultStatus: 204,
	}, func(ctx context.Context, in *WatchIDInput) (*struct{}, error) {
		p, err := s.watcher(ctx)
		if err != nil {
			return nil, err
		}
		err = s.opts.Store.RemoveWatch(ctx, p.Org.ID, in.ID)
		if errors.Is(err, fault.NotFound) {
			return nil, fault.Wrap(fault.NotFound, err, "没有这项订阅")
		}
		return nil, err
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "get-changes",
		Method:      "GET",
		Path:        "/api/v1/changes",
		Summary:     "Changes about watched subjects, in order and resumable",
		Description: "The list entries, exits, new penalties and repairs of the subjects the organisation watches (directly or by region), " +
			"in the order they were stored. Resume with since=next: a page never repeats nor skips an event, and next advances " +
			"even when nothing matched. Every page that returns events is recorded in the audit trail.",
		Tags:     []string{"changes"},
		Security: secSignedIn,
		Errors:   errsGuarded,
	}, func(ctx context.Context, in *ChangesInput) (*ChangesOutput, error) {
		p, err := s.watcher(ctx)
		if err != nil {
			return nil, err
		}
		evs, next, err := s.opts.Store.ChangesFor(ctx, p.Org.ID, in.Since, in.Limit)
		if err != nil {
			return nil, err
		}
		if len(evs) > 0 {
			// A read about the watched subjects: recorded before it is
			// answered (one entry per page).
			if _, err := s.mustAudit(ctx, p, auth.AuditEntry{Action: auth.AuditWatch, Outcome: "ok",
				Target: fmt.Sprintf("changes:%d-%d", evs[0].Seq, evs[len(evs)-1].Seq), Detail: fmt.Sprintf("关注主体变动%d条", len(evs))}); err != nil {
				return nil, fmt.Errorf("audit trail: %w", err)
			}
		}
		out := &ChangesOutput{}
		out.Body.Next = next
		out.Body.Changes = make([]ChangeItem, len(evs))
		for i, e := range evs {
			out.Body.Changes[i] = ChangeItem{Seq: e.Seq, At: e.At, Type: string(e.Type), Subject: feedSubject(e.Subject), RecordID: e.RecordID,
				Kind: e.Kind, ListType: e.ListType, GradeFrom: e.GradeFrom, GradeTo: e.GradeTo, Summary: s.changeSummary(e)}
		}
		return out, nil
	})
}

// watcher returns the principal if it may keep a watchlist and read the
// feed (check.run over its own organisation); a refusal otherwise.
func (s *Server) watcher(ctx context.Context) (auth.Principal, error) {
	p := principalFrom(ctx)
	d := s.decide(p, auth.CheckRun, auth.Resource{OrgPath: p.Org.Path})
	if d.Allow && p.Org.ID != 0 {
		return p, nil
	}
	return p, fault.New(fault.Refused, "无权订阅主体变动："+d.Reason)
}

// changeSummary says what an event reports, in Chinese.
func (s *Server) changeSummary(e store.ChangeEvent) string {
	var out string
	switch e.Type {
	case store.ChangeListEntry:
		out = "列入“" + e.ListType + "”"
	case store.ChangeListExit:
		out = "不再列入“" + e.ListType + "”（已移出或列入决定已撤销）"
	case store.ChangeBadRecord:
		out = "新增" + s.kindName(e.Kind) + "信息"
	case store.ChangeRepair:
		out = s.kindName(e.Kind) + "信息已信用修复"
	case store.ChangeRepairRevoked:
		out = s.kindName(e.Kind) + "信息的信用修复经抽查复核撤销，恢复公示"
	case store.ChangeGrade:
		out = "公共信用综合评价等级由" + e.GradeFrom + "级调整为" + e.GradeTo + "级"
	default:
		out = string(e.Type)
	}
	if e.DecisionNo != "" {
		out += "，文书号" + e.DecisionNo
	}
	return out
}

// kindName is a record kind's name in the configured catalogue.
func (s *Server) kindName(code string) string {
	if s.opts.Portal != nil && s.opts.Portal.Catalog != nil {
		if k, ok := s.opts.Portal.Catalog.Kind(code); ok {
			return k.Name
		}
	}
	if s.opts.Importer != nil && s.opts.Importer.Catalog != nil {
		if k, ok := s.opts.Importer.Catalog.Kind(code); ok {
			return k.Name
		}
	}
	return code
}
