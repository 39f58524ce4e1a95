package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/fault"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

// FeedInput is the query of GET /api/v1/feed.
type FeedInput struct {
	Since  int64  `query:"since" minimum:"0" doc:"The cursor: next of the previous page; 0 reads from the first entry."`
	Limit  int    `query:"limit" minimum:"1" maximum:"5000" default:"1000" doc:"Most entries returned."`
	Region string `query:"region" pattern:"^([0-9]{2}){1,3}$" doc:"Only subjects of this region (a code prefix of 2, 4 or 6 digits) within the peer's territory."`
	Kind   string `query:"kind" pattern:"^[a-z]{2,6}(,[a-z]{2,6})*$" doc:"Only these catalogue kinds, comma-separated (cf,xk)."`
}

// FeedOutput is a page of the feed.
type FeedOutput struct {
	Body exchange.Page
}

func (s *Server) registerExchange(mux *http.ServeMux) {
	huma.Register(s.api, huma.Operation{
		OperationID: "get-feed",
		Method:      "GET",
		Path:        "/api/v1/feed",
		Summary:     "The full-record feed for peer platforms",
		Description: "Every accepted record version (new and corrected), revocation, restoration and repair, and every subject created or changed other than by filing a record, in commit order, " +
			"resumable from a cursor. Only for a peer platform registered with `xinyong peer add`, with the API key it was given " +
			"or over mutual TLS with the client certificate it was registered with (`--client-cert`): " +
			"a lower platform receives the records of its territory, the upper and national platforms everything; " +
			"what the peer itself sent is not sent back. Personal fields are sent sealed, and only to peers allowed to receive them: " +
			"under a key derived from the peer's API key, or, for a peer authenticated by its certificate, from the TLS connection's " +
			"exported keying material (label `EXPERIMENTAL xinyong exchange seal`, 32 bytes).",
		Tags:     []string{"exchange"},
		Security: secPeer,
		Errors:   with(errsQuery, http.StatusForbidden),
	}, func(ctx context.Context, in *FeedInput) (*FeedOutput, error) {
		peer, secret, err := s.feedPeer(ctx)
		if err != nil {
			return nil, err
		}
		q := exchange.Query{Since: in.Since, Limit: in.Limit, Region: in.Region}
		if in.Kind != "" {
			q.Kinds = strings.Split(in.Kind, ",")
		}
		page, err := (&exchange.Feed{Store: s.opts.Store, Region: s.opts.ExchangeRegion}).Page(ctx, peer, secret, q)
		if err != nil {
			return nil, err
		}
		return &FeedOutput{Body: page}, nil
	})
	mux.HandleFunc("GET /exchange", s.exchangePage)
	s.registerSnapshots()
}

// feedPeer is the peer platform reading the feed and the secret its
// personal fields are sealed under: by its API key (the key's hash), else
// by its verified client certificate (the connection's keying material).
func (s *Server) feedPeer(ctx context.Context) (store.Peer, []byte, error) {
	if p := principalFrom(ctx); p.Kind == auth.Client {
		peer, err := s.opts.Store.PeerByClient(ctx, p.ID)
		if errors.Is(err, store.ErrNotFound) {
			return peer, nil, fault.New(fault.Refused, "此接口密钥不属于已登记的对端平台")
		}
		if err != nil {
			return peer, nil, err
		}
		cl, err := s.opts.Store.GetClient(ctx, p.ID)
		return peer, cl.SecretSum, err
	}
	cs := peerConnFrom(ctx)
	c := exchange.PeerCert(cs)
	if c == nil {
		return store.Peer{}, nil, fault.New(fault.Unauthenticated, "请在 Authorization: Bearer 中提供对端平台的接口密钥，或以已登记的客户端证书连接（双向 TLS）")
	}
	peer, err := s.opts.Store.PeerByCert(ctx, exchange.CertFingerprint(c.Raw))
	if errors.Is(err, store.ErrNotFound) {
		return peer, nil, fault.New(fault.Refused, "此客户端证书不属于已登记的对端平台")
	}
	if err != nil {
		return peer, nil, err
	}
	secret, err := exchange.ConnSecret(cs)
	return peer, secret, err
}

// peerRow is a peer as the status page shows it.
type peerRow struct {
	store.Peer
	RoleLabel, Place string
	Cert             string // its client certificate's fingerprint, shortened
}

