package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/code"
)

// Nature says whether a kind's records are neutral facts about a subject,
// to its credit, or against it.
type Nature string

const (
	NatureBasic Nature = "basic" // 基础信息: neutral facts (registrations, licences)
	NatureGood  Nature = "good"  // 良好信息: honours, rewards
	NatureBad   Nature = "bad"   // 不良信息 / 失信信息: penalties, listings
)

// Disclosure is the default disclosure level of a kind's records.
type Disclosure string

const (
	DisclosurePublic     Disclosure = "public"     // 公开
	DisclosureShared     Disclosure = "shared"     // 政务共享
	DisclosureAuthorised Disclosure = "authorised" // 授权查询
)

// Requirement says when a field must be filled.
type Requirement string

const (
	Always      Requirement = "always"      // 必填
	Optional    Requirement = "optional"    // 选填
	Conditional Requirement = "conditional" // 必填 when the field's When condition holds
)

// FieldType is one of a small closed set of value types, each implemented
// in Go (see doc.go for the rules of each).
type FieldType string

const (
	TypeText           FieldType = "text"              // free text up to max_len characters
	TypeEnum           FieldType = "enum"              // one of Enum (after EnumAliases)
	TypeMultiEnum      FieldType = "multi_enum"        // one or more of Enum separated by ；;、,，
	TypeDate           FieldType = "date"              // a calendar date
	TypeDateOrLongTerm FieldType = "date_or_long_term" // a date; 2099-12-31 or 长期 mean long-term
	TypeDecimal        FieldType = "decimal"           // a non-negative decimal amount in Unit
	TypeUSCC           FieldType = "uscc"              // 统一社会信用代码 (GB 32100)
	TypeOrgCode        FieldType = "org_code"          // 组织机构代码 (GB 11714)
	TypeGS15           FieldType = "gs15"              // 工商注册号 (GS 15)
	TypeIDType         FieldType = "id_type"           // 证件类型, built-in values
	TypeIDNumber       FieldType = "id_number"         // 证件号码; a 公民身份号码 when the type is 身份证
)

const (
	maxFields           = 256
	maxEnumItems        = 16 // most items in one multi_enum value
	defaultDecimalScale = 6
)

// IDTypes returns the built-in values of the id_type field type (domain
// facts 1.4); "其他-…" is accepted besides.
func IDTypes() []string { return slices.Clone(idTypes) }

var (
	idTypes = []string{"身份证", "护照号", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "外国人永久居留身份证"}
	// idTypeAliases are spellings seen in practice for the same documents.
	idTypeAliases = map[string]string{
		"居民身份证": "身份证", "公民身份证": "身份证", "身份证号": "身份证", "身份证号码": "身份证",
		"中华人民共和国居民身份证": "身份证", "护照": "护照号",
	}
)

// IDTypeRIC is the id_type value under which an id_number field must be a
// valid 公民身份号码 (GB 11643).
const IDTypeRIC = "身份证"

// Kind is one kind of record in the catalogue (行政许可, 行政处罚, …),
// loaded from a data file by LoadKind. Its exported fields are the
// definition as written (see doc.go); do not modify a Kind after loading.
type Kind struct {
	Code       string     `json:"code"`            // short stable id: "xk", "cf"
	Name       string     `json:"name"`            // Chinese name: "行政许可"
	Nature     Nature     `json:"nature"`          // basic, good or bad
	Disclosure Disclosure `json:"disclosure"`      // default disclosure level
	Basis      string     `json:"basis,omitempty"` // the standard or rule the fields come from
	Note       string     `json:"note,omitempty"`
	Publicity  Publicity  `json:"publicity"`
	// Identity lists what identifies a record across sends: field keys,
	// each entry either one key or alternatives "a|b|c" meaning the first
	// of them that is filled (a uscc field holding the placeholder counts
	// as not filled).
	Identity     []string   `json:"identity"`
	DecisionNo   string     `json:"decision_no,omitempty"` // key of the decision document number field
	DecisionDate string     `json:"decision_date"`         // key of the decision date field
	SourceDept   SourceDept `json:"source_dept"`
	// RowNature, when set, makes each record's nature that of one of its
	// fields (信息性质 of an integrity event, good or bad row by row);
	// Nature is then the kind's as a whole (basic: neither).
	RowNature *RowNature `json:"row_nature,omitempty"`
	Fields    []Field    `json:"fields"`

	c *compiled
}

// RowNature maps the values of an enum field to a record's nature.
type RowNature struct {
	Field string   `json:"field"` // key of an enum field
	Good  []string `json:"good"`  // values that make a record good
	Bad   []string `json:"bad"`   // values that make a record bad
}

// SourceDept names the fields of the department that supplied a record.
type SourceDept struct {
	Name string `json:"name"` // key of the text field with the department's name
	USCC string `json:"uscc"` // key of the uscc field with its code
}

