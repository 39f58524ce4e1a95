package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/xinyong/xinyong/internal/fault"
)

// Errors leave the platform here. A handler returns an error of package
// fault (or one that unwraps to one); its kind decides the HTTP status, in
// statusOf, for the API and the pages alike. The API answers an RFC 9457
// problem document (problemOf, and huma's own errors through humaProblem);
// pages render the error page (pageError). Unexpected errors are noted on
// the request and logged once, by observe.

// statusOf is the HTTP status of an error kind: the one table. An error
// nobody classified is most often the database failing, so it is answered
// 503 (retry later) and logged; a panic is 500 (recoverer).
func statusOf(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return http.StatusUnprocessableEntity
	case fault.Unauthenticated:
		return http.StatusUnauthorized
	case fault.Refused:
		return http.StatusForbidden
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Gone:
		return http.StatusGone
	case fault.Conflict, fault.Exists:
		return http.StatusConflict
	case fault.TooMany:
		return http.StatusTooManyRequests
	case fault.TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusServiceUnavailable
}

// Problem is an RFC 9457 problem document: the body of every error the API
// answers.
type Problem struct {
	Title  string        `json:"title" example:"Unprocessable Entity" doc:"The HTTP status phrase."`
	Status int           `json:"status" example:"422" doc:"The HTTP status code."`
	Detail string        `json:"detail" example:"请求数据有误" doc:"What went wrong, in Chinese, for people."`
	Kind   string        `json:"kind" enum:"internal,invalid,unauthenticated,refused,not_found,gone,conflict,exists,too_many,too_large,unavailable" doc:"What went wrong, for programs: invalid (fix the request), unauthenticated (sign in or give an API key), refused (not allowed), not_found, gone (not shown), conflict (changed meanwhile: read it again), exists, too_many (wait: Retry-After), too_large, unavailable or internal (retry later)."`
	Errors []fault.Field `json:"errors,omitempty" doc:"For an invalid request: each field at fault and why. The values sent are never copied back."`
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes problems application/problem+json.
func (p *Problem) ContentType(ct string) string {
	switch ct {
	case "application/json":
		return "application/problem+json"
	case "application/cbor":
		return "application/problem+cbor"
	}
	return ct
}

// problemOf is the problem document of an error.
func problemOf(err error) *Problem {
	k := fault.KindOf(err)
	p := &Problem{Status: statusOf(k), Kind: k.String(), Detail: fault.Message(err), Errors: fault.Fields(err)}
	if k == fault.Internal {
		p.Detail = fault.Unavailable.Label()
	}
	p.Title = http.StatusText(p.Status)
	return p
}

// writeProblem answers err as a problem document outside huma: the
// refusals of middleware (a wrong key, a rate, a full line), which are no
// fault of the platform.
func writeProblem(w http.ResponseWriter, err error) {
	p := problemOf(err)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	b, _ := json.Marshal(p)
	w.Write(append(b, '\n'))
}

// errNotServed answers when the server runs without the service an
// operation needs.
var errNotServed = fault.New(fault.Unavailable, "该功能未配置")

// pageTitles are the error page's titles by kind.
var pageTitles = map[fault.Kind]string{
	fault.Invalid:     "请求有误",
	fault.Refused:     "未能办理",
	fault.Gone:        "该信息不在公示中",
	fault.Conflict:    "已有变化",
	fault.Exists:      "已存在",
	fault.TooMany:     "请求过于频繁",
	fault.TooLarge:    "请求过大",
	fault.Unavailable: "暂时无法访问",
	fault.Internal:    "暂时无法访问",
}

// pageError renders the page of an error: the same status as the API's
// for the same error; a caller not signed in is sent to sign in; an
// unknown thing is the not-found page.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	k := fault.KindOf(err)
	switch k {
	case fault.NotFound:
		if msg := fault.Message(err); msg != k.Label() {
			s.render(w, r, http.StatusNotFound, "error", "未找到", msg)
		} else {
			s.notFound(w, r)
		}
		return
	case fault.Unauthenticated:
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	case fault.Internal, fault.Unavailable:
		noteError(r.Context(), err)
	}
	msg := fault.Message(err)
	if k == fault.Internal {
		msg = fault.Unavailable.Label()
	}
	s.render(w, r, statusOf(k), "error", pageTitles[k], msg)
}

// reqInfo is what a request leaves for observe to record: the route that
// served it (the mux sets the pattern on the request it is given, which
// the middleware inside observe may have copied) and an unexpected error.
type reqInfo struct {
	route string
	err   error
}

const reqInfoKey ctxKey = 100

// noteError keeps err for observe to log.
func noteError(ctx context.Context, err error) {
	if ri, ok := ctx.Value(reqInfoKey).(*reqInfo); ok && ri.err == nil {
		ri.err = err
	}
}

