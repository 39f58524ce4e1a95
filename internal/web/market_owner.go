package web

import (
	"net/http"

	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/market"
)

// ownerPageData is a firm's owner page: its registration (or the form)
// and its projects.
type ownerPageData struct {
	Registered  bool
	Owner       market.Owner
	In          market.OwnerInput
	Declaration string
	Projects    []market.ProjectView
	F           marketFmt
	Error       string
	Fields      []fault.Field
}

func (s *Server) renderMarketOwner(w http.ResponseWriter, r *http.Request, status int, in market.OwnerInput, ferr error) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	m, ctx := s.opts.Market, r.Context()
	d := ownerPageData{In: in, Declaration: market.OwnerDeclaration, F: s.mfmt()}
	o, err := m.MyOwner(ctx, p)
	switch {
	case err == nil:
		d.Registered, d.Owner = true, o
		all, err := m.Projects(ctx, p)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		for _, v := range all {
			if v.Owner {
				d.Projects = append(d.Projects, v)
			}
		}
	case fault.KindOf(err) != fault.NotFound:
		s.pageError(w, r, err)
		return
	}
	if ferr != nil {
		d.Error, d.Fields = fault.Message(ferr), fault.Fields(ferr)
	}
	s.render(w, r, status, "marketowner", "项目业主登记", d)
}

// marketOwner is a firm's owner page (项目业主库).
func (s *Server) marketOwner(w http.ResponseWriter, r *http.Request) {
	s.renderMarketOwner(w, r, http.StatusOK, market.OwnerInput{}, nil)
}

// marketRegisterOwner registers the signed-in firm as a project owner.
func (s *Server) marketRegisterOwner(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	if !checkCSRF(r) {
		s.staleForm(w, r)
		return
	}
	f := r.PostFormValue
	in := market.OwnerInput{LegalRep: f("legal_rep"), Contact: f("contact"), Phone: f("phone"), Declared: f("declared") == "yes"}
	if _, err := s.opts.Market.RegisterOwner(r.Context(), p, in); err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Refused || k == fault.Exists {
			s.renderMarketOwner(w, r, statusOf(k), in, err)
			return
		}
		s.pageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/market/owner", http.StatusSeeOther)
}
