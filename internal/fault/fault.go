// Package fault is the platform's error vocabulary: a small set of kinds
// (invalid, refused, not found, conflict, exists, …) that say what the
// caller can do about an error, and one error type that carries a message
// for people (simplified Chinese) and field details for programs.
//
// Packages return a *Error (or a Kind, or an error of their own that
// unwraps to a *Error); callers test with errors.Is(err, fault.NotFound)
// and read the message with Message, never by matching text. The HTTP side
// maps kinds to statuses in one place for the API and one for pages.
package fault

import (
	"context"
	"errors"
	"fmt"
)

// Kind says what went wrong, in terms the caller can act on. A Kind is an
// error itself: return it bare, wrap it with %w, or put it in an Error.
type Kind uint8

// The kinds. The zero Kind is Internal: an error nobody classified.
const (
	// Internal is a fault of the platform: a bug, or a failure that carries
	// no better kind (most often the database).
	Internal Kind = iota
	// Invalid: what was sent is wrong (a field, a format, a limit); fix it
	// and send it again.
	Invalid
	// Unauthenticated: the caller is not known; sign in or give an API key.
	Unauthenticated
	// Refused: the caller may not do this: not their role or scope, not
	// their case, or the case's state or the law does not allow it now.
	Refused
	// NotFound: no such thing, or none the caller may know of.
	NotFound
	// Gone: it exists but is not shown (a record out of its publicity).
	Gone
	// Conflict: it changed since the caller read it; read it again.
	Conflict
	// Exists: it exists already (a login, a department's code, an open case).
	Exists
	// TooMany: too many requests from this caller; wait and retry.
	TooMany
	// TooLarge: the request is larger than this operation accepts.
	TooLarge
	// Unavailable: the platform cannot answer now (busy, the database
	// unreachable); retry later.
	Unavailable
)

var kinds = [...]struct{ name, english, label string }{
	Internal:        {"internal", "internal error", "服务器内部错误"},
	Invalid:         {"invalid", "invalid input", "请求有误"},
	Unauthenticated: {"unauthenticated", "not signed in", "请先登录或提供接口密钥"},
	Refused:         {"refused", "refused", "无权办理"},
	NotFound:        {"not_found", "not found", "未找到"},
	Gone:            {"gone", "not shown", "该信息目前不予公示"},
	Conflict:        {"conflict", "changed meanwhile", "内容已有变化，请重新读取后再操作"},
	Exists:          {"exists", "already exists", "已存在"},
	TooMany:         {"too_many", "too many requests", "请求过于频繁，请稍后再试"},
	TooLarge:        {"too_large", "request too large", "请求过大"},
	Unavailable:     {"unavailable", "unavailable", "暂时无法办理，请稍后重试"},
}

// Kinds lists every kind, Internal first.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i := range kinds {
		out[i] = Kind(i)
	}
	return out
}

func (k Kind) valid() bool { return int(k) < len(kinds) }

// String is the kind's name for programs: invalid, refused, not_found, …
func (k Kind) String() string {
	if !k.valid() {
		return "internal"
	}
	return kinds[k].name
}

// Error is the kind's short English text (the text the storage errors had
// before they became kinds: "not found", "invalid input", …).
func (k Kind) Error() string {
	if !k.valid() {
		return kinds[Internal].english
	}
	return kinds[k].english
}

// Label is the kind's message for people, used when an error carries none.
func (k Kind) Label() string {
	if !k.valid() {
		return kinds[Internal].label
	}
	return kinds[k].label
}

// Field says which field of a request is wrong and why.
type Field struct {
	Field  string `json:"field" doc:"where: the field's name, or its place in the request (body.records[2].kind)"`
	Reason string `json:"reason" doc:"why, in Chinese"`
}

// Error is an error of a kind with a message for people and, for invalid
// requests, the fields at fault.
type Error struct {
	Kind   Kind
	Msg    string  // simplified Chinese, for people; empty: the kind's Label
	Fields []Field // which fields are wrong and why
	// Err is what the error wraps: a package's own sentinel (so that
	// errors.Is(err, objection.ErrRefused) holds) or the cause.
	Err error
}

// Error is the message (the kind's text when there is none).
func (e *Error) Error() string {
	switch {
	case e.Msg != "":
		return e.Msg
	case e.Err != nil:
		return e.Err.Error()
	}
	return e.Kind.Error()
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// New returns an error of kind k with message msg.
func New(k Kind, msg string, fields ...Field) *Error {
	return &Error{Kind: k, Msg: msg, Fields: fields}
}

// Newf returns an error of kind k with a formatted message.
func Newf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k with message msg that wraps err.
func Wrap(k Kind, err error, msg string) *Error {
	return &Error{Kind: k, Msg: msg, Err: err}
}

// order is the order in which KindOf tries the kinds: an error that is
// both a refusal and something else is a refusal; a record that is not
// shown is Gone before it is NotFound.
var order = []Kind{Unauthenticated, Refused, Invalid, TooLarge, TooMany, Gone, NotFound, Conflict, Exists, Unavailable}

// KindOf is the kind of err: Internal when nothing in its chain has a
// kind. A deadline that passed is Unavailable.
func KindOf(err error) Kind {
	if err == nil {
		return Internal
	}
	for _, k := range order {
		if errors.Is(err, k) {
			return k
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Unavailable
	}
	return Internal
}

// Message is err's message for people: the first message of an *Error in
// its chain, else its kind's Label.
func Message(err error) string {
	for rest, e := err, (*Error)(nil); rest != nil && errors.As(rest, &e); rest = e.Err {
		if e.Msg != "" {
			return e.Msg
		}
	}
	return KindOf(err).Label()
}

// Fields are the field details of the first *Error in err's chain that
// has any.
func Fields(err error) []Field {
	for rest, e := err, (*Error)(nil); rest != nil && errors.As(rest, &e); rest = e.Err {
		if len(e.Fields) > 0 {
			return e.Fields
		}
	}
	return nil
}