// recordRoute tells observe which route pattern served the request.
func recordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if ri, ok := r.Context().Value(reqInfoKey).(*reqInfo); ok {
				ri.route = r.Pattern
			}
		}()
		mux.ServeHTTP(w, r)
	})
}

// clientGone reports whether err (or the request's end) means the client
// went away: the request was cancelled, or writing to it failed with a
// broken pipe or a reset. Nothing is wrong with the platform then.
func clientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil || errors.Is(err, context.Canceled) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// huma's own errors (validation, unreadable bodies) come out as problems
// in Chinese, without the values sent: huma.NewError is replaced, and the
// validation messages are translated where huma keeps them.
func init() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		return humaProblem(nil, status, msg, errs...)
	}
	huma.NewErrorWithContext = humaProblem
	// Formats pass only the arguments their verbs use, so that a message
	// that leaves out huma's argument (a parse error quoting the value)
	// does not get it appended.
	huma.ErrorFormatter = func(format string, args ...any) string {
		n := strings.Count(format, "%") - 2*strings.Count(format, "%%")
		return fmt.Sprintf(format, args[:min(max(n, 0), len(args))]...)
	}
	translateValidation()
}

// humaProblem makes the problem of an error huma answers: a handler's
// error (mapped by kind), or huma's own, translated.
func humaProblem(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	if msg == "unexpected error occurred" && len(errs) == 1 {
		// What a handler returned that was not a huma error already.
		p := problemOf(errs[0])
		if ctx != nil && (p.Kind == fault.Internal.String() || p.Kind == fault.Unavailable.String()) {
			noteError(ctx.Context(), errs[0])
		}
		return p
	}
	p := &Problem{Status: status, Detail: msg, Kind: kindOfStatus(status).String()}
	if zh, ok := humaMessages[msg]; ok {
		p.Detail = zh
	}
	switch {
	case status == http.StatusRequestEntityTooLarge && ctx != nil && ctx.Operation() != nil:
		p.Detail = "请求体过大：本接口最多接受 " + strconv.FormatInt(ctx.Operation().MaxBodyBytes, 10) + " 字节"
	case status == http.StatusInternalServerError && msg == "cannot read request body":
		p.Status, p.Kind = http.StatusBadRequest, fault.Invalid.String()
	case !hasCJK(p.Detail) && status != 0:
		p.Detail = kindOfStatus(status).Label()
	}
	for _, err := range errs {
		if err == nil {
			continue
		}
		f := fault.Field{Reason: err.Error()}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			ed := d.ErrorDetail() // its Value, the input, is dropped
			f = fault.Field{Field: ed.Location, Reason: ed.Message}
		}
		f.Reason = translateDetail(f.Field, f.Reason, status)
		f.Field = clip(f.Field, maxLocation) // an unknown field's name is input
		p.Errors = append(p.Errors, f)
	}
	p.Title = http.StatusText(p.Status)
	return p
}

// kindOfStatus is the kind huma meant by a status.
func kindOfStatus(status int) fault.Kind {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType, http.StatusNotAcceptable,
		http.StatusRequestTimeout:
		return fault.Invalid
	case http.StatusUnauthorized:
		return fault.Unauthenticated
	case http.StatusForbidden:
		return fault.Refused
	case http.StatusNotFound:
		return fault.NotFound
	case http.StatusGone:
		return fault.Gone
	case http.StatusConflict:
		return fault.Conflict
	case http.StatusTooManyRequests:
		return fault.TooMany
	case http.StatusRequestEntityTooLarge:
		return fault.TooLarge
	case http.StatusServiceUnavailable:
		return fault.Unavailable
	}
	return fault.Internal
}

// maxLocation bounds the place of an error in a problem.
const maxLocation = 100

func hasCJK(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x3000 })
}

// humaMessages are huma's own top-level messages in Chinese; any other
// message without Chinese gets its kind's label.
var humaMessages = map[string]string{
	"validation failed":          "请求数据有误",
	"request body is required":   "缺少请求体",
	"request body read timeout":  "读取请求体超时",
	"cannot read request body":   "未能读取请求体",
	"unable to marshal response": "不支持所要求的响应格式（Accept）",
}

// detailMessages are huma's messages about a parameter or the body, in
// Chinese: exact, then by prefix.
var (
	detailMessages = map[string]string{
		"unknown query parameter":                                  "未知的查询参数",
		"required path parameter is missing":                       "缺少路径参数",
		"required query parameter is missing":                      "缺少必填的查询参数",
		"required header parameter is missing":                     "缺少必填的请求头",
		"required cookie parameter is missing":                     "缺少必填的 Cookie",
		"expected at most one value, but received multiple values": "只能有一个值",
		"invalid integer":                                          "应为整数",
		"invalid float":                                            "应为数字",
		"invalid floating value":                                   "应为数字",
		"invalid boolean":                                          "应为布尔值（true 或 false）",
		"unsupported type":                                         "类型不受支持",
		"unparsable value":                                         "无法解析",
		"invalid url.URL value":                                    "应为 URL",
	}
	detailPrefixes = [][2]string{
		{"invalid date/time for format", "日期时间格式不正确"},
		{"invalid value:", "取值不合法"},
		{"cannot read multipart form:", "无法读取表单"},
		{"unknown content type", "不支持的请求体格式（Content-Type）"},
	}
)

