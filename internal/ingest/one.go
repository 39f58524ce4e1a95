package ingest

import (
	"context"
	"strings"

	"github.com/xinyong/xinyong/internal/fault"
)

// ImportOne files one record made by the platform itself (a 双随机 result,
// a marketplace rating …), row keyed by field keys, through Import with
// opt (Outcomes set), and returns its id. A row intake rejects is a
// fault.Invalid "<what>时被归集拒绝：field：reason；…" with the fields.
func (im *Importer) ImportOne(ctx context.Context, row map[string]any, opt Options, what string) (int64, error) {
	t, err := ObjectsTable([]map[string]any{row})
	if err != nil {
		return 0, err
	}
	opt.Outcomes = true
	res, err := im.Import(ctx, t, opt)
	if err != nil {
		return 0, err
	}
	if len(res.Rejected) > 0 || len(res.Outcomes) != 1 {
		var reasons []string
		var fields []fault.Field
		for _, r := range res.Rejected {
			reasons = append(reasons, r.Field+"："+r.Reason)
			fields = append(fields, fault.Field{Field: r.Field, Reason: r.Reason})
		}
		return 0, fault.New(fault.Invalid, what+"时被归集拒绝："+strings.Join(reasons, "；"), fields...)
	}
	return res.Outcomes[0].ID, nil
}
