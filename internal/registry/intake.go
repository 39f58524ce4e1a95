package registry

import (
	"context"
	"fmt"
	"slices"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/search"
	"github.com/xinyong/xinyong/internal/store"
)

// The 回传 rules of 注销 and 删除 rows (陕西省重错码纠错规范通知，2021-06-11，
// 二(五)): a 注销 keeps 机构名称 and 登记审批机关 as in the original data; a
// 删除 keeps 统一社会信用代码 and 机构名称 as in the original data and marks
// 登记业务类型 -1.
const (
	ruleCancel = "注销代码数据的回传规则：“机构名称”和“登记审批机关”必须与原数据保持一致"
	ruleDelete = "删除代码数据的回传规则：“统一社会信用代码”和“机构名称”必须与原数据保持一致，且“登记业务类型”须标记为“-1”"
)

// Rule is the intake rule of registration rows (ingest.RowRule for kind
// dj): 注销 and 删除 rows are checked against the registration they end,
// read from the registry. A row the rule refuses is rejected with the rule
// named, on every channel.
func Rule(st store.RegistryStore) func(rec catalog.Record) []catalog.FieldError {
	return func(rec catalog.Record) []catalog.FieldError {
		k := rec.Kind()
		fe := func(key, reason string) catalog.FieldError {
			e := catalog.FieldError{Field: key, Column: -1, Reason: reason}
			if f, ok := k.Field(key); ok {
				e.Name, e.Code = f.Name, f.Code
			}
			return e
		}
		business := rec.Get("reg_business")
		if business == "删除" {
			return []catalog.FieldError{fe("reg_business", "登记业务类型写作“删除”，"+ruleDelete)}
		}
		if business != BusinessCancel && business != BusinessDelete {
			return nil
		}
		code, auth := rec.Get("subject_uscc"), rec.Get("authority_uscc")
		regs, err := st.RegistrationsOf(context.Background(), []string{code})
		if err != nil {
			return []catalog.FieldError{fe("subject_uscc", "无法读取原登记数据，请稍后重新报送："+err.Error())}
		}
		i := slices.IndexFunc(regs, func(g store.Registration) bool { return g.AuthorityCode == auth })
		rule := ruleCancel
		if business == BusinessDelete {
			rule = ruleDelete
		}
		if i < 0 {
			return []catalog.FieldError{fe("subject_uscc", fmt.Sprintf("登记库中没有该登记管理部门赋予此代码的原数据，不能%s；%s",
				map[bool]string{true: "删除", false: "注销"}[business == BusinessDelete], rule))}
		}
		orig := regs[i]
		var errs []catalog.FieldError
		if rec.Get("subject_name") != orig.Name {
			errs = append(errs, fe("subject_name", fmt.Sprintf("与原数据的机构名称“%s”不一致；%s", orig.Name, rule)))
		}
		if business == BusinessCancel && orig.Approval != "" && rec.Get("approval_authority") != orig.Approval {
			errs = append(errs, fe("approval_authority", fmt.Sprintf("与原数据的登记审批机关“%s”不一致；%s", orig.Approval, rule)))
		}
		return errs
	}
}

// NameWarnings compares the subject names of records with the registered
// holders of their codes and returns a warning per record whose name is
// neither the registered name nor a former one: such a record is filed
// under the code's subject as always (never renamed), and the department
// is told. rows are the data row numbers of names and codes.
func NameWarnings(ctx context.Context, st store.RegistryStore, rows []int, codes, names []string) ([]string, error) {
	var want []string
	for _, c := range codes {
		if c != "" {
			want = append(want, c)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	regs, err := st.RegistrationsOf(ctx, dedupe(want))
	if err != nil {
		return nil, err
	}
	if len(regs) == 0 {
		return nil, nil
	}
	known := map[string][]string{}
	current := map[string]string{}
	for _, g := range regs {
		if !Holds(&g) && g.Status != StatusCanceled {
			continue
		}
		known[g.USCC] = append(known[g.USCC], search.Fold(g.Name))
		for _, n := range g.FormerNames {
			known[g.USCC] = append(known[g.USCC], search.Fold(n))
		}
		if _, ok := current[g.USCC]; !ok || Holds(&g) {
			current[g.USCC] = g.Name
		}
	}
	var out []string
	for i, c := range codes {
		list, ok := known[c]
		if !ok || slices.Contains(list, search.Fold(names[i])) {
			continue
		}
		out = append(out, fmt.Sprintf("第%d行：主体名称“%s”与统一社会信用代码%s的登记名称“%s”不一致（已按代码归入该主体，未改名；请核实）",
			rows[i], names[i], c, current[c]))
	}
	return out, nil
}