// translateDetail is a detail's reason in Chinese: huma's validation
// messages are Chinese already (translateValidation); its other messages
// are looked up; an unreadable body (encoding/json's message, which may
// quote the input) is said in general terms.
func translateDetail(field, reason string, status int) string {
	if hasCJK(reason) {
		return reason
	}
	if zh, ok := detailMessages[reason]; ok {
		return zh
	}
	for _, p := range detailPrefixes {
		if strings.HasPrefix(reason, p[0]) {
			return p[1]
		}
	}
	if field == "body" {
		if status == http.StatusUnsupportedMediaType {
			return "不支持的请求体格式（Content-Type）"
		}
		return "请求体不是合法的 JSON，或与接口定义不符"
	}
	return "取值不合法"
}

// translateValidation puts huma's schema validation messages in Chinese.
// They are package variables that huma formats when an operation is
// registered (limits, enums, required fields) or when a value is checked.
func translateValidation() {
	validation.MsgUnexpectedProperty = "不应有该字段"
	validation.MsgExpectedRFC3339DateTime = "应为日期时间（RFC 3339，如 2026-01-02T15:04:05+08:00）"
	validation.MsgExpectedRFC1123DateTime = "应为日期时间（RFC 1123）"
	validation.MsgExpectedRFC3339Date = "应为日期，格式 YYYY-MM-DD"
	validation.MsgExpectedRFC3339Time = "应为时间，格式 hh:mm:ss"
	validation.MsgExpectedRFC5322Email = "应为电子邮件地址"
	validation.MsgExpectedRFC5890Hostname = "应为主机名"
	validation.MsgExpectedRFC2673IPv4 = "应为 IPv4 地址"
	validation.MsgExpectedRFC2373IPv6 = "应为 IPv6 地址"
	validation.MsgExpectedRFCIPAddr = "应为 IPv4 或 IPv6 地址"
	validation.MsgExpectedRFC3986URI = "应为 URI"
	validation.MsgExpectedRFC4122UUID = "应为 UUID"
	validation.MsgExpectedRFC6570URITemplate = "应为 URI 模板"
	validation.MsgExpectedRFC6901JSONPointer = "应为 JSON 指针"
	validation.MsgExpectedRFC6901RelativeJSONPointer = "应为相对 JSON 指针"
	validation.MsgExpectedRegexp = "应为正则表达式"
	validation.MsgExpectedMatchAtLeastOneSchema = "不符合任何一种允许的格式"
	validation.MsgExpectedMatchExactlyOneSchema = "应恰好符合一种允许的格式"
	validation.MsgExpectedNotMatchSchema = "不应符合该格式"
	validation.MsgExpectedPropertyNameInObject = "对象中缺少区分类型的字段"
	validation.MsgExpectedBoolean = "应为布尔值（true 或 false）"
	validation.MsgExpectedDuration = "应为时长"
	validation.MsgExpectedNumber = "应为数字"
	validation.MsgExpectedInteger = "应为整数"
	validation.MsgExpectedString = "应为字符串"
	validation.MsgExpectedBase64String = "应为 Base64 编码"
	validation.MsgExpectedArray = "应为数组"
	validation.MsgExpectedObject = "应为对象"
	validation.MsgExpectedArrayItemsUnique = "数组元素不能重复"
	validation.MsgExpectedOneOf = "应为以下之一：%s"
	validation.MsgExpectedMinimumNumber = "应不小于 %v"
	validation.MsgExpectedExclusiveMinimumNumber = "应大于 %v"
	validation.MsgExpectedMaximumNumber = "应不大于 %v"
	validation.MsgExpectedExclusiveMaximumNumber = "应小于 %v"
	validation.MsgExpectedNumberBeMultipleOf = "应为 %v 的倍数"
	validation.MsgExpectedMinLength = "至少 %d 个字符"
	validation.MsgExpectedMaxLength = "最多 %d 个字符"
	validation.MsgExpectedBePattern = "应为%s"
	validation.MsgExpectedMatchPattern = "应符合格式 %s"
	validation.MsgExpectedMinItems = "至少 %d 项"
	validation.MsgExpectedMaxItems = "最多 %d 项"
	validation.MsgExpectedMinProperties = "至少 %d 个字段"
	validation.MsgExpectedMaxProperties = "最多 %d 个字段"
	validation.MsgExpectedRequiredProperty = "缺少必填字段 %s"
	validation.MsgExpectedDependentRequiredProperty = "有字段 %[2]s 时须有字段 %[1]s"
}
