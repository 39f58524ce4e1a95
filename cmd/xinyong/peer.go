package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/auth"
	"github.com/xinyong/xinyong/internal/config"
	"github.com/xinyong/xinyong/internal/exchange"
	"github.com/xinyong/xinyong/internal/match"
	"github.com/xinyong/xinyong/internal/store"
)

const peerUsage = `Usage:
  xinyong peer add --name NAME --role upper|lower|national [--region CODE] [--title TEXT]
                   [--url URL [--key KEY]] [--client-cert FILE] [--personal]
        register another platform (or update it): role is the peer's, region its territory
        (a lower peer receives only records of subjects there); --url and --key are its
        address and the key it gave this platform to pull its feed with (an https address
        without a key: pulled with serve's --exchange-cert alone); --client-cert is the
        certificate (PEM) it reads this platform's feed with over mutual TLS, without a key.
        On first add, a key for the peer to read this platform's feed is printed once.
  xinyong peer list | peer show NAME | peer remove NAME
(all take [--data DIR | --db DSN])`

var peerNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

func runPeer(ctx context.Context, env *environ, args []string) error {
	sub, rest, err := subcommand(env, "peer", peerUsage, args, "add", "list", "show", "remove")
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var arg string
	if sub == "show" || sub == "remove" {
		if arg, rest, err = positional(rest, "peer name"); err != nil {
			return err
		}
	}
	fs := newFlagSet(env, "peer "+sub, peerUsage)
	name := fs.String("name", "", "add: the peer's short name (a-z, 0-9, -)")
	title := fs.String("title", "", "add: the peer's name for people")
	role := fs.String("role", "", "add: upper, lower or national")
	region := fs.String("region", "", "add: its territory, a region code prefix (2, 4 or 6 digits)")
	u := fs.String("url", "", "add: its base address (http(s)://HOST:PORT)")
	key := fs.String("key", "", "add: the API key it gave this platform")
	personal := fs.Bool("personal", false, "add: it may receive personal fields (ID numbers)")
	clientCert := fs.String("client-cert", "", "add: the client certificate (PEM file) it reads this platform's feed with over mutual TLS")
	c, log, err := setup(env, fs, rest, config.Intake)
	if err != nil {
		return err
	}
	s, keys, err := app.Open(ctx, c, log, false)
	if err != nil {
		return err
	}
	defer s.Close()
	switch sub {
	case "list":
		peers, err := s.ListPeers(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(env.stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tREGION\tURL\tCURSOR\tLAG\tRECEIVED\tAPPLIED\tSENT\tCONFLICTS\tERROR")
		for _, p := range peers {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", p.Name, p.Role, p.Region, p.URL, p.Cursor, p.Lag(),
				p.Received, p.Applied, p.Sent, p.Conflicts, p.LastError)
		}
		return w.Flush()
	case "show":
		p, err := s.GetPeer(ctx, arg)
		if err != nil {
			return cliAccessError(err)
		}
		place := "全部"
		if p.Region != "" {
			place = match.PlaceName(p.Region) + " (" + p.Region + ")"
		}
		at := func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.Format(time.RFC3339)
		}
		cert := "-"
		if p.CertSHA256 != "" {
			cert = "sha256:" + p.CertSHA256
		}
		fmt.Fprintf(env.stdout, "name: %s\ntitle: %s\nrole: %s\nregion: %s\nurl: %s\npulls: %v\nreads our feed: %v\nclient cert: %s\npersonal: %v\n"+
			"cursor: %d\nhead: %d\nlag: %d\nreceived: %d\napplied: %d\nsent: %d\nconflicts: %d\nlast pull: %s\nlast sent: %s\nerror: %s\n",
			p.Name, p.Title, p.Role, place, p.URL, p.URL != "" && (p.Key != "" || strings.HasPrefix(p.URL, "https://")), p.ClientID != 0, cert, p.Personal,
			p.Cursor, p.RemoteHead, p.Lag(), p.Received, p.Applied, p.Sent, p.Conflicts, at(p.LastPull), at(p.LastSent), p.LastError)
		return nil
	case "remove":
		p, err := s.GetPeer(ctx, arg)
		if err != nil {
			return cliAccessError(err)
		}
		if p.ClientID != 0 {
			if cl, err := s.GetClient(ctx, p.ClientID); err == nil && !cl.Revoked {
				cl.Revoked = true
				if err := s.UpdateClient(ctx, cl, cliEntry(auth.AuditClientChange, "revoke：对端平台 "+p.Name)); err != nil {
					return err
				}
			}
		}
		if err := s.RemovePeer(ctx, arg); err != nil {
			return cliAccessError(err)
		}
		fmt.Fprintf(env.stdout, "peer %s removed; its key revoked\n", arg)
		return nil
	}
	// add
	if !peerNameRe.MatchString(*name) {
		return usageError("--name: want 1 to 40 of a-z, 0-9 and -, got %q", *name)
	}
	if *role != store.PeerUpper && *role != store.PeerLower && *role != store.PeerNational {
		return usageError("--role: want upper, lower or national, got %q", *role)
	}
	if *region != "" && !regexp.MustCompile(`^([0-9]{2}){1,3}$`).MatchString(*region) {
		return usageError("--region: want a region code prefix of 2, 4 or 6 digits, got %q", *region)
	}
	if *role == store.PeerLower && *region == "" {
		return usageError("--region is required for a lower platform: its territory")
	}
	if *u != "" && !strings.HasPrefix(*u, "http://") && !strings.HasPrefix(*u, "https://") {
		return usageError("--url: want http(s)://HOST:PORT, got %q", *u)
	}
	if *key != "" {
		if _, _, ok := auth.ParseAPIKey(*key); !ok {
			return usageError("--key: not an API key of xinyong (xyk_…)")
		}
	}
	var fp string
	if *clientCert != "" {
		b, err := os.ReadFile(*clientCert)
		if err != nil {
			return usageError("--client-cert: %v", err)
		}
		if fp, err = exchange.PEMFingerprint(b); err != nil {
			return usageError("--client-cert %s: %v", *clientCert, err)
		}
	}
	old, err := s.GetPeer(ctx, *name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	p := store.Peer{Name: *name, Title: *title, Role: *role, Region: *region, URL: *u, Key: *key, Personal: *personal, CertSHA256: fp}
	var newKey string
	if old.ClientID == 0 {
		root, err := s.RootOrg(ctx, auth.Operator.Label())
		if err != nil {
			return err
		}
		prefix, secret, k := auth.NewAPIKey()
		cl, err := s.CreateClient(ctx, auth.APIClient{OrgID: root.ID, Name: "对端平台 " + *name, Prefix: prefix, SecretSum: auth.TokenHash(secret)},
			cliEntry(auth.AuditClientChange, "新建对端平台接口密钥："+*name))
		if err != nil {
			return cliAccessError(err)
		}
		p.ClientID, newKey = cl.ID, k
	}
	if p, err = s.PutPeer(ctx, p); err != nil {
		return cliAccessError(err)
	}
	app.AnchorAudit(ctx, c.Data, s, keys, log)
	fmt.Fprintf(env.stdout, "peer %s (%s) saved\n", p.Name, p.Role)
	if fp != "" {
		fmt.Fprintf(env.stdout, "client certificate sha256:%s: %s reads this platform's feed with it over mutual TLS (serve --tls-client-ca)\n", fp, p.Name)
	}
	if newKey != "" {
		fmt.Fprintf(env.stdout, "key for %s to read this platform's feed (shown once): %s\n", p.Name, newKey)
	}
	return nil
}

// exchangeOpts are serve's flags of the exchange with peer platforms.
type exchangeOpts struct {
	every     *time.Duration
	page      *int
	snapshots *bool
	replicas  *stringList
	window    *time.Duration
	region    *string
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// exchangeFlags registers serve's exchange flags (defaults from
// XINYONG_EXCHANGE_EVERY and XINYONG_EXCHANGE_PAGE).
func exchangeFlags(env *environ, fs *flag.FlagSet) exchangeOpts {
	every := time.Second
	if v := env.getenv("XINYONG_EXCHANGE_EVERY"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			every = d
		}
	}
	page := exchange.MaxPage
	if v := env.getenv("XINYONG_EXCHANGE_PAGE"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			page = n
		}
	}
	daily := env.getenv("XINYONG_SNAPSHOTS") == "true" || env.getenv("XINYONG_SNAPSHOTS") == "1"
	replicas := &stringList{}
	if v := env.getenv("XINYONG_DB_REPLICA"); v != "" {
		*replicas = strings.Split(v, ",")
	}
	fs.Var(replicas, "db-replica", "serve: a PostgreSQL streaming replica (hot standby) of --db; repeatable: public and signed-in page reads go to the replicas in turn, writes and everything else to --db [XINYONG_DB_REPLICA, comma-separated]")
	window := 10 * time.Second
	if v := env.getenv("XINYONG_REPLICA_WINDOW"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			window = d
		}
	}
	return exchangeOpts{
		replicas:  replicas,
		window:    fs.Duration("replica-window", window, "serve: after a browser writes, how long its reads stay on --db (read-your-writes) [XINYONG_REPLICA_WINDOW]"),
		snapshots: fs.Bool("snapshots", daily, "serve: take the day's public snapshot (/api/v1/snapshots) when there is none, checked hourly [XINYONG_SNAPSHOTS]"),
		every:     fs.Duration("exchange-every", every, "serve: how long to wait before pulling a peer platform's feed again once caught up [XINYONG_EXCHANGE_EVERY]"),
		region:    fs.String("exchange-region", env.getenv("XINYONG_EXCHANGE_REGION"), "serve: this platform's own territory, a region code (610000 a province, 610100 a city; empty: everything): deciding departments whose code is in it are at home here, and their versions win over copies made elsewhere [XINYONG_EXCHANGE_REGION]"),
		page:      fs.Int("exchange-page", page, "serve: entries asked for per page of a peer platform's feed, 1 to 5000 [XINYONG_EXCHANGE_PAGE]"),
	}
}
