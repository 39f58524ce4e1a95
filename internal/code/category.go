package code

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Category is one row of the 登记管理部门码 / 机构类别码 table.
type Category struct {
	Code           string // department + category, e.g. "91"
	Department     string // department code, e.g. "9"
	DepartmentName string // e.g. "工商/市场监管"
	Name           string // category name, e.g. "企业"
}

//go:embed categories.tsv
var categoriesTSV string

type categoryTable struct {
	rows  []Category
	byKey map[string]Category
	dept  map[string]string // department code → name
}

var categories = sync.OnceValue(func() *categoryTable {
	t, err := parseCategories(categoriesTSV)
	if err != nil {
		panic("code: embedded categories.tsv: " + err.Error())
	}
	return t
})

func parseCategories(data string) (*categoryTable, error) {
	t := &categoryTable{byKey: map[string]Category{}, dept: map[string]string{}}
	n := 0
	for line := range strings.Lines(data) {
		n++
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: %d fields, want 4", n, len(f))
		}
		c := Category{Code: f[0], Department: f[1], DepartmentName: f[2], Name: f[3]}
		if len(c.Code) != 2 || c.Code[:1] != c.Department ||
			!usccAlphabet.has(rune(c.Code[0])) || !usccAlphabet.has(rune(c.Code[1])) {
			return nil, fmt.Errorf("line %d: bad code %q for department %q", n, c.Code, c.Department)
		}
		if _, dup := t.byKey[c.Code]; dup {
			return nil, fmt.Errorf("line %d: duplicate code %q", n, c.Code)
		}
		if name, ok := t.dept[c.Department]; ok && name != c.DepartmentName {
			return nil, fmt.Errorf("line %d: department %q named both %q and %q", n, c.Department, name, c.DepartmentName)
		}
		t.rows = append(t.rows, c)
		t.byKey[c.Code] = c
		t.dept[c.Department] = c.DepartmentName
	}
	return t, nil
}

// Categories returns a copy of the table of 登记管理部门码 / 机构类别码, in
// table order. The table is data (embedded categories.tsv), compiled from
// GB 32100-2015 and later allocations; it is informative, not a rule.
func Categories() []Category {
	return slices.Clone(categories().rows)
}

// LookupCategory looks up a 2-character code (department + category, e.g.
// "91"). ok reports whether the category is in the table; deptName is set
// whenever the department (first character) is known, even if ok is false.
func LookupCategory(code2 string) (deptName, catName string, ok bool) {
	t := categories()
	if len(code2) > 0 {
		deptName = t.dept[code2[:1]]
	}
	c, ok := t.byKey[code2]
	return deptName, c.Name, ok
}
