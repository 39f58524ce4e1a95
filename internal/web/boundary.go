package web

import (
	"context"
	"crypto/tls"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/xinyong/xinyong/internal/auth"
)

// The API's boundary. Every operation declares who may call it (Security:
// one of the requirements below); authenticate, an API-level huma
// middleware, runs before huma reads or validates the body and refuses a
// caller who meets none of the operation's requirements: anonymous 401,
// signed in the wrong way 403. What a caller may do with a resource stays
// with the handler (auth.Authorizer.Decide needs the resource).

// The security schemes of the OpenAPI document.
const (
	schemeBearer  = "bearer"  // a department's API key: Authorization: Bearer xyk_…
	schemeSession = "session" // the session cookie of a signed-in account
	// schemeMTLS: a client certificate verified against serve's
	// --tls-client-ca (mutual TLS); only peer platforms use it, and only
	// operations that list it accept it.
	schemeMTLS = "mutualTLS"
)

// Security requirements of operations.
var (
	// secPublic: anyone, without credentials.
	secPublic = []map[string][]string{{}}
	// secOptional: anyone; an API key or a session may show more.
	secOptional = []map[string][]string{{}, {schemeBearer: {}}, {schemeSession: {}}}
	// secSignedIn: an API key or a signed-in account.
	secSignedIn = []map[string][]string{{schemeBearer: {}}, {schemeSession: {}}}
	// secKey: a department's API key only.
	secKey = []map[string][]string{{schemeBearer: {}}}
	// secSession: a signed-in account only.
	secSession = []map[string][]string{{schemeSession: {}}}
	// secPeer: a peer platform's API key, or its client certificate.
	secPeer = []map[string][]string{{schemeBearer: {}}, {schemeMTLS: {}}}
)

// Error responses operations declare (as they apply): every call may carry
// a wrong credential (401, from identify) and every API key is rate
// limited (429); the database may be unreachable (503).
var (
	errsRead    = []int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable}
	errsQuery   = []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusTooManyRequests, http.StatusServiceUnavailable}
	errsGuarded = []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusTooManyRequests,
		http.StatusServiceUnavailable}
	// errsBody: an operation with a request body (413 over its size).
	errsBody = with(errsGuarded, http.StatusRequestEntityTooLarge)
	// errsCase: a body about a case or record that may not exist or may
	// have changed meanwhile.
	errsCase = with(errsBody, http.StatusNotFound, http.StatusConflict)
)

// with returns codes and more, for an operation's Errors.
func with(codes []int, more ...int) []int {
	return append(append([]int(nil), codes...), more...)
}

// licence is what the OpenAPI document says the platform's licence is.
// The repository has no licence file yet: this names the Mulan permissive
// licence (v2) that Chinese public-sector open source commonly uses; the
// maintainers confirm or change it here.
var licence = &huma.License{Name: "木兰宽松许可证 第2版", Identifier: "MulanPSL-2.0"}

func newAPI(mux *http.ServeMux, version string) huma.API {
	cfg := huma.DefaultConfig("xinyong 公共信用信息平台 API", version)
	cfg.OpenAPIPath = "/api/v1/openapi"
	cfg.DocsPath = ""
	cfg.SchemasPath = "/api/v1/schemas"
	cfg.Info.Description = "The platform's JSON API. Errors are RFC 9457 problem documents (application/problem+json) " +
		"with a Chinese detail and, for invalid requests, each field at fault; values sent are never copied back. " +
		"Every operation declares its security: public ones take no credentials; the others a department's API key " +
		"(Authorization: Bearer xyk_…) or the session of a signed-in account, checked before the request body is read."
	cfg.Info.License = licence
	cfg.Servers = []*huma.Server{{URL: "/", Description: "this platform: the site that served the document"}}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeBearer: {Type: "http", Scheme: "bearer", BearerFormat: "xyk_…",
			Description: "A department's API key (xinyong client add), with its scopes: Authorization: Bearer xyk_…. " +
				"Each key is rate limited (429 with Retry-After)."},
		schemeSession: {Type: "apiKey", In: "cookie", Name: SessionCookie,
			Description: "The session of an account signed in at /login (pages and scripts of the same site)."},
		schemeMTLS: {Type: "mutualTLS",
			Description: "A client certificate (mutual TLS), verified against the platform's client CA (serve --tls-client-ca), " +
				"of a peer platform registered with it (xinyong peer add --client-cert). Only where an operation lists it."},
	}
	return humago.New(mux, cfg)
}

// authenticate refuses, before the body is read, a caller who meets none
// of the operation's security requirements. An operation that declares
// none is refused to everyone but signed-in callers (the table test over
// the document keeps every operation declared).
func (s *Server) authenticate(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	p := principalFrom(ctx.Context())
	sec := op.Security
	if sec == nil {
		sec = secSignedIn
	}
	cert := peerConnFrom(ctx.Context()) != nil
	for _, req := range sec {
		if meets(p, cert, req) {
			next(ctx)
			return
		}
	}
	if p.Kind == auth.Anonymous {
		ctx.SetHeader("WWW-Authenticate", `Bearer realm="xinyong"`)
		huma.WriteErr(s.api, ctx, http.StatusUnauthorized, authHint(sec, false))
		return
	}
	huma.WriteErr(s.api, ctx, http.StatusForbidden, authHint(sec, true))
}

// meets reports whether p, with a verified client certificate or not,
// meets every scheme of a requirement (an empty requirement: anyone).
func meets(p auth.Principal, cert bool, req map[string][]string) bool {
	for scheme := range req {
		switch {
		case scheme == schemeBearer && p.Kind == auth.Client:
		case scheme == schemeSession && p.Kind == auth.UserKind:
		case scheme == schemeMTLS && cert:
		default:
			return false
		}
	}
	return true
}

// authHint says what credential the operation takes, to a caller without
// one or (wrong) with another.
func authHint(sec []map[string][]string, wrong bool) string {
	var key, session, cert bool
	for _, req := range sec {
		_, k := req[schemeBearer]
		_, s := req[schemeSession]
		_, c := req[schemeMTLS]
		key, session, cert = key || k, session || s, cert || c
	}
	switch {
	case key && cert && wrong:
		return "本接口须使用对端平台的接口密钥（Authorization: Bearer）或其已登记的客户端证书调用"
	case key && cert:
		return "请在 Authorization: Bearer 中提供对端平台的接口密钥，或以已登记的客户端证书连接（双向 TLS）"
	case key && session:
		return "请先登录或提供接口密钥（Authorization: Bearer）"
	case key && wrong:
		return "本接口须使用部门的接口密钥（Authorization: Bearer）调用"
	case key:
		return "请在 Authorization: Bearer 中提供接口密钥"
	case wrong:
		return "本接口须由登录的账户调用，不接受接口密钥"
	}
	return "请先登录"
}

// peerConnFrom is the TLS connection of a request that carries a verified
// client certificate and no API key (nil otherwise): identify puts it in
// the context; operations that list schemeMTLS find their peer by it.
func peerConnFrom(ctx context.Context) *tls.ConnectionState {
	cs, _ := ctx.Value(peerConnKey).(*tls.ConnectionState)
	return cs
}
