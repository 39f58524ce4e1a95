// Package registry is the registration database (主体登记库) and the
// correction of bad unified social credit codes (统一社会信用代码重错码纠错):
// registration records (kind dj) applied to the registry, the rules for
// 注销 and 删除 rows, the detection of 错码, 一码多赋 and 重复赋码, the cases
// with their authority (谁赋码、谁纠错) and deadline, the figures (重错码率,
// 纠正率) and the documents (回传 file, 督促通报).
package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/deadline"
	"github.com/xinyong/xinyong/internal/store"
)

// Kind is the catalogue code of registration records.
const Kind = "dj"

// Business types (登记业务类型).
const (
	BusinessCreate = "设立"
	BusinessChange = "变更"
	BusinessCancel = "注销"
	BusinessDelete = "-1" // 删除: GB/T 36104 exchange marks a deletion -1
)

// Statuses.
const (
	StatusActive   = "存续"
	StatusCanceled = "注销"
	StatusRevoked  = "吊销"
)

// Problem types.
const (
	TypeBadCode   = "错码"
	TypeMultiHeld = "一码多赋"
	TypeDuplicate = "重复赋码"
)

// Step is the deadline engine's step of a case.
const Step = "registry.fix"

// Service runs the registry.
type Service struct {
	Store    store.Store
	Clock    deadline.Clock
	Calendar *calendar.Calendar
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// deptByName finds the 登记管理部门码 of an authority from its name when
// the row did not say it.
var deptByName = []struct{ word, code string }{
	{"编制", "1"}, {"编办", "1"}, {"民政", "5"}, {"市场监督", "9"}, {"市场监管", "9"}, {"工商", "9"}, {"行政审批", "9"},
	{"司法", "3"}, {"农业农村", "N"}, {"民族宗教", "7"}, {"民宗", "7"}, {"宗教", "7"}, {"工会", "8"}, {"侨联", "Q"},
	{"公安", "G"}, {"住房和城乡建设", "J"}, {"住建", "J"}, {"文化", "4"}, {"旅游", "6"}, {"外交", "2"}, {"外事", "2"},
}

// DeptOf returns the 登记管理部门码 of an authority: the one sent, else
// the one its name says, else "".
func DeptOf(sent, name string) string {
	if sent != "" {
		return sent
	}
	for _, d := range deptByName {
		if strings.Contains(name, d.word) {
			return d.code
		}
	}
	return ""
}

// FromRecord makes the registration a dj record states.
func FromRecord(rec store.Record) (store.Registration, error) {
	f, err := store.DecodeFields(rec.Fields)
	if err != nil {
		return store.Registration{}, fmt.Errorf("record %d: %w", rec.ID, err)
	}
	g := store.Registration{
		USCC: f["subject_uscc"], AuthorityCode: f["authority_uscc"], AuthorityName: f["authority"],
		DeptCode: DeptOf(f["reg_dept_code"], f["authority"]), Name: f["subject_name"], OrgCode: f["subject_org_code"],
		LegalRep: f["legal_rep"], Address: f["reg_address"], Region: f["reg_address_region"], Founded: f["founded_on"],
		Status: f["status"], Approval: f["approval_authority"], Business: f["reg_business"], Day: rec.DecisionDate,
		RecordID: rec.ID,
	}
	switch g.Business {
	case BusinessDelete, "删除":
		g.Status = store.RegistryStatusDeleted
	case BusinessCancel:
		if g.Status == StatusActive {
			g.Status = StatusCanceled
		}
	}
	return g, nil
}

// Holds reports whether a registration still holds its code: 存续 or 吊销
// (a revoked licence keeps the code until it is cancelled).
func Holds(g *store.Registration) bool {
	return g.Status == StatusActive || g.Status == StatusRevoked
}

// statsAfter is the size of a batch after which the planner's statistics
// are refreshed before the batch's scan looks up what it touched.
const statsAfter = 10_000

// SyncResult counts what Sync did.
type SyncResult struct {
	Batches, Registrations int
	Cases                  store.RegistrySync
}

// Sync applies every finished registration batch not applied yet (each in
// one transaction with its mark: a batch is applied once, whatever
// crashes) and scans what each batch touched, opening and closing cases.
func (s *Service) Sync(ctx context.Context) (SyncResult, error) {
	var res SyncResult
	batches, err := s.Store.PendingRegistryBatches(ctx, Kind)
	if err != nil {
		return res, err
	}
	for _, b := range batches {
		recs, err := s.Store.RegistryBatchRecords(ctx, Kind, b)
		if err != nil {
			return res, err
		}
		regs := make([]store.Registration, 0, len(recs))
		for _, rec := range recs {
			if rec.State == store.StateRevoked {
				continue
			}
			g, err := FromRecord(rec)
			if err != nil {
				return res, err
			}
			regs = append(regs, g)
		}
		applied, err := s.Store.ApplyRegistryBatch(ctx, b, regs)
		if err != nil {
			return res, err
		}
		if !applied {
			continue
		}
		res.Batches++
		res.Registrations += len(regs)
		if len(regs) >= statsAfter {
			if err := s.Store.RefreshRegistryStats(ctx); err != nil {
				return res, err
			}
		}
		sync, err := s.scanTouched(ctx, regs)
		if err != nil {
			return res, err
		}
		res.Cases.Opened += sync.Opened
		res.Cases.Closed += sync.Closed
		res.Cases.Open = sync.Open
	}
	return res, nil
}

// scanTouched runs the detection over the registrations related to those
// a batch applied and reconciles the cases of those codes.
func (s *Service) scanTouched(ctx context.Context, regs []store.Registration) (store.RegistrySync, error) {
	if len(regs) == 0 {
		return store.RegistrySync{}, nil
	}
	var codes, names, bodies []string
	touched := map[string]bool{}
	for _, g := range regs {
		codes = append(codes, g.USCC)
		touched[g.USCC] = true
		names = append(names, g.Name)
		if len(g.USCC) == 18 {
			bodies = append(bodies, g.USCC[8:16])
		}
	}
	// The other codes of open cases the batch touches are looked at too: a
	// renamed registration may no longer meet the other by name, and its
	// case must be able to close.
	open, err := s.Store.RegistryCases(ctx, store.RegistryCaseFilter{States: []string{store.CaseOpen, store.CaseWhitelistRq}})
	if err != nil {
		return store.RegistrySync{}, err
	}
	for _, c := range open {
		if slices.ContainsFunc(c.Codes, func(code string) bool { return touched[code] }) {
			codes = append(codes, c.Codes...)
		}
	}
	related, err := s.Store.RegistrationsRelated(ctx, dedupe(codes), dedupe(names), dedupe(bodies))
	if err != nil {
		return store.RegistrySync{}, err
	}
	white, err := s.Store.RegistryWhitelist(ctx)
	if err != nil {
		return store.RegistrySync{}, err
	}
	d := NewDetector()
	for i := range related {
		d.Add(&related[i])
	}
	findings := d.Findings(white)
	found, err := s.build(ctx, findings, related)
	if err != nil {
		return store.RegistrySync{}, err
	}
	scope := map[string]bool{}
	for _, g := range related {
		scope[g.USCC] = true
	}
	list := make([]string, 0, len(scope))
	for c := range scope {
		list = append(list, c)
	}
	return s.Store.SyncRegistryCases(ctx, found, list)
}

// Finding is a problem the scan found, in the JSON of `registry scan`.
type Finding struct {
	Type      string   `json:"type"`
	Codes     []string `json:"codes"`
	Authority string   `json:"authority"` // USCC of the authority that corrects, or "centre"
	Reasons   []string `json:"reasons"`
	Key       string   `json:"key"`
}

// ScanResult is a whole scan.
type ScanResult struct {
	Registrations int
	Findings      []Finding
	Cases         store.RegistrySync
	Took          time.Duration
}

// Scan runs the detection over the whole registry and reconciles every
// case with it. With record false it only reports.
func (s *Service) Scan(ctx context.Context, record bool) (ScanResult, error) {
	start := time.Now()
	var res ScanResult
	if _, err := s.Sync(ctx); err != nil {
		return res, err
	}
	white, err := s.Store.RegistryWhitelist(ctx)
	if err != nil {
		return res, err
	}
	d := NewDetector()
	if err := s.Store.Registrations(ctx, func(g *store.Registration) error {
		res.Registrations++
		d.Add(g)
		return nil
	}); err != nil {
		return res, err
	}
	findings := d.Findings(white)
	var codes []string
	for _, f := range findings {
		codes = append(codes, f.Codes...)
	}
	regs, err := s.Store.RegistrationsOf(ctx, dedupe(codes))
	if err != nil {
		return res, err
	}
	found, err := s.build(ctx, findings, regs)
	if err != nil {
		return res, err
	}
	for i, f := range found {
		res.Findings = append(res.Findings, Finding{Type: f.Type, Codes: f.Codes, Authority: f.Authority,
			Reasons: findings[i].Reasons, Key: f.Key})
	}
	if record {
		if res.Cases, err = s.Store.SyncRegistryCases(ctx, found, nil); err != nil {
			return res, err
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

func dedupe(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Catalog returns the kind's definition (for the pages' upload form).
func Catalog(c *catalog.Catalog) (*catalog.Kind, bool) { return c.Kind(Kind) }

// Follow applies new registration batches every interval until ctx ends
// (the server's follower; command-line imports sync at their end).
func (s *Service) Follow(ctx context.Context, every time.Duration, log interface {
	Error(msg string, args ...any)
}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				log.Error("registry sync", "err", err)
			}
		}
	}
}

// At is the service's present instant (its Now, else the clock's).
func (s *Service) At() time.Time { return s.now() }
