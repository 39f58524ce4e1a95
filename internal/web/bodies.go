package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/xinyong/xinyong/internal/fault"
)

// Request bodies have a size limit fit for what they carry. The API's
// operations declare theirs (huma's MaxBodyBytes); the pages' forms take
// theirs from formLimits, by route pattern, here: a body declared larger
// is refused before it is read, and a longer one is cut off
// (http.MaxBytesReader) where the limit is passed.

// maxForm bounds a form without files: the longest is a commitment, four
// texts of at most 4,000 characters percent-encoded (9 bytes a character).
const maxForm = 256 << 10

// formLimits are the forms that may carry more than maxForm: files.
var formLimits = map[string]int64{
	"POST /records/{ref}/objections": maxUpload,
	"POST /records/{ref}/repairs":    maxUpload,
	"POST /check":                    maxCheckUpload + 1<<20,
	"POST /verify":                   maxVerifyUpload + 1<<20,
	"POST /intake":                   maxIntakeUpload + 1<<20,
	"POST /ledger/register":          maxRegisterUpload + 1<<20,
}

// limitForms applies the limit of the route a page's request with a body
// goes to; the API's requests are huma's.
func (s *Server) limitForms(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead ||
			strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		limit := int64(maxForm)
		if _, pattern := mux.Handler(r); formLimits[pattern] > 0 {
			limit = formLimits[pattern]
		}
		if r.ContentLength > limit {
			s.tooLarge(w, r, limit)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		// A plain form is read here, so that one too long is refused
		// rather than read as empty by PostFormValue; a multipart one is
		// read by its handler, which says what was too large.
		if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			if err := r.ParseForm(); err != nil {
				if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
					s.tooLarge(w, r, limit)
					return
				}
				s.pageError(w, r, fault.New(fault.Invalid, "未能读取提交的表单，请重试。"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	w.Header().Set("Connection", "close") // the rest of the body is not read
	s.pageError(w, r, fault.New(fault.TooLarge, "提交的内容过大：最多 "+strconv.FormatInt(limit>>10, 10)+" KB。"))
}
