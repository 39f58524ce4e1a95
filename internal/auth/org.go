package auth

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/code"
	"github.com/xinyong/xinyong/internal/credit"
)

// OrgKind is the kind of an organisation in the tree.
type OrgKind string

const (
	Operator OrgKind = "operator" // the platform's operator, the root
	Region   OrgKind = "region"   // a province, city or county (省、市、县)
	Dept     OrgKind = "dept"     // a department (部门), a leaf
)

// Label is the Chinese name shown to users.
func (k OrgKind) Label() string {
	switch k {
	case Operator:
		return "平台运营机构"
	case Region:
		return "行政区"
	case Dept:
		return "部门"
	}
	return string(k)
}

// Org is an organisation. Path is the chain of ids from the root, such as
// "/1/4/9/": an organisation's scope is every organisation whose path
// starts with its own, so a department's scope is itself and a region's
// is itself and everything below.
type Org struct {
	ID       int64
	ParentID int64 // 0 for the root
	Kind     OrgKind
	Name     string
	Region   string // 6-digit division code (GB/T 2260) of a region, or of a department's region
	USCC     string // a department's 统一社会信用代码
	Path     string
	Disabled bool
	Created  time.Time
}

// ChildPath is the path of a child with the given id.
func (o Org) ChildPath(id int64) string {
	if o.Path == "" {
		return "/" + strconv.FormatInt(id, 10) + "/"
	}
	return o.Path + strconv.FormatInt(id, 10) + "/"
}

// Contains reports whether other is o or below it.
func (o Org) Contains(other Org) bool {
	return o.Path != "" && strings.HasPrefix(other.Path, o.Path)
}

// ValidateChild checks a new organisation o under parent: the kinds that
// may nest (operator → regions and departments; region → regions and
// departments; departments have no children), a department's USCC, a
// region's division code, and that a sub-region lies within its parent.
func ValidateChild(parent Org, o Org) error {
	if strings.TrimSpace(o.Name) == "" {
		return fmt.Errorf("名称不能为空")
	}
	if len([]rune(o.Name)) > 100 {
		return fmt.Errorf("名称不能超过 100 个字")
	}
	if reason := credit.BidiReason(o.Name); reason != "" {
		return fmt.Errorf("名称%s", reason)
	}
	switch parent.Kind {
	case Dept:
		return fmt.Errorf("部门“%s”下不能再设机构", parent.Name)
	case Operator, Region:
	default:
		return fmt.Errorf("上级机构无效")
	}
	switch o.Kind {
	case Region:
		if !isDivision(o.Region) {
			return fmt.Errorf("行政区划代码应为 6 位数字：%q", o.Region)
		}
		if parent.Kind == Region && !WithinRegion(parent.Region, o.Region) {
			return fmt.Errorf("行政区划 %s 不在上级 %s（%s）之内", o.Region, parent.Name, parent.Region)
		}
	case Dept:
		if r := code.Check(code.KindUSCC, o.USCC); r.Status != code.StatusValid {
			return fmt.Errorf("部门统一社会信用代码无效：%s", o.USCC)
		}
		if o.Region != "" && !isDivision(o.Region) {
			return fmt.Errorf("行政区划代码应为 6 位数字：%q", o.Region)
		}
	default:
		return fmt.Errorf("机构类型应为 region（行政区）或 dept（部门）")
	}
	return nil
}

func isDivision(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// WithinRegion reports whether division code child lies within parent: a
// province (xx0000) holds its cities and counties, a city (xxxx00) its
// counties.
func WithinRegion(parent, child string) bool {
	if parent == child {
		return false
	}
	switch {
	case strings.HasSuffix(parent, "0000"):
		return strings.HasPrefix(child, parent[:2])
	case strings.HasSuffix(parent, "00"):
		return strings.HasPrefix(child, parent[:4])
	}
	return false
}