// Publicity is how long a kind's records are shown on the portal.
type Publicity struct {
	// DeadlineWorkingDays: a record must be published within this many
	// working days of its decision date (0: no deadline). 双公示: 7
	// (发改办财金〔2018〕424号).
	DeadlineWorkingDays int `json:"deadline_working_days,omitempty"`
	// From is the key of the date field the windows count from.
	From string `json:"from,omitempty"`
	// Until is the key of a date field through which the sender asks the
	// record to be shown (公示截止期), or "".
	Until string `json:"until,omitempty"`
	// Exit is the key of a date field from which the record is no longer
	// shown (a list entry's 移出日期), or "".
	Exit string `json:"exit,omitempty"`
	// Windows are the publicity windows by severity, in months from From.
	// None means the catalogue sets no window for the kind.
	Windows []Window `json:"windows,omitempty"`
	// SeverityRules decide a record's severity (轻微 / 一般 / 严重): the
	// first rule that matches wins; DefaultSeverity applies when none does.
	// Required (the default at least) when Windows has more than one entry.
	SeverityRules   []SeverityRule `json:"severity_rules,omitempty"`
	DefaultSeverity string         `json:"default_severity,omitempty"`
	// NoEarlyRepair lists the records whose publicity credit repair may
	// never end early: a record matching any rule is shown until its
	// window ends (package repair). Requires Windows.
	NoEarlyRepair []NoEarlyRepairRule `json:"no_early_repair,omitempty"`
	Basis         string              `json:"basis,omitempty"`
}

// NoEarlyRepairRule matches records that cannot be repaired before their
// publicity ends: the items of Field (an enum or multi_enum field, split
// with SplitItems) include one of AnyOf.
type NoEarlyRepairRule struct {
	Field string   `json:"field"`
	AnyOf []string `json:"any_of"`
	// Basis says why: shown to the subject who asks about repair.
	Basis string `json:"basis"`
}

// Matches reports whether a record with the given normalized field values
// matches the rule.
func (r NoEarlyRepairRule) Matches(fields map[string]string) bool {
	return slices.ContainsFunc(SplitItems(fields[r.Field]), func(it string) bool { return slices.Contains(r.AnyOf, it) })
}

// SeverityRule classifies records: it matches when every condition it
// sets holds (an empty condition holds).
type SeverityRule struct {
	Severity string `json:"severity"` // minor, general or serious
	// Field is the key of an enum or multi_enum field the item conditions
	// look at (e.g. penalty_category).
	Field string `json:"field,omitempty"`
	// AnyOf: at least one item of Field is in the list.
	AnyOf []string `json:"any_of,omitempty"`
	// OnlyOf: Field is filled and every item of it is in the list.
	OnlyOf []string `json:"only_of,omitempty"`
	// Amounts are keys of decimal fields whose sum the amount conditions
	// compare (missing values count as 0).
	Amounts []string `json:"amounts,omitempty"`
	// AmountAtLeast / AmountAtMost bound the sum of Amounts (in the
	// fields' unit, 万元 for 行政处罚); nil sets no bound.
	AmountAtLeast *float64 `json:"amount_at_least,omitempty"`
	AmountAtMost  *float64 `json:"amount_at_most,omitempty"`
	// Domains are words of which one must occur in one of DomainFields
	// (e.g. 应急管理 in the deciding authority's name).
	Domains      []string `json:"domains,omitempty"`
	DomainFields []string `json:"domain_fields,omitempty"`
	// Basis says why: shown to the public next to the class.
	Basis string `json:"basis"`
}

// Window is a publicity window for one severity, in whole months counted
// from the Publicity.From date.
type Window struct {
	Severity  string `json:"severity"`   // minor, general or serious (轻微 / 一般 / 严重)
	MinMonths int    `json:"min_months"` // shortest publicity: repair cannot end it earlier
	// MaxMonths: publicity ends after this many months; 0 means records of
	// this severity are not published at all.
	MaxMonths int `json:"max_months"`
}

// Window returns the window for a severity.
func (p Publicity) Window(severity string) (Window, bool) {
	for _, w := range p.Windows {
		if w.Severity == severity {
			return w, true
		}
	}
	return Window{}, false
}

