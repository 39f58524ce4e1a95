package exchange

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/calendar"
	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/ingest"
	"github.com/xinyong/xinyong/internal/store"
)

// Puller pulls the feeds of the peers that have an address and a key (or
// an https address: read with this platform's client certificate) and
// applies them here.
type Puller struct {
	Store    store.Store
	Importer *ingest.Importer
	Log      *slog.Logger
	Client   *http.Client
	// TLS configures fetches over https when Client is nil: the client
	// certificate this platform presents to peers (mutual TLS) and the
	// roots it verifies their server certificates with (nil: no
	// certificate, the system roots).
	TLS *tls.Config
	// Every is how long to wait before asking a peer whose feed was
	// caught up again.
	Every time.Duration
	// Limit is the page size asked for (0: MaxPage).
	Limit int
	// Region is this platform's own territory ("" everything): see
	// decide.go.
	Region string

	mu sync.Mutex // one apply at a time: stamps are read, then written

	clientOnce sync.Once
	client     *http.Client
}

// Run pulls every peer until ctx ends, each in its own loop.
func (pl *Puller) Run(ctx context.Context) {
	started := map[string]bool{}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		peers, err := pl.Store.ListPeers(ctx)
		if err != nil && ctx.Err() == nil {
			pl.Log.Error("exchange: list peers", "err", err)
		}
		for _, p := range peers {
			if p.URL == "" || p.Key == "" && !strings.HasPrefix(p.URL, "https://") || started[p.Name] {
				continue
			}
			started[p.Name] = true
			go pl.follow(ctx, p.Name)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (pl *Puller) follow(ctx context.Context, name string) {
	wait := pl.Every
	for ctx.Err() == nil {
		p, err := pl.Store.GetPeer(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		more := false
		if err == nil {
			more, err = pl.CatchUp(ctx, p)
		}
		if err != nil && ctx.Err() == nil {
			pl.Log.Warn("exchange: pull", "peer", name, "err", err)
			if p.ID != 0 {
				pl.Store.SavePeerProgress(ctx, p.ID, store.PeerProgress{Error: err.Error()})
			}
			wait = min(max(wait*2, time.Second), time.Minute)
		} else {
			wait = pl.Every
		}
		if more && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// PullOnce reads one page of p's feed after its cursor and applies it;
// more says the page was full (more to read at once).
func (pl *Puller) PullOnce(ctx context.Context, p store.Peer) (more bool, err error) {
	t0 := time.Now()
	page, secret, err := pl.fetch(ctx, p)
	if err != nil {
		return false, err
	}
	t1 := time.Now()
	prog, err := pl.ApplySealed(ctx, p, page, secret)
	if err != nil {
		return false, err
	}
	pl.Log.Debug("exchange: page applied", "peer", p.Name, "entries", len(page.Entries), "fetch", t1.Sub(t0), "apply", time.Since(t1))
	if err := pl.Store.SavePeerProgress(ctx, p.ID, prog); err != nil {
		return false, err
	}
	return page.Next < page.Head, nil
}

// CatchUp pulls and applies p's feed until it has caught up, fetching the
// next page while the previous one is applied; more is false at the end.
// Each page's cursor is stored once it is applied, so a crash loses no
// more than the pages in flight, which are fetched again.
func (pl *Puller) CatchUp(ctx context.Context, p store.Peer) (more bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type fetched struct {
		page   Page
		secret []byte // what its personal fields are sealed under
		err    error
	}
	pages := make(chan fetched, 1)
	go func() {
		defer close(pages)
		q := p
		for {
			page, secret, err := pl.fetch(ctx, q)
			if err == nil {
				err = pl.prepare(secret, &page)
			}
			select {
			case pages <- fetched{page, secret, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || page.Next >= page.Head || len(page.Entries) == 0 && page.Next == q.Cursor {
				return
			}
			q.Cursor = page.Next
		}
	}()
	for f := range pages {
		if f.err != nil {
			return false, f.err
		}
		t := time.Now()
		prog, err := pl.ApplySealed(ctx, p, f.page, f.secret)
		if err != nil {
			return false, err
		}
		if err := pl.Store.SavePeerProgress(ctx, p.ID, prog); err != nil {
			return false, err
		}
		pl.Log.Debug("exchange: page applied", "peer", p.Name, "entries", len(f.page.Entries), "apply", time.Since(t))
		p.Cursor = f.page.Next
	}
	return false, nil
}

// fetch reads a page of p's feed and returns the secret its personal
// fields are sealed under: the hash of p's key, or, read with this
// platform's certificate alone, the connection's (ConnSecret).
func (pl *Puller) fetch(ctx context.Context, p store.Peer) (Page, []byte, error) {
	u, err := url.Parse(strings.TrimSuffix(p.URL, "/") + "/api/v1/feed")
	if err != nil {
		return Page{}, nil, fmt.Errorf("对端地址不正确：%w", err)
	}
	byCert := p.Key == ""
	if byCert && u.Scheme != "https" {
		return Page{}, nil, errors.New("没有对端平台的接口密钥，对端地址又不是 https：无法以证书认证")
	}
	if byCert && (pl.Client == nil && (pl.TLS == nil || len(pl.TLS.Certificates) == 0 && pl.TLS.GetClientCertificate == nil)) {
		return Page{}, nil, errors.New("没有对端平台的接口密钥，本平台也未配置交换证书（serve --exchange-cert、--exchange-key）")
	}
	q := u.Query()
	q.Set("since", strconv.FormatInt(p.Cursor, 10))
	if pl.Limit > 0 {
		q.Set("limit", strconv.Itoa(pl.Limit))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Page{}, nil, err
	}
	if !byCert {
		req.Header.Set("Authorization", "Bearer "+p.Key)
	}
	resp, err := pl.httpClient().Do(req)
	if err != nil {
		return Page{}, nil, explainFetch(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		why := ""
		switch {
		case byCert && resp.StatusCode == http.StatusForbidden:
			why = "对端未登记此证书（对端须以 peer add --client-cert 登记本平台的证书）；"
		case byCert && resp.StatusCode == http.StatusUnauthorized:
			why = "对端没有收到或未验证本平台的证书（对端须以 serve --tls-client-ca 要求客户端证书）；"
		}
		return Page{}, nil, fmt.Errorf("%s对端平台答复 %d：%s", why, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	secret := secretSum(p.Key)
	if byCert {
		if secret, err = ConnSecret(resp.TLS); err != nil {
			return Page{}, nil, err
		}
	}
	var page Page
	// json v2 decodes a page about twice as fast as encoding/json.
	if err := jsonv2.UnmarshalRead(resp.Body, &page); err != nil {
		return Page{}, nil, fmt.Errorf("对端平台的答复无法解析：%w", err)
	}
	if page.Next < p.Cursor {
		return Page{}, nil, fmt.Errorf("对端平台的游标 %d 早于已应用的 %d", page.Next, p.Cursor)
	}
	return page, secret, nil
}

// httpClient is Client, or one made once with the TLS configuration.
func (pl *Puller) httpClient() *http.Client {
	pl.clientOnce.Do(func() {
		pl.client = pl.Client
		if pl.client != nil {
			return
		}
		pl.client = &http.Client{Timeout: 2 * time.Minute}
		if pl.TLS != nil {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = pl.TLS.Clone()
			pl.client.Transport = tr
		}
	})
	return pl.client
}

// secretSum is what the peer's feed seals personal fields under: the
// hash of the secret part of the key this platform reads it with.
func secretSum(key string) []byte {
	_, secret, ok := auth.ParseAPIKey(key)
	if !ok {
		return nil
	}
	return auth.TokenHash(secret)
}

// Apply applies a page of p's feed read with p's key here and returns the
// progress to store (the cursor is page.Next). Runs of versions of one
// kind received together go through the intake path as one batch; state
// changes and repairs are applied one by one.
func (pl *Puller) Apply(ctx context.Context, p store.Peer, page Page) (store.PeerProgress, error) {
	return pl.ApplySealed(ctx, p, page, secretSum(p.Key))
}

// ApplySealed is Apply of a page whose personal fields are sealed under
// sum (KeySecret or ConnSecret).
func (pl *Puller) ApplySealed(ctx context.Context, p store.Peer, page Page, sum []byte) (store.PeerProgress, error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	prog := store.PeerProgress{Cursor: page.Next, RemoteHead: page.Head, Received: int64(len(page.Entries))}
	if err := pl.prepare(sum, &page); err != nil {
		return prog, err
	}
	peers, err := pl.Store.ListPeers(ctx)
	if err != nil {
		return prog, err
	}
	hs := newHomes(pl.Region, peers)
	es := page.Entries
	for i := 0; i < len(es); {
		e := es[i]
		if e.Op == store.OpSubject {
			// A run of subjects made together (one stamp) is one put.
			j := i + 1
			for j < len(es) && es[j].Op == store.OpSubject && es[j].At.Equal(e.At) {
				j++
			}
			n, err := pl.applySubjects(ctx, p, sum, es[i:j])
			if err != nil {
				return prog, fmt.Errorf("第%d至%d条（主体）：%w", es[i].Seq, es[j-1].Seq, err)
			}
			prog.Applied += n
			i = j
			continue
		}
		if e.Op != store.OpVersion {
			n, c, err := pl.applyOne(ctx, p, hs, e)
			if err != nil {
				return prog, fmt.Errorf("第%d条（%s）：%w", e.Seq, e.Op, err)
			}
			prog.Applied += n
			prog.Conflicts += c
			i++
			continue
		}
		j := i + 1
		home := isHome(hs, p, e)
		for j < len(es) && es[j].Op == store.OpVersion && es[j].Kind == e.Kind && es[j].ReceivedAt.Equal(e.ReceivedAt) &&
			reasonOf(es[j]) == reasonOf(e) && isHome(hs, p, es[j]) == home {
			j++
		}
		n, c, err := pl.applyRun(ctx, p, hs, es[i:j], home)
		if err != nil {
			return prog, fmt.Errorf("第%d至%d条：%w", es[i].Seq, es[j-1].Seq, err)
		}
		prog.Applied += n
		prog.Conflicts += c
		i = j
	}
	return prog, nil
}

// isHome reports whether a version received from p is the deciding
// department's: marked so by the sender, and p is in the direction of
// its home.
func isHome(hs homes, p store.Peer, e Entry) bool {
	return e.Home && hs.decided(deciderRegion(e.Field), p.Name)
}

// reasonOf is the reason a corrected version was sent with.
func reasonOf(e Entry) string {
	if e.State == string(store.StateCorrected) {
		return e.StateReason
	}
	return ""
}

// row is an entry as a row of its kind's fields, with its identity here.
type row struct {
	e        Entry
	values   []string
	identity string
}

// header is a kind's catalogue keys, the columns of its rows here.
func header(kind *catalog.Kind) []string {
	h := make([]string, len(kind.Fields))
	for i, f := range kind.Fields {
		h[i] = f.Key
	}
	return h
}

// prepare turns a page's version, state and repair entries into rows of
// their kinds' fields (personal ones unsealed) with their identities here:
// the work of applying that needs nothing from the database, which
// CatchUp does for the next page while the previous one is applied.
func (pl *Puller) prepare(sum []byte, page *Page) error {
	page.Index()
	type kindCols struct {
		kind   *catalog.Kind
		header []string
		cols   catalog.Columns
	}
	kinds := map[string]*kindCols{}
	for i := range page.Entries {
		e := &page.Entries[i]
		if e.Op == store.OpSubject || e.prepared != nil {
			continue
		}
		kc := kinds[e.Kind]
		if kc == nil {
			kind, ok := pl.Importer.Catalog.Kind(e.Kind)
			if !ok {
				return fmt.Errorf("第%d条：未知的信息类别：%s", e.Seq, e.Kind)
			}
			h := header(kind)
			cols, err := kind.MatchHeader(h)
			if err != nil {
				return err
			}
			kc = &kindCols{kind, h, cols}
			kinds[e.Kind] = kc
		}
		private, err := unseal(sum, e.Seq, e.Sealed)
		if err != nil {
			return fmt.Errorf("第%d条：%w", e.Seq, err)
		}
		vals := make([]string, len(kc.header))
		for j, k := range kc.header {
			v, ok := private[k]
			if !ok {
				v = e.Field(k)
			}
			vals[j] = v
		}
		id, _ := kc.kind.RowIdentity(vals, kc.cols, calendar.FromTime(e.ReceivedAt), pl.Importer.Hash)
		e.prepared = &row{values: vals, identity: id}
	}
	return nil
}

// rows are the prepared rows of entries of one kind.
func rows(es []Entry) []row {
	out := make([]row, len(es))
	for i, e := range es {
		out[i] = row{e: e, values: e.prepared.values, identity: e.prepared.identity}
	}
	return out
}

// fresh keeps the rows to apply here and notes a conflict for each
// version that loses (see decide.go): a state change or repair is applied
// when it is later than everything held for the record; a version when it
// is not held yet and wins by the rule "the deciding department's latest
// version wins".
func (pl *Puller) fresh(ctx context.Context, p store.Peer, hs homes, kind string, rs []row) ([]row, map[string]store.RecordStamp, int64, error) {
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.identity != "" {
			ids = append(ids, r.identity)
		}
	}
	stamps, err := pl.Store.RecordStamps(ctx, kind, ids)
	if err != nil {
		return nil, nil, 0, err
	}
	keep := make([]row, 0, len(rs))
	var conflicts int64
	conflict := func(r row, st store.RecordStamp, at, heldAt time.Time, applied bool) error {
		conflicts++
		if err := pl.Store.AddConflict(ctx, store.Conflict{Peer: p.Name, RecordID: st.RecordID, Kind: kind, Op: r.e.Op, At: at, HeldAt: heldAt}); err != nil {
			return err
		}
		pl.Log.Info("exchange: version conflict (the deciding department's latest version wins)",
			"peer", p.Name, "record", st.RecordID, "op", r.e.Op, "at", at, "home", r.e.Home, "held", heldAt, "applied", applied)
		return nil
	}
	for _, r := range rs {
		st, held := stamps[r.identity]
		at := stamp(r.e.At)
		if !held {
			keep = append(keep, r)
			continue
		}
		if r.e.Op != store.OpVersion {
			if at.After(stamp(st.At)) {
				keep = append(keep, r)
				continue
			}
			if at.Before(stamp(st.At)) {
				had, err := pl.Store.HasStamp(ctx, st.RecordID, at)
				if err != nil {
					return nil, nil, 0, err
				}
				if !had {
					if err := conflict(r, st, at, st.At, false); err != nil {
						return nil, nil, 0, err
					}
				}
			}
			continue
		}
		// A version: is it held already, and what is the latest version
		// held, the latest of the deciding department's?
		region := deciderRegion(r.e.Field)
		home := isHome(hs, p, r.e)
		var latest, latestHome time.Time
		seen, hasHome := false, false
		for _, v := range st.Versions {
			vat := stamp(v.At)
			if vat.Equal(at) {
				seen = true
			}
			if vat.After(latest) {
				latest = vat
			}
			if hs.decided(region, v.Origin) {
				hasHome = true
				if vat.After(latestHome) {
					latestHome = vat
				}
			}
		}
		if seen {
			continue
		}
		switch {
		case home && (!hasHome || at.After(latestHome)):
			// The deciding department's newer version: it wins, also over
			// a later one made elsewhere (logged).
			keep = append(keep, r)
			if at.Before(latest) {
				if err := conflict(r, st, at, latest, true); err != nil {
					return nil, nil, 0, err
				}
			}
		case !home && !hasHome && at.After(latest):
			keep = append(keep, r)
		case !home && hasHome:
			// Made elsewhere: never over the deciding department's.
			if err := conflict(r, st, at, latestHome, false); err != nil {
				return nil, nil, 0, err
			}
		default:
			if err := conflict(r, st, at, latest, false); err != nil {
				return nil, nil, 0, err
			}
		}
	}
	return keep, stamps, conflicts, nil
}

// applyRun files a run of versions through intake, as one batch named
// after the peer (the versions' origin here): CopyOrigin(peer) when they
// are not the deciding department's, so that they are never taken for its
// versions later, here or where they are relayed.
func (pl *Puller) applyRun(ctx context.Context, p store.Peer, hs homes, es []Entry, home bool) (int64, int64, error) {
	kind, ok := pl.Importer.Catalog.Kind(es[0].Kind)
	if !ok {
		return 0, 0, fmt.Errorf("未知的信息类别：%s", es[0].Kind)
	}
	keep, _, conflicts, err := pl.fresh(ctx, p, hs, kind.Code, rows(es))
	if err != nil || len(keep) == 0 {
		return 0, conflicts, err
	}
	values := make([][]string, len(keep))
	for i, r := range keep {
		values[i] = r.values
	}
	// The batch of a run is resumed when the run is applied again after a
	// crash: same peer, same entries.
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", p.Name, es[0].Seq, es[len(es)-1].Seq)))
	origin := p.Name
	if !home {
		origin = store.CopyOrigin(p.Name)
	}
	res, err := pl.Importer.Import(ctx, ingest.NewRowsTable(header(kind), values), ingest.Options{
		Kind: kind.Code, Channel: "exchange", FileName: origin, FileHash: hex.EncodeToString(h[:]),
		ReceivedAt: stamp(es[0].ReceivedAt), Reason: reasonOf(es[0]), Outcomes: true,
	})
	if err != nil {
		return 0, conflicts, err
	}
	for _, e := range res.Rejected {
		pl.Log.Warn("exchange: entry rejected by intake", "peer", p.Name, "kind", kind.Code, "field", e.Field, "reason", e.Reason)
	}
	applied := int64(res.Accepted + res.Updated)
	// A version sent revoked or repaired (a record whose first entry
	// here is its current version): its state and repair follow.
	for _, o := range res.Outcomes {
		if o.Change != store.Created || o.Row < 1 || o.Row > len(keep) {
			continue
		}
		e := keep[o.Row-1].e
		if e.State == string(store.StateRevoked) {
			if err := pl.Store.ApplyRecordState(ctx, o.ID, store.StateRevoked, e.StateReason, stamp(e.At), p.Name); err != nil {
				return applied, conflicts, err
			}
		}
		if e.RepairedOn != "" {
			if err := pl.Store.ApplyRepair(ctx, o.ID, e.RepairedOn, stamp(e.At), p.Name); err != nil {
				return applied, conflicts, err
			}
		}
	}
	return applied, conflicts, nil
}

func (pl *Puller) applyOne(ctx context.Context, p store.Peer, hs homes, e Entry) (int64, int64, error) {
	kind, ok := pl.Importer.Catalog.Kind(e.Kind)
	if !ok {
		return 0, 0, fmt.Errorf("未知的信息类别：%s", e.Kind)
	}
	rs := rows([]Entry{e})
	keep, stamps, conflicts, err := pl.fresh(ctx, p, hs, kind.Code, rs)
	if err != nil || len(keep) == 0 {
		return 0, conflicts, err
	}
	st, held := stamps[rs[0].identity]
	if !held {
		// The record itself never came (left out, or rejected here).
		pl.Log.Warn("exchange: state change or repair of a record not held here", "peer", p.Name, "seq", e.Seq, "kind", e.Kind)
		return 0, conflicts, nil
	}
	switch e.Op {
	case store.OpState:
		err = pl.Store.ApplyRecordState(ctx, st.RecordID, store.RecordState(e.State), e.StateReason, stamp(e.At), p.Name)
	case store.OpRepair:
		err = pl.Store.ApplyRepair(ctx, st.RecordID, e.RepairedOn, stamp(e.At), p.Name)
	default:
		err = fmt.Errorf("未知的操作：%s", e.Op)
	}
	if err != nil {
		return 0, conflicts, err
	}
	return 1, conflicts, nil
}

// applySubjects files a run of subject entries made together (one stamp)
// through the subject registry's path: a subject whose stamp here is not
// earlier is left as it is (a repeat, or an older identity).
func (pl *Puller) applySubjects(ctx context.Context, p store.Peer, sum []byte, es []Entry) (int64, error) {
	subs := make([]credit.Subject, 0, len(es))
	for _, e := range es {
		if e.Subject == nil {
			return 0, fmt.Errorf("第%d条：主体条目缺少主体信息", e.Seq)
		}
		private, err := unseal(sum, e.Seq, e.Sealed)
		if err != nil {
			return 0, err
		}
		sub := credit.Subject{Class: credit.Class(e.Subject.Class), USCC: e.Subject.USCC, RegNo: e.Subject.RegNo,
			IDNumber: private["id_number"], Name: e.Subject.Name, Region: e.Region}
		for _, n := range e.Subject.FormerNames {
			sub.FormerNames = append(sub.FormerNames, credit.NameSpan{Name: n.Name, From: n.From, To: n.To})
		}
		subs = append(subs, sub)
	}
	for {
		st, err := pl.Store.ApplySubjects(ctx, subs, stamp(es[0].At), p.Name)
		var bad *store.BatchError
		if errors.As(err, &bad) && bad.Index >= 0 && bad.Index < len(subs) {
			// A subject this platform cannot file is left out (logged),
			// not retried for ever.
			pl.Log.Warn("exchange: subject rejected", "peer", p.Name, "seq", es[bad.Index].Seq, "err", bad.Err)
			subs = slices.Delete(subs, bad.Index, bad.Index+1)
			es = slices.Delete(slices.Clone(es), bad.Index, bad.Index+1)
			if len(subs) > 0 {
				continue
			}
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return int64(st.Created + st.Renamed + st.Updated), nil
	}
}