var peerRoles = map[string]string{store.PeerUpper: "上级平台", store.PeerLower: "下级平台", store.PeerNational: "全国平台"}

func (s *Server) exchangePage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.requireSignIn(w, r)
	if !ok {
		return
	}
	d := s.decide(p, auth.ExchangeRead, auth.Resource{OrgPath: p.Org.Path})
	if d.Allow && p.Org.Kind != auth.Operator {
		d = auth.Decision{Reason: "平台间信息交换只由平台运营单位查看"}
	}
	if !d.Allow {
		s.forbidden(w, r, d)
		return
	}
	ctx := r.Context()
	peers, err := s.opts.Store.ListPeers(ctx)
	if err != nil {
		s.serviceError(w, r, "read peers", err)
		return
	}
	rows := make([]peerRow, len(peers))
	for i, pe := range peers {
		pe.Key = ""
		place := "全部"
		if pe.Region != "" {
			place = match.PlaceName(pe.Region)
		}
		rows[i] = peerRow{Peer: pe, RoleLabel: peerRoles[pe.Role], Place: place, Cert: exchange.ShortFingerprint(pe.CertSHA256)}
	}
	conflicts, err := s.opts.Store.ListConflicts(ctx, 100)
	if err != nil {
		s.serviceError(w, r, "read conflicts", err)
		return
	}
	_, _, head, err := s.opts.Store.Feed(ctx, store.FeedQuery{Since: 1 << 62})
	if err != nil {
		s.serviceError(w, r, "read exchange log", err)
		return
	}
	s.render(w, r, http.StatusOK, "exchange", "平台间信息交换", map[string]any{"Peers": rows, "Conflicts": conflicts, "Head": head})
}

// SnapshotItem is a public snapshot in the list.
type SnapshotItem struct {
	Day     string    `json:"day" doc:"The day (China) whose public view the snapshot is."`
	Records int       `json:"records"`
	SHA256  string    `json:"sha256" doc:"SHA-256 of the snapshot's uncompressed JSON lines."`
	URL     string    `json:"url" doc:"The snapshot: gzip of JSON lines, one record each, sorted."`
	Created time.Time `json:"created_at"`
	Delta   *struct {
		Base    string `json:"base" doc:"The day of the snapshot the delta applies to."`
		Added   int    `json:"added"`
		Removed int    `json:"removed"`
		SHA256  string `json:"sha256" doc:"SHA-256 of the delta's uncompressed lines."`
		URL     string `json:"url" doc:"The delta: gzip of lines, \"-\" and a line of the base removed, then \"+\" and a line added."`
	} `json:"delta,omitempty"`
}

// SnapshotsOutput lists the snapshots.
type SnapshotsOutput struct {
	Body struct {
		Snapshots []SnapshotItem `json:"snapshots"`
	}
}

// SnapshotDayInput names a snapshot.
type SnapshotDayInput struct {
	Day string `path:"day" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"`
}

// SnapshotFileOutput is a snapshot or delta file.
type SnapshotFileOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Checksum           string `header:"X-Checksum-Sha256" doc:"SHA-256 of the uncompressed content."`
	Body               []byte
}

