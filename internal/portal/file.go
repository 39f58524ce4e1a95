package portal

import (
	"context"
	"github.com/xinyong/xinyong/internal/division"
	"slices"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/store"
)

// File is a subject's credit file as public on a day.
type File struct {
	Subject credit.Subject
	Ref     string
	// USCC are the decoded parts of the subject's USCC (nil without one);
	// Province names its first two region digits.
	USCC     *code.USCCParts
	Province string
	AsOf     calendar.Date
	// Historical: AsOf is a past day, not today.
	Historical bool
	Sections   []Section
	// Registrations are the registry's facts of the subject's code (the
	// 登记注册基础信息 the registration authorities sent: registered name,
	// former names, status, legal representative, address, founding date,
	// authority), as the registry holds them now; none without a code or
	// a registration.
	Registrations []store.Registration
}

// Section is one part of a credit file.
type Section struct {
	ID      string // anchor and stable key: the kind code, or lists, commitments, evaluation
	Title   string
	Records []RecordView
	// Pending: the platform does not keep this part yet.
	Pending bool
}

// Count is the number of public entries in the section.
func (s Section) Count() int { return len(s.Records) }

// pendingSections are the parts of a credit file later applications fill.
var pendingSections = []Section{
	{ID: "commitments", Title: "信用承诺", Pending: true},
	{ID: "evaluation", Title: "信用评价", Pending: true},
}

// File returns the credit file of the subject with reference ref as it was
// public on day on (today when historical is false).
func (s *Service) File(ctx context.Context, ref string, on calendar.Date, historical bool) (File, error) {
	sub, err := s.Subject(ctx, ref)
	if err != nil {
		return File{}, err
	}
	f := File{Subject: sub, Ref: s.SubjectRef(sub), AsOf: on, Historical: historical}
	if sub.USCC != "" {
		if p, err := code.ParseUSCC(sub.USCC); err == nil {
			f.USCC = &p
		}
	}
	if len(sub.Region) >= 2 {
		if division.Known(sub.Region[:2]) {
			f.Province = division.Name(sub.Region[:2])
		}
	}
	if sub.USCC != "" {
		regs, err := s.Store.RegistrationsOf(ctx, []string{sub.USCC})
		if err != nil {
			return File{}, err
		}
		for _, g := range regs {
			if g.Status != store.RegistryStatusDeleted {
				f.Registrations = append(f.Registrations, g)
			}
		}
	}
	recs, err := s.Store.SubjectRecords(ctx, sub.ID)
	if err != nil {
		return File{}, err
	}
	marked, err := s.marks(ctx, recs, on)
	if err != nil {
		return File{}, err
	}
	byKind := map[string][]RecordView{}
	for _, r := range recs {
		if historical {
			vs, err := s.Store.RecordVersions(ctx, r.ID)
			if err != nil {
				return File{}, err
			}
			var ok bool
			if r, ok = store.VersionAt(vs, endOf(on)); !ok {
				continue
			}
		}
		v, err := s.view(r, on, marked[r.ID])
		if err != nil {
			return File{}, err
		}
		if !v.Decision.Public {
			continue
		}
		v.SubjectRef, v.SubjectName, v.SubjectClass = f.Ref, sub.Name, sub.Class
		byKind[r.Kind] = append(byKind[r.Kind], v)
	}
	for _, k := range s.Catalog.Kinds() {
		if k.Disclosure != catalog.DisclosurePublic {
			continue // never public: no section of the public file (政务诚信信息 has its own, for those entitled)
		}
		f.Sections = append(f.Sections, Section{ID: k.Code, Title: k.Name, Records: byKind[k.Code]})
	}
	f.Sections = append(f.Sections, pendingSections...)
	slices.SortStableFunc(f.Sections, func(a, b Section) int { return sectionRank(a.ID) - sectionRank(b.ID) })
	return f, nil
}

// sectionRank orders a credit file's sections as the national standard
// orders a credit report's (internal/report: 行政管理信息, 诚实守信相关荣誉
// 信息, 严重失信主体名单信息, 信用承诺信息, 信用评价信息, then other
// information), each kind in the group its records go to there.
func sectionRank(id string) int {
	switch id {
	case "xk":
		return 10
	case "cf":
		return 11
	case "jc", "sj":
		return 12
	case "qz", "qr", "gf":
		return 13
	case "hm":
		return 20
	case "jl":
		return 21
	case "sx":
		return 30
	case "commitments":
		return 50
	case "wn":
		return 51
	case "evaluation":
		return 60
	}
	return 90
}

// OwnRecords returns every current record of a subject, public or not,
// each with today's publicity decision: the subject's own view of its
// file (it sees what the public no longer sees, and why).
func (s *Service) OwnRecords(ctx context.Context, subjectID int64) ([]RecordView, error) {
	recs, err := s.Store.SubjectRecords(ctx, subjectID)
	if err != nil {
		return nil, err
	}
	today := s.today()
	marked, err := s.marks(ctx, recs, today)
	if err != nil {
		return nil, err
	}
	out := make([]RecordView, 0, len(recs))
	for _, r := range recs {
		v, err := s.view(r, today, marked[r.ID])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Column is a page of a 双公示 column.
type Column struct {
	Filter  store.RecordFilter
	Records []RecordView
	// Next is the raw offset of the next page (0: none).
	Next int
}

// maxColumnScan bounds how many stored records one column page reads
// looking for public ones.
const maxColumnScan = 2000

// Latest lists the latest public records of a kind (all kinds when
// f.Kind is ""), newest decision first. f.Offset is a raw offset: some
// stored records are skipped as not public, and Next continues after the
// last one read. Records about natural persons are never listed.
func (s *Service) Latest(ctx context.Context, f store.RecordFilter, n int) (Column, error) {
	f.Persons = false
	today := s.today()
	col := Column{Filter: f}
	off := max(f.Offset, 0)
	for scanned := 0; ; {
		f.Offset, f.Limit = off, 2*n
		recs, err := s.Store.LatestRecords(ctx, f)
		if err != nil {
			return Column{}, err
		}
		marked, err := s.marks(ctx, recs, today)
		if err != nil {
			return Column{}, err
		}
		for _, r := range recs {
			off++
			v, err := s.view(r, today, marked[r.ID])
			if err != nil {
				return Column{}, err
			}
			if !v.Decision.Public {
				continue
			}
			v.SubjectName, v.SubjectClass = r.Subject.Name, r.Subject.Class
			v.SubjectRef = s.SubjectRef(credit.Subject{ID: r.SubjectID, USCC: r.Subject.USCC})
			col.Records = append(col.Records, v)
			if len(col.Records) == n {
				col.Next = off
				return col, nil
			}
		}
		scanned += len(recs)
		if len(recs) < f.Limit {
			return col, nil
		}
		if scanned >= maxColumnScan {
			col.Next = off
			return col, nil
		}
	}
}
