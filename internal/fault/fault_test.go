package fault

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

var errOwn = errors.New("objection: refused")

// ownError is a package's own error type that unwraps to an *Error.
type ownError struct{ reason string }

func (e *ownError) Error() string { return "own: " + e.reason }
func (e *ownError) Unwrap() error {
	return &Error{Kind: Invalid, Msg: e.reason, Fields: []Field{{"name", e.reason}}}
}

func TestKindsAndMessages(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		kind   Kind
		msg    string
		fields int
	}{
		{"nil", nil, Internal, "服务器内部错误", 0},
		{"plain error", errors.New("disk full"), Internal, "服务器内部错误", 0},
		{"bare kind", NotFound, NotFound, "未找到", 0},
		{"kind wrapped with %w", fmt.Errorf("record 7: %w", Conflict), Conflict, "内容已有变化，请重新读取后再操作", 0},
		{"error with message", Newf(Invalid, "名称至少输入%d个字", 2), Invalid, "名称至少输入2个字", 0},
		{"error wrapped with %w", fmt.Errorf("search: %w", New(Refused, "只有审核人员才能受理")), Refused, "只有审核人员才能受理", 0},
		{"error without message wraps one with", &Error{Kind: Refused, Err: New(Refused, "不能撤回")}, Refused, "不能撤回", 0},
		{"error without message", &Error{Kind: Exists}, Exists, "已存在", 0},
		{"a package's sentinel wrapped", &Error{Kind: Refused, Msg: "异议已办结", Err: errOwn}, Refused, "异议已办结", 0},
		{"a package's own type", fmt.Errorf("file: %w", &ownError{"名称不能为空"}), Invalid, "名称不能为空", 1},
		{"field details", New(Invalid, "承诺有误", Field{"承诺内容", "不能为空"}, Field{"公开类型", "不能为空"}), Invalid, "承诺有误", 2},
		{"cause kept", Wrap(Unavailable, errors.New("connection refused"), "数据库暂时无法访问"), Unavailable, "数据库暂时无法访问", 0},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), Unavailable, "暂时无法办理，请稍后重试", 0},
		{"refusal wins over what it wraps", &Error{Kind: Refused, Msg: "无权查看", Err: NotFound}, Refused, "无权查看", 0},
		{"several errors joined", errors.Join(errors.New("x"), Gone), Gone, "该信息目前不予公示", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := KindOf(c.err); got != c.kind {
				t.Errorf("KindOf = %v, want %v", got, c.kind)
			}
			if got := Message(c.err); got != c.msg {
				t.Errorf("Message = %q, want %q", got, c.msg)
			}
			if got := Fields(c.err); len(got) != c.fields {
				t.Errorf("Fields = %v, want %d", got, c.fields)
			}
			if c.err != nil && c.kind != Internal && !errors.Is(c.err, context.DeadlineExceeded) && !errors.Is(c.err, c.kind) {
				t.Errorf("errors.Is(err, %v) = false", c.kind)
			}
		})
	}
	if e := (&Error{Kind: Refused, Msg: "异议已办结", Err: errOwn}); !errors.Is(e, errOwn) || errors.Is(e, Invalid) {
		t.Error("an Error must match its sentinel and only its own kind")
	}
}

func TestKindNames(t *testing.T) {
	for i, text := range []func(Kind) string{Kind.String, Kind.Error, Kind.Label} {
		seen := map[string]bool{}
		for _, k := range Kinds() {
			if s := text(k); s == "" || seen[s] {
				t.Errorf("text %d of kind %d: empty or repeated %q", i, k, s)
			} else {
				seen[s] = true
			}
		}
	}
	// The storage errors keep their text now that they are kinds.
	for k, want := range map[Kind]string{NotFound: "not found", Invalid: "invalid input", Conflict: "changed meanwhile", Exists: "already exists"} {
		if k.Error() != want {
			t.Errorf("%v.Error() = %q, want %q", k, k.Error(), want)
		}
	}
}