func (s *Server) registerSnapshots() {
	huma.Register(s.api, huma.Operation{
		OperationID: "list-snapshots",
		Method:      "GET",
		Path:        "/api/v1/snapshots",
		Summary:     "Daily public snapshots and their deltas",
		Description: "The records of organisations the portal shows, one snapshot a day, with the delta from the snapshot before: " +
			"the snapshot of a day plus the deltas after it give the public view of a later day exactly. For research and business users.",
		Tags:     []string{"snapshots"},
		Security: secPublic,
		Errors:   errsRead,
	}, func(ctx context.Context, _ *struct{}) (*SnapshotsOutput, error) {
		list, err := s.opts.Store.ListSnapshots(ctx)
		if err != nil {
			return nil, err
		}
		out := &SnapshotsOutput{}
		out.Body.Snapshots = make([]SnapshotItem, 0, len(list))
		for _, p := range list {
			it := SnapshotItem{Day: p.Day, Records: p.Records, SHA256: p.SHA256, URL: "/api/v1/snapshots/" + p.Day, Created: p.Created}
			if p.BaseDay != "" {
				it.Delta = &struct {
					Base    string `json:"base" doc:"The day of the snapshot the delta applies to."`
					Added   int    `json:"added"`
					Removed int    `json:"removed"`
					SHA256  string `json:"sha256" doc:"SHA-256 of the delta's uncompressed lines."`
					URL     string `json:"url" doc:"The delta: gzip of lines, \"-\" and a line of the base removed, then \"+\" and a line added."`
				}{p.BaseDay, p.Added, p.Removed, p.DeltaSHA256, "/api/v1/snapshots/" + p.Day + "/delta"}
			}
			out.Body.Snapshots = append(out.Body.Snapshots, it)
		}
		return out, nil
	})
	file := func(delta bool) func(ctx context.Context, in *SnapshotDayInput) (*SnapshotFileOutput, error) {
		return func(ctx context.Context, in *SnapshotDayInput) (*SnapshotFileOutput, error) {
			p, err := s.opts.Store.GetSnapshot(ctx, in.Day)
			if errors.Is(err, store.ErrNotFound) {
				return nil, fault.New(fault.NotFound, "没有"+in.Day+"的公开数据快照")
			}
			if err != nil {
				return nil, err
			}
			out := &SnapshotFileOutput{ContentType: "application/gzip", Checksum: p.SHA256, Body: p.Body,
				ContentDisposition: `attachment; filename="xinyong-public-` + p.Day + `.jsonl.gz"`}
			if delta {
				if p.BaseDay == "" {
					return nil, fault.New(fault.NotFound, in.Day+"的快照是第一份，没有增量")
				}
				out.Checksum, out.Body = p.DeltaSHA256, p.Delta
				out.ContentDisposition = `attachment; filename="xinyong-public-` + p.BaseDay + `-` + p.Day + `.delta.gz"`
			}
			return out, nil
		}
	}
	huma.Register(s.api, huma.Operation{
		OperationID: "get-snapshot",
		Method:      "GET",
		Path:        "/api/v1/snapshots/{day}",
		Summary:     "A day's public snapshot (gzip of JSON lines)",
		Tags:        []string{"snapshots"},
		Security:    secPublic,
		Errors:      with(errsQuery, http.StatusNotFound),
		Responses: map[string]*huma.Response{"200": {Description: "gzip of JSON lines", Content: map[string]*huma.MediaType{
			"application/gzip": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}},
	}, file(false))
	huma.Register(s.api, huma.Operation{
		OperationID: "get-snapshot-delta",
		Method:      "GET",
		Path:        "/api/v1/snapshots/{day}/delta",
		Summary:     "The delta from the snapshot before to a day's (gzip of lines)",
		Tags:        []string{"snapshots"},
		Security:    secPublic,
		Errors:      with(errsQuery, http.StatusNotFound),
		Responses: map[string]*huma.Response{"200": {Description: "gzip of delta lines", Content: map[string]*huma.MediaType{
			"application/gzip": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}},
	}, file(true))
}

// primaryCookie marks a browser that wrote lately: its reads go to the
// primary database until the cookie expires (Options.ReplicaWindow).
const primaryCookie = "xinyong_primary"

// replicaReads lets the read replicas answer page and API reads of the
// public and of sessions that wrote nothing within the window (GET and
// HEAD without the cookie, without an API key or a verified client
// certificate); any other request (re)starts the window. Without
// replicas it does nothing.
func (s *Server) replicaReads(next http.Handler) http.Handler {
	if s.opts.Replicas == nil || s.opts.ReplicaWindow <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			http.SetCookie(w, &http.Cookie{Name: primaryCookie, Value: "1", Path: "/", MaxAge: max(int(s.opts.ReplicaWindow.Seconds()), 1),
				HttpOnly: true, Secure: !s.opts.InsecureCookies, SameSite: http.SameSiteLaxMode})
		case r.Header.Get("Authorization") != "", exchange.PeerCert(r.TLS) != nil:
		default:
			if _, err := r.Cookie(primaryCookie); err != nil {
				r = r.WithContext(store.ReplicaOK(r.Context()))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// replicaCollectors export where reads went.
func replicaCollectors(rs store.ReplicaStats) []prometheus.Collector {
	read := func(target string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "xinyong_db_reads_total",
			Help: "Database reads by where they went: the primary or a read replica.", ConstLabels: prometheus.Labels{"target": target}},
			func() float64 { return float64(v()) })
	}
	return []prometheus.Collector{
		read("primary", func() int64 { p, _ := rs.ReadCounts(); return p }),
		read("replica", func() int64 { _, r := rs.ReadCounts(); return r }),
	}
}
