package store

import (
	"context"
	"time"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/credit"
)

// Graded supervision and 双随机、一公开 inspections: what the store keeps.
// The rules (the plan's shape, the draw, who may do what) are package
// inspection's.

// SupervisionPlan is a department's graded supervision measures (分级分类
// 监管措施) as stored: the JSON of inspection.Plan.
type SupervisionPlan struct {
	OrgID     int64
	Body      []byte
	UpdatedAt time.Time
	UpdatedBy string
}

// InspectionItem is an entry of a department's list of random inspection
// matters (随机抽查事项清单).
type InspectionItem struct {
	ID      int64
	OrgID   int64
	Code    string // the department's code of the matter
	Name    string // 抽查事项
	Basis   string // 检查依据
	Created time.Time
}

// Inspector is an entry of a department's inspector pool (执法检查人员名录
// 库). Conflicts are the subjects the inspector must not inspect (回避).
type Inspector struct {
	ID        int64
	OrgID     int64
	Name      string
	Badge     string // 执法证号
	UserID    int64  // the account that enters results as this inspector (0: none)
	Active    bool
	Created   time.Time
	Conflicts []InspectorConflict
}

// InspectorConflict is a subject an inspector must not inspect.
type InspectorConflict struct {
	SubjectID int64
	Code      string // the subject's USCC or registration number
	Name      string
	Reason    string // 回避事由
}

// Task states.
const (
	TaskOpen  = "open"  // created; its seed committed, not drawn
	TaskDrawn = "drawn" // the draw is made and published
)

// InspectionTask is a 双随机 task of a department: what is inspected, in
// which population, and once drawn, the draw's inputs and counts.
type InspectionTask struct {
	ID       int64
	OrgID    int64
	Code     string // 任务编号, made by the store when the task is added
	ItemID   int64
	ItemName string // the matter's name (read with the task)
	Name     string
	// The population: subjects of Classes in Region (a prefix of the
	// division code), their names holding one of Keywords (the industry,
	// as the platform holds no industry code), and when Licensed, holding a
	// 行政许可 of the department.
	Region    string
	Keywords  []string
	Classes   []credit.Class
	Licensed  bool
	From, To  string // the inspection period, YYYY-MM-DD
	PerTarget int    // inspectors drawn per target
	State     string
	// SeedHash is the SHA-256 (hex) of the seed, published when the task is
	// created; Seed (hex) is revealed by the draw.
	SeedHash string
	Seed     string
	// The draw: the population snapshot's hash, size and listing (gzip),
	// the pool's, the ratios and counts by grade (JSON of
	// inspection.Strata), how many subjects were left out for having
	// been inspected as often as their grade allows in the year before.
	PopulationHash string
	PopulationSize int
	Population     []byte
	PoolHash       string
	Pool           []byte
	Strata         []byte
	Excluded       int
	Model          string // the evaluation model whose grades were used
	CreatedAt      time.Time
	CreatedBy      string
	DrawnAt        time.Time
	DrawnBy        string
	// Org is set by the reads: the department's name and USCC.
	OrgName, OrgUSCC string
}

// InspectionTarget is a subject drawn by a task, with the inspectors drawn
// for it and, once entered, its result.
type InspectionTarget struct {
	TaskID     int64
	Seq        int
	SubjectID  int64
	Code       string // USCC or registration number, as in the snapshot
	Name       string // the subject's name when drawn
	Grade      string // its grade in the snapshot ("-": none)
	Inspectors []int64
	// The result (检查结果), "" until entered.
	Result      string
	Findings    string
	InspectedOn string
	RecordID    int64 // the 双随机抽查结果 record filed through intake
	EnteredAt   time.Time
	EnteredBy   string
}

// PopulationFilter selects a task's population.
type PopulationFilter struct {
	Region   string
	Classes  []credit.Class
	Keywords []string
	// LicensedBy, when set, keeps subjects holding a 行政许可 (kind xk) of
	// that department (USCC).
	LicensedBy string
}

// PopulationMember is a subject of a population with its current grade.
type PopulationMember struct {
	SubjectID int64
	Code      string // USCC, or registration number without one
	Name      string
	Grade     string // "" when not evaluated
}

// TaskFilter narrows ListInspectionTasks.
type TaskFilter struct {
	OrgPath string // tasks of organisations under this path ("" all)
	State   string // "" all
	Limit   int
}

// InspectionStore keeps graded supervision plans and 双随机 inspections.
type InspectionStore interface {
	GetSupervisionPlan(ctx context.Context, orgID int64) (SupervisionPlan, error)
	PutSupervisionPlan(ctx context.Context, p SupervisionPlan, audit auth.AuditEntry) error

	AddInspectionItem(ctx context.Context, it InspectionItem, audit auth.AuditEntry) (InspectionItem, error)
	InspectionItems(ctx context.Context, orgID int64) ([]InspectionItem, error)

	AddInspector(ctx context.Context, in Inspector, audit auth.AuditEntry) (Inspector, error)
	// UpdateInspector sets an inspector's active flag and account.
	UpdateInspector(ctx context.Context, in Inspector, audit auth.AuditEntry) error
	GetInspector(ctx context.Context, id int64) (Inspector, error)
	// Inspectors lists a department's pool with each one's conflicts.
	Inspectors(ctx context.Context, orgID int64) ([]Inspector, error)
	// SetInspectorConflict adds (or with remove, removes) a subject the
	// inspector must not inspect.
	SetInspectorConflict(ctx context.Context, inspectorID int64, c InspectorConflict, remove bool, audit auth.AuditEntry) error

	// AddInspectionTask stores a new task (its code made here: SJ, the
	// department's region, the day and a sequence number).
	AddInspectionTask(ctx context.Context, t InspectionTask, audit auth.AuditEntry) (InspectionTask, error)
	GetInspectionTask(ctx context.Context, id int64) (InspectionTask, error)
	ListInspectionTasks(ctx context.Context, f TaskFilter) ([]InspectionTask, error)
	// SaveInspectionDraw stores a draw: the task's draw fields and its
	// targets, if the task is still open (else ErrConflict).
	SaveInspectionDraw(ctx context.Context, t InspectionTask, targets []InspectionTarget, audit auth.AuditEntry) error
	InspectionTargets(ctx context.Context, taskID int64) ([]InspectionTarget, error)
	// SaveInspectionResult stores a target's result.
	SaveInspectionResult(ctx context.Context, t InspectionTarget, audit auth.AuditEntry) error
	// InspectionPopulation reads the subjects of a population with their
	// current grades, ordered by code.
	InspectionPopulation(ctx context.Context, f PopulationFilter) ([]PopulationMember, error)
	// InspectedSince counts, per subject, the targets of the department's
	// tasks drawn after since.
	InspectedSince(ctx context.Context, orgID int64, since time.Time) (map[int64]int, error)
}