// Field is one field of a kind.
type Field struct {
	Key     string    `json:"key"`               // stable snake_case id, the same for the same concept in every kind
	Code    string    `json:"code"`              // exchange code, e.g. CF_XDR_MC
	Name    string    `json:"name"`              // Chinese name as in the standard
	Aliases []string  `json:"aliases,omitempty"` // other header spellings
	Type    FieldType `json:"type"`
	// Required is always, optional or conditional; conditional fields
	// are required when When holds.
	Required Requirement `json:"required"`
	When     *Condition  `json:"when,omitempty"`
	// Enum values (enum, multi_enum) and aliases mapping other spellings
	// to one of them.
	Enum        []string          `json:"enum,omitempty"`
	EnumAliases map[string]string `json:"enum_aliases,omitempty"`
	// OtherSpec (enum, multi_enum) also accepts "其他" followed by a
	// specification: 其他-备案, 其他：…, 其他（…）.
	OtherSpec bool `json:"other_spec,omitempty"`
	// MaxLen is the longest value in characters (required for text and
	// id_number; other types have a default).
	MaxLen int `json:"max_len,omitempty"`
	// Unit (decimal) is the unit the amount is expressed in, e.g. 万元;
	// Scale the most decimal places (default 6).
	Unit  string `json:"unit,omitempty"`
	Scale *int   `json:"scale,omitempty"`
	// IDTypeField (id_number) is the key of the id_type field that says
	// which document the number belongs to; without it the number must be
	// a 公民身份号码.
	IDTypeField string `json:"id_type_field,omitempty"`
	// PlaceholderWhen (uscc) accepts the placeholder 00000000000000000X
	// when the condition holds; without it the placeholder is refused.
	PlaceholderWhen *Condition `json:"placeholder_when,omitempty"`
	// NotBefore (dates) lists date fields this date may not precede.
	NotBefore []string `json:"not_before,omitempty"`
	// NotFuture (dates): the date may not be after the day of validation.
	NotFuture bool `json:"not_future,omitempty"`
	// MinDate (dates, YYYY-MM-DD): earliest date accepted (default
	// 1900-01-01).
	MinDate string `json:"min_date,omitempty"`
	// Default (optional text and enum fields) is the value a row gets when
	// its cell is empty or the file has no such column: an interface
	// whose senders never fill the field (监测对象类别 of a government
	// body) still reads it.
	Default string `json:"default,omitempty"`
	// Categories (uscc) lists the accepted first two characters of the
	// code (登记管理部门码 and 机构类别码, e.g. 11 机关); empty accepts
	// every category.
	Categories []string `json:"categories,omitempty"`
	Note       string   `json:"note,omitempty"`
}

// Condition is a test on the values of a row. Exactly one of these forms:
//
//	{"field": "k", "in": ["a", "b"]}      the field's value is one of these
//	{"field": "k", "not_in": ["a", "b"]}  the field is filled and its value is none of these
//	{"field": "k", "present": true}       the field is filled (false: it is empty)
//	{"all": [cond, …]}                    every condition holds
//	{"any": [cond, …]}                    at least one holds
//
// Values are compared after normalization (enum aliases resolved); for a
// multi_enum field, in/not_in look at each of its items (in: any item is
// listed; not_in: no item is listed). A field whose value is invalid
// counts as empty for in/not_in; present looks at the raw value.
type Condition struct {
	Field   string      `json:"field,omitempty"`
	In      []string    `json:"in,omitempty"`
	NotIn   []string    `json:"not_in,omitempty"`
	Present *bool       `json:"present,omitempty"`
	All     []Condition `json:"all,omitempty"`
	Any     []Condition `json:"any,omitempty"`
}

// DefinitionError lists what is wrong with a kind's definition.
type DefinitionError struct {
	Kind     string   // the kind's code as written, may be ""
	Problems []string // simplified Chinese, one per problem
}

func (e *DefinitionError) Error() string {
	return fmt.Sprintf("信息类别“%s”的定义有误：%s", e.Kind, strings.Join(e.Problems, "；"))
}

// LoadKind reads a kind's definition (JSON, see doc.go) and checks it.
// The error is a *DefinitionError listing every problem found, or a JSON
// syntax error.
func LoadKind(r io.Reader) (*Kind, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("读取信息类别定义失败：%w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var k Kind
	if err := dec.Decode(&k); err != nil {
		return nil, fmt.Errorf("信息类别定义不是合法的JSON：%w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("信息类别定义在JSON对象之后还有多余内容")
	}
	if err := k.compile(); err != nil {
		return nil, err
	}
	return &k, nil
}

// Field returns the field with the given key.
func (k *Kind) Field(key string) (*Field, bool) {
	if k.c == nil {
		return nil, false
	}
	i, ok := k.c.index[key]
	if !ok {
		return nil, false
	}
	return &k.Fields[i], true
}

// FieldIndex returns the index in Fields of the field with the given key,
// or -1.
func (k *Kind) FieldIndex(key string) int {
	if k.c == nil {
		return -1
	}
	if i, ok := k.c.index[key]; ok {
		return i
	}
	return -1
}

// compiled is what LoadKind derives from a definition for fast validation.
type compiled struct {
	index  map[string]int // key → field index
	header map[string]int // normalized header spelling → field index
	order  []int          // validation order: dependencies first
	canon  []int          // field indexes sorted by key, for Canonical
	rules  []rule         // per field

	subjectName, subjectClass, subjectUSCC, subjectRegNo, subjectIDType, subjectIDNumber int
	decisionNo, decisionDate, sourceName, sourceUSCC                                     int
	identity                                                                             [][]int
	memo                                                                                 *codeMemo
}

// rule is a field's compiled checks.
type rule struct {
	when, placeholderWhen *cond
	enum                  map[string]string // value or alias → value
	enumByLen             []string          // values and aliases, longest first (multi_enum)
	enumHint              string            // "A、B、C"
	otherSpec             bool
	maxLen                int
	scale                 int
	idType                int // id_type field index, or -1
	notBefore             []int
	minDate               calendar.Date
	notFuture             bool
	reqReason             string // reason when a required value is missing
	placeholderReason     string // reason when the placeholder is refused
	categories            []string
	categoryReason        string // reason when a code's category is not in categories
	memo                  *codeMemo
}

// codeMemo remembers valid department codes (uscc fields outside the
// subject: 处罚机关, 数据来源单位, …), which repeat on every row of a file,
// so that each is checked once. It is a fixed direct-mapped table of
// atomic pointers: safe for concurrent use, bounded, and a collision only
// costs a re-check. Validity of a USCC does not change, so nothing is ever
// stale.
type codeMemo struct{ slots [512]atomic.Pointer[string] }

func (m *codeMemo) slot(s string) *atomic.Pointer[string] {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return &m.slots[h%uint32(len(m.slots))]
}

func (m *codeMemo) has(s string) bool {
	p := m.slot(s).Load()
	return p != nil && *p == s
}

// add stores a copy of s: values are often substrings of a whole CSV
// record, which a stored reference would keep alive.
func (m *codeMemo) add(s string) {
	c := strings.Clone(s)
	m.slot(s).Store(&c)
}

// cond is a compiled Condition.
type cond struct {
	field   int
	op      condOp
	values  []string
	sub     []*cond
	present bool
}

type condOp uint8

const (
	opIn condOp = iota
	opNotIn
	opPresent
	opAll
	opAny
)

var (
	kindCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	keyRE      = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	codeRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
)

// Default lengths (characters) of types whose values have a natural bound.
var defaultMaxLen = map[FieldType]int{
	TypeEnum: 200, TypeMultiEnum: 500, TypeDate: 32, TypeDateOrLongTerm: 32, TypeDecimal: 40,
	TypeUSCC: 18, TypeOrgCode: 10, TypeGS15: 15, TypeIDType: 100,
}

// subject class values: the three enum values of subject_class.
const (
	classOrg    = "法人及非法人组织"
	classPerson = "自然人"
	classSole   = "个体工商户"
)

func (k *Kind) compile() error {
	p := &problems{}
	if !kindCodeRE.MatchString(k.Code) {
		p.addf("code“%s”应为小写字母开头、由小写字母数字和下划线组成的短代码（如xk、cf）", k.Code)
	}
	if strings.TrimSpace(k.Name) == "" {
		p.addf("name（中文名称）不能为空")
	}
	switch k.Nature {
	case NatureBasic, NatureGood, NatureBad:
	default:
		p.addf("nature“%s”不合法，应为basic、good或bad", k.Nature)
	}
	switch k.Disclosure {
	case DisclosurePublic, DisclosureShared, DisclosureAuthorised:
	default:
		p.addf("disclosure“%s”不合法，应为public、shared或authorised", k.Disclosure)
	}
	if len(k.Fields) == 0 {
		p.addf("fields不能为空")
	}
	if len(k.Fields) > maxFields {
		p.addf("字段不能超过%d个", maxFields)
	}
	c := &compiled{index: map[string]int{}, header: map[string]int{}, rules: make([]rule, len(k.Fields))}
	k.c = nil

	// Keys, codes, names, header spellings.
	codes := map[string]int{}
	for i := range k.Fields {
		f := &k.Fields[i]
		at := fieldAt(i, f)
		if !keyRE.MatchString(f.Key) {
			p.addf("%s：key“%s”应为snake_case英文标识", at, f.Key)
		} else if j, dup := c.index[f.Key]; dup {
			p.addf("%s：key与第%d个字段重复", at, j+1)
		} else {
			c.index[f.Key] = i
		}
		if !codeRE.MatchString(f.Code) {
			p.addf("%s：code（交换代码）“%s”不合法", at, f.Code)
		} else if j, dup := codes[strings.ToUpper(f.Code)]; dup {
			p.addf("%s：code“%s”与第%d个字段重复", at, f.Code, j+1)
		} else {
			codes[strings.ToUpper(f.Code)] = i
		}
		if strings.TrimSpace(f.Name) == "" {
			p.addf("%s：name（中文名称）不能为空", at)
		}
		for _, h := range append([]string{f.Name, f.Code, f.Key}, f.Aliases...) {
			n := normHeader(h)
			if n == "" {
				p.addf("%s：表头写法“%s”为空", at, h)
				continue
			}
			if j, dup := c.header[n]; dup && j != i {
				p.addf("%s：表头写法“%s”与第%d个字段（%s）冲突", at, h, j+1, k.Fields[j].Key)
				continue
			}
			c.header[n] = i
		}
	}

	// Types and per-type attributes.
	for i := range k.Fields {
		f := &k.Fields[i]
		r := &c.rules[i]
		at := fieldAt(i, f)
		r.idType = -1
		switch f.Type {
		case TypeText, TypeEnum, TypeMultiEnum, TypeDate, TypeDateOrLongTerm, TypeDecimal,
			TypeUSCC, TypeOrgCode, TypeGS15, TypeIDType, TypeIDNumber:
		default:
			p.addf("%s：未知的类型“%s”", at, f.Type)
		}
		switch f.Required {
		case Always, Optional:
			if f.When != nil {
				p.addf("%s：只有required为conditional时才能写when", at)
			}
		case Conditional:
			if f.When == nil {
				p.addf("%s：required为conditional时必须写when条件", at)
			}
		default:
			p.addf("%s：required“%s”不合法，应为always、optional或conditional", at, f.Required)
		}
		r.maxLen = f.MaxLen
		switch {
		case f.MaxLen < 0 || f.MaxLen > 100000:
			p.addf("%s：max_len应在1到100000之间", at)
		case f.MaxLen == 0 && (f.Type == TypeText || f.Type == TypeIDNumber):
			p.addf("%s：%s类型必须写max_len", at, f.Type)
		case f.MaxLen == 0:
			r.maxLen = defaultMaxLen[f.Type]
		}
		isEnum := f.Type == TypeEnum || f.Type == TypeMultiEnum
		if !isEnum && (len(f.Enum) > 0 || len(f.EnumAliases) > 0 || f.OtherSpec) {
			p.addf("%s：enum、enum_aliases和other_spec只用于enum和multi_enum类型（id_type的取值是内置的）", at)
		}
		if isEnum {
			if len(f.Enum) == 0 {
				p.addf("%s：%s类型必须列出enum取值", at, f.Type)
			}
			r.compileEnum(p, at, f.Type, f.Enum, f.EnumAliases, f.OtherSpec)
		}
		if f.Type == TypeIDType {
			r.compileEnum(p, at, f.Type, idTypes, idTypeAliases, true)
		}
		if (f.Unit != "" || f.Scale != nil) && f.Type != TypeDecimal {
			p.addf("%s：unit和scale只用于decimal类型", at)
		}
		if f.Type == TypeDecimal {
			r.scale = defaultDecimalScale
			if f.Scale != nil {
				r.scale = *f.Scale
				if r.scale < 0 || r.scale > 18 {
					p.addf("%s：scale应在0到18之间", at)
				}
			}
		}
		if f.IDTypeField != "" {
			if f.Type != TypeIDNumber {
				p.addf("%s：id_type_field只用于id_number类型", at)
			} else if j, ok := c.index[f.IDTypeField]; !ok || k.Fields[j].Type != TypeIDType {
				p.addf("%s：id_type_field“%s”应为本类别中id_type类型字段的key", at, f.IDTypeField)
			} else {
				r.idType = j
			}
		}
		if f.Type == TypeUSCC && !strings.HasPrefix(f.Key, "subject_") {
			if c.memo == nil {
				c.memo = new(codeMemo)
			}
			r.memo = c.memo
		}
		if f.PlaceholderWhen != nil && f.Type != TypeUSCC {
			p.addf("%s：placeholder_when只用于uscc类型", at)
		}
		if len(f.Categories) > 0 {
			if f.Type != TypeUSCC {
				p.addf("%s：categories只用于uscc类型", at)
			}
			var names []string
			for _, cat := range f.Categories {
				dept, name, ok := code.LookupCategory(cat)
				if !ok {
					p.addf("%s：categories中的“%s”不是登记管理部门码和机构类别码", at, cat)
					continue
				}
				names = append(names, cat+"（"+dept+name+"）")
			}
			r.categories = f.Categories
			r.categoryReason = "第1-2位（登记管理部门码和机构类别码）应为" + strings.Join(names, "或")
		}
		if f.Default != "" {
			switch {
			case f.Required != Optional:
				p.addf("%s：只有选填字段（required为optional）才能写default", at)
			case f.Type != TypeText && f.Type != TypeEnum:
				p.addf("%s：default只用于text和enum类型", at)
			case trimValue(f.Default) != f.Default:
				p.addf("%s：default首尾不能有空白", at)
			case f.Type == TypeEnum && !slices.Contains(f.Enum, f.Default):
				p.addf("%s：default“%s”不是enum取值", at, f.Default)
			}
		}
		isDate := f.Type == TypeDate || f.Type == TypeDateOrLongTerm
		if !isDate && (len(f.NotBefore) > 0 || f.NotFuture || f.MinDate != "") {
			p.addf("%s：not_before、not_future和min_date只用于日期类型", at)
		}
		r.minDate = minAnyDate
		if f.MinDate != "" {
			d, err := calendar.ParseDate(f.MinDate)
			if err != nil || d.Before(minAnyDate) || d.After(maxAnyDate) {
				p.addf("%s：min_date“%s”应为1900-01-01至2099-12-31之间的YYYY-MM-DD日期", at, f.MinDate)
			} else {
				r.minDate = d
			}
		}
		r.notFuture = f.NotFuture
		for _, key := range f.NotBefore {
			j, ok := c.index[key]
			switch {
			case !ok:
				p.addf("%s：not_before引用了不存在的字段“%s”", at, key)
			case j == i:
				p.addf("%s：not_before不能引用字段自身", at)
			case k.Fields[j].Type != TypeDate && k.Fields[j].Type != TypeDateOrLongTerm:
				p.addf("%s：not_before引用的字段“%s”不是日期类型", at, key)
			default:
				r.notBefore = append(r.notBefore, j)
			}
		}
	}

	// Conditions (need the enums above to check their values).
	for i := range k.Fields {
		f := &k.Fields[i]
		r := &c.rules[i]
		at := fieldAt(i, f)
		if f.When != nil {
			r.when = k.compileCond(c, p, at+"的when", f.When, i)
		}
		if f.PlaceholderWhen != nil {
			r.placeholderWhen = k.compileCond(c, p, at+"的placeholder_when", f.PlaceholderWhen, i)
		}
		switch f.Required {
		case Always:
			r.reqReason = "必填项不能为空"
		case Conditional:
			if f.When != nil {
				r.reqReason = "当" + k.describe(f.When, false) + "时必填"
			}
		}
		if f.Type == TypeUSCC {
			if f.PlaceholderWhen != nil {
				r.placeholderReason = "占位代码" + placeholder + "只在" + k.describe(f.PlaceholderWhen, false) + "时可用"
			} else {
				r.placeholderReason = "不能使用占位代码" + placeholder
			}
		}
	}

	// Kind-level references.
	ref := func(what, key string, types ...FieldType) int {
		j, ok := c.index[key]
		if !ok {
			p.addf("%s引用了不存在的字段“%s”", what, key)
			return -1
		}
		if len(types) > 0 && !slices.Contains(types, k.Fields[j].Type) {
			names := make([]string, len(types))
			for i, t := range types {
				names[i] = string(t)
			}
			p.addf("%s引用的字段“%s”类型应为%s", what, key, strings.Join(names, "或"))
		}
		return j
	}
	optRef := func(key string) int {
		if j, ok := c.index[key]; ok {
			return j
		}
		return -1
	}
	subjectRef := func(key, name string, t FieldType) int {
		j, ok := c.index[key]
		if !ok {
			p.addf("缺少%s（%s）字段：每个信息类别都须有", key, name)
			return -1
		}
		if k.Fields[j].Type != t {
			p.addf("字段%s的类型应为%s", key, t)
		}
		return j
	}
	c.subjectName = subjectRef("subject_name", "行政相对人名称", TypeText)
	c.subjectClass = subjectRef("subject_class", "行政相对人类别", TypeEnum)
	if j := c.subjectClass; j >= 0 && k.Fields[j].Type == TypeEnum {
		for _, v := range k.Fields[j].Enum {
			if v != classOrg && v != classPerson && v != classSole {
				p.addf("subject_class的取值只能是%s、%s、%s，不能是“%s”", classOrg, classPerson, classSole, v)
			}
		}
	}
	c.subjectUSCC, c.subjectRegNo = optRef("subject_uscc"), optRef("subject_reg_no")
	c.subjectIDType, c.subjectIDNumber = optRef("subject_id_type"), optRef("subject_id_number")
	for key, want := range map[string]FieldType{"subject_uscc": TypeUSCC, "subject_reg_no": TypeGS15, "subject_id_type": TypeIDType, "subject_id_number": TypeIDNumber} {
		if j := optRef(key); j >= 0 && k.Fields[j].Type != want {
			p.addf("字段%s的类型应为%s", key, want)
		}
	}
	c.decisionNo = -1
	if k.DecisionNo != "" {
		c.decisionNo = ref("decision_no", k.DecisionNo)
	}
	c.decisionDate = ref("decision_date", k.DecisionDate, TypeDate)
	c.sourceName = ref("source_dept.name", k.SourceDept.Name, TypeText)
	c.sourceUSCC = ref("source_dept.uscc", k.SourceDept.USCC, TypeUSCC)
	if len(k.Identity) == 0 {
		p.addf("identity不能为空：须列出识别同一条记录的字段（如决定文书号、数据来源单位代码、相对人代码）")
	}
	for _, part := range k.Identity {
		var alts []int
		for _, key := range strings.Split(part, "|") {
			if j := ref("identity", key); j >= 0 {
				alts = append(alts, j)
			}
		}
		c.identity = append(c.identity, alts)
	}
	pub := k.Publicity
	if pub.DeadlineWorkingDays < 0 {
		p.addf("publicity.deadline_working_days不能为负数")
	}
	if pub.From != "" {
		ref("publicity.from", pub.From, TypeDate, TypeDateOrLongTerm)
	}
	if pub.Exit != "" {
		ref("publicity.exit", pub.Exit, TypeDate)
	}
	if pub.Until != "" {
		ref("publicity.until", pub.Until, TypeDate, TypeDateOrLongTerm)
	}
	if len(pub.Windows) > 0 && pub.From == "" {
		p.addf("publicity写了windows时必须写from（起算日期字段）")
	}
	seen := map[string]bool{}
	for _, w := range pub.Windows {
		switch w.Severity {
		case "minor", "general", "serious":
		default:
			p.addf("publicity.windows的severity“%s”应为minor、general或serious", w.Severity)
		}
		if seen[w.Severity] {
			p.addf("publicity.windows中severity“%s”重复", w.Severity)
		}
		seen[w.Severity] = true
		if w.MinMonths < 0 || w.MaxMonths < w.MinMonths {
			p.addf("publicity.windows“%s”的月数应满足0≤min_months≤max_months", w.Severity)
		}
	}
	k.checkSeverity(p, ref)
	if rn := k.RowNature; rn != nil {
		if j := ref("row_nature.field", rn.Field, TypeEnum); j >= 0 && k.Fields[j].Type == TypeEnum {
			for _, v := range append(slices.Clone(rn.Good), rn.Bad...) {
				if !slices.Contains(k.Fields[j].Enum, v) {
					p.addf("row_nature中的“%s”不是字段%s的取值", v, rn.Field)
				}
			}
			for _, v := range rn.Good {
				if slices.Contains(rn.Bad, v) {
					p.addf("row_nature中的“%s”既是good又是bad", v)
				}
			}
		}
	}

	if len(p.list) == 0 {
		c.order = k.validationOrder(c, p)
	}
	if len(p.list) > 0 {
		return &DefinitionError{Kind: k.Code, Problems: p.list}
	}
	c.canon = make([]int, len(k.Fields))
	for i := range c.canon {
		c.canon[i] = i
	}
	slices.SortFunc(c.canon, func(a, b int) int { return strings.Compare(k.Fields[a].Key, k.Fields[b].Key) })
	k.c = c
	return nil
}

const placeholder = "00000000000000000X"

type problems struct{ list []string }

func (p *problems) addf(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func fieldAt(i int, f *Field) string {
	if f.Key != "" {
		return fmt.Sprintf("第%d个字段（%s）", i+1, f.Key)
	}
	return fmt.Sprintf("第%d个字段", i+1)
}

func (r *rule) compileEnum(p *problems, at string, t FieldType, values []string, aliases map[string]string, otherSpec bool) {
	r.enum = map[string]string{}
	r.otherSpec = otherSpec
	for _, v := range values {
		switch {
		case v == "" || trimValue(v) != v:
			p.addf("%s：enum取值“%s”为空或首尾有空白", at, v)
		case r.enum[v] != "":
			p.addf("%s：enum取值“%s”重复", at, v)
		case t == TypeMultiEnum && strings.ContainsAny(v, "；;,，"):
			// Items are joined with ；. A value may contain 、 (法律、行政法规
			// 规定的其他行政处罚): known values are matched as a whole before
			// a value is split.
			p.addf("%s：multi_enum取值“%s”不能含分隔符；;,，", at, v)
		default:
			r.enum[v] = v
		}
	}
	for a, v := range aliases {
		if !slices.Contains(values, v) {
			p.addf("%s：enum_aliases中“%s”对应的“%s”不是enum取值", at, a, v)
		} else if a == "" || trimValue(a) != a || slices.Contains(values, a) {
			p.addf("%s：enum_aliases的别名“%s”为空、首尾有空白或与取值重复", at, a)
		} else {
			r.enum[a] = v
		}
	}
	for v := range r.enum {
		r.enumByLen = append(r.enumByLen, v)
	}
	slices.SortFunc(r.enumByLen, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	r.enumHint = strings.Join(values, "、")
}

func (k *Kind) compileCond(c *compiled, p *problems, at string, in *Condition, self int) *cond {
	hasTest := in.Field != "" || in.In != nil || in.NotIn != nil || in.Present != nil
	forms := 0
	for _, b := range []bool{hasTest, in.All != nil, in.Any != nil} {
		if b {
			forms++
		}
	}
	if forms != 1 {
		p.addf("%s：条件必须且只能是field测试、all或any之一", at)
		return nil
	}
	switch {
	case in.All != nil || in.Any != nil:
		subs, op := in.All, opAll
		if in.Any != nil {
			subs, op = in.Any, opAny
		}
		if len(subs) == 0 {
			p.addf("%s：all或any不能为空", at)
		}
		out := &cond{op: op}
		for i := range subs {
			if s := k.compileCond(c, p, at, &subs[i], self); s != nil {
				out.sub = append(out.sub, s)
			}
		}
		return out
	}
	j, ok := c.index[in.Field]
	if !ok {
		p.addf("%s：引用了不存在的字段“%s”", at, in.Field)
		return nil
	}
	if j == self {
		p.addf("%s：条件不能引用字段自身", at)
		return nil
	}
	tests := 0
	for _, b := range []bool{in.In != nil, in.NotIn != nil, in.Present != nil} {
		if b {
			tests++
		}
	}
	if tests != 1 {
		p.addf("%s：对字段“%s”的条件必须且只能写in、not_in或present之一", at, in.Field)
		return nil
	}
	if in.Present != nil {
		return &cond{field: j, op: opPresent, present: *in.Present}
	}
	out := &cond{field: j, op: opIn, values: in.In}
	if in.NotIn != nil {
		out.op, out.values = opNotIn, in.NotIn
	}
	if len(out.values) == 0 {
		p.addf("%s：in或not_in不能为空", at)
	}
	f := &k.Fields[j]
	if enum := c.rules[j].enum; enum != nil {
		for _, v := range out.values {
			if enum[v] != v {
				p.addf("%s：“%s”不是字段%s的取值", at, v, f.Key)
			}
		}
	}
	return out
}

// describe renders a condition in Chinese for rejection reasons:
// "行政相对人类别为自然人或个体工商户".
func (k *Kind) describe(c *Condition, nested bool) string {
	switch {
	case c.All != nil || c.Any != nil:
		subs, sep := c.All, "且"
		if c.Any != nil {
			subs, sep = c.Any, "或"
		}
		parts := make([]string, len(subs))
		for i := range subs {
			parts[i] = k.describe(&subs[i], true)
		}
		s := strings.Join(parts, sep)
		if nested && len(parts) > 1 {
			s = "（" + s + "）"
		}
		return s
	}
	name := c.Field
	if i, ok := k.c0index(c.Field); ok {
		name = k.Fields[i].Name
	}
	switch {
	case c.Present != nil && *c.Present:
		return "填写了" + name
	case c.Present != nil:
		return "未填写" + name
	case c.NotIn != nil:
		return name + "不是" + strings.Join(c.NotIn, "或")
	}
	return name + "为" + strings.Join(c.In, "或")
}

// c0index finds a field by key without the compiled index (describe runs
// during compilation).
func (k *Kind) c0index(key string) (int, bool) {
	for i := range k.Fields {
		if k.Fields[i].Key == key {
			return i, true
		}
	}
	return 0, false
}

// validationOrder orders the fields so that every field comes after the
// fields its checks read normalized values of (in/not_in conditions,
// id_type_field, placeholder_when, not_before); present conditions read
// raw values and impose no order. A cycle is a definition error.
func (k *Kind) validationOrder(c *compiled, p *problems) []int {
	n := len(k.Fields)
	deps := make([][]int, n)
	var walk func(*cond, *[]int)
	walk = func(x *cond, out *[]int) {
		if x == nil {
			return
		}
		switch x.op {
		case opIn, opNotIn:
			*out = append(*out, x.field)
		case opAll, opAny:
			for _, s := range x.sub {
				walk(s, out)
			}
		}
	}
	for i := range n {
		r := &c.rules[i]
		walk(r.when, &deps[i])
		walk(r.placeholderWhen, &deps[i])
		if r.idType >= 0 {
			deps[i] = append(deps[i], r.idType)
		}
		deps[i] = append(deps[i], r.notBefore...)
	}
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, n)
	order := make([]int, 0, n)
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case active:
			p.addf("字段之间的依赖有循环，涉及%s", k.Fields[i].Key)
			return false
		case done:
			return true
		}
		state[i] = active
		for _, j := range deps[i] {
			if !visit(j) {
				return false
			}
		}
		state[i] = done
		order = append(order, i)
		return true
	}
	for i := range n {
		if !visit(i) {
			return nil
		}
	}
	return order
}

// runeLen is the length of s in characters.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// exchangeSuffix matches a field name carrying the exchange format's
// numbering: 行政相对人代码_1(统一社会信用代码), 法定代表人证件号码_2.
var exchangeSuffix = regexp.MustCompile(`^(.+?)_[0-9]+(?:\((.+)\))?$`)

// Label is the field's name for people: without the exchange format's
// numbering suffix (行政相对人代码_1(统一社会信用代码) → 统一社会信用代码;
// X_2 → X). Files and the exchange keep Name.
func (f *Field) Label() string {
	m := exchangeSuffix.FindStringSubmatch(f.Name)
	switch {
	case m == nil:
		return f.Name
	case m[2] != "":
		return m[2]
	}
	return m[1]
}
