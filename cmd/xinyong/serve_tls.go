package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
)

// tlsOpts are serve's flags of TLS: the certificate it serves HTTPS with,
// the CA it verifies client certificates against (mutual TLS with peer
// platforms), and the certificate it presents when it pulls peers' feeds.
type tlsOpts struct {
	cert, key, clientCA             *string
	exchangeCert, exchangeKey, exCA *string
}

// tlsFlags registers serve's TLS flags (defaults from XINYONG_TLS_CERT,
// XINYONG_TLS_KEY, XINYONG_TLS_CLIENT_CA, XINYONG_EXCHANGE_CERT,
// XINYONG_EXCHANGE_KEY and XINYONG_EXCHANGE_CA).
func tlsFlags(env *environ, fs *flag.FlagSet) tlsOpts {
	return tlsOpts{
		cert: fs.String("tls-cert", env.getenv("XINYONG_TLS_CERT"), "serve: serve HTTPS with this certificate (PEM, the chain after it) [XINYONG_TLS_CERT]"),
		key:  fs.String("tls-key", env.getenv("XINYONG_TLS_KEY"), "serve: the private key (PEM) of --tls-cert [XINYONG_TLS_KEY]"),
		clientCA: fs.String("tls-client-ca", env.getenv("XINYONG_TLS_CLIENT_CA"), "serve: ask HTTPS clients for a certificate and verify the ones given against these CA certificates (PEM): "+
			"peer platforms registered with peer add --client-cert read the feed with it, without a key; browsers and API keys need none [XINYONG_TLS_CLIENT_CA]"),
		exchangeCert: fs.String("exchange-cert", env.getenv("XINYONG_EXCHANGE_CERT"), "serve: the client certificate (PEM) this platform presents when it pulls peer platforms' feeds over https (mutual TLS) [XINYONG_EXCHANGE_CERT]"),
		exchangeKey:  fs.String("exchange-key", env.getenv("XINYONG_EXCHANGE_KEY"), "serve: the private key (PEM) of --exchange-cert [XINYONG_EXCHANGE_KEY]"),
		exCA:         fs.String("exchange-ca", env.getenv("XINYONG_EXCHANGE_CA"), "serve: verify peer platforms' server certificates against these CA certificates (PEM) instead of the system roots [XINYONG_EXCHANGE_CA]"),
	}
}

// server is serve's TLS configuration (nil: plain HTTP).
func (o tlsOpts) server() (*tls.Config, error) {
	if *o.cert == "" && *o.key == "" {
		if *o.clientCA != "" {
			return nil, usageError("--tls-client-ca needs --tls-cert and --tls-key (HTTPS)")
		}
		return nil, nil
	}
	if *o.cert == "" || *o.key == "" {
		return nil, usageError("--tls-cert and --tls-key go together")
	}
	crt, err := tls.LoadX509KeyPair(*o.cert, *o.key)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert, --tls-key: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{crt}}
	if *o.clientCA != "" {
		pool, err := certPool(*o.clientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca: %w", err)
		}
		// Ask, verify what is given, require nothing: browsers and API
		// keys go on without a certificate.
		c.ClientAuth, c.ClientCAs = tls.VerifyClientCertIfGiven, pool
	}
	return c, nil
}

// exchange is the TLS configuration of the puller's fetches.
func (o tlsOpts) exchange() (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case *o.exchangeCert != "" && *o.exchangeKey != "":
		crt, err := tls.LoadX509KeyPair(*o.exchangeCert, *o.exchangeKey)
		if err != nil {
			return nil, fmt.Errorf("--exchange-cert, --exchange-key: %w", err)
		}
		c.Certificates = []tls.Certificate{crt}
	case *o.exchangeCert != "" || *o.exchangeKey != "":
		return nil, usageError("--exchange-cert and --exchange-key go together")
	}
	if *o.exCA != "" {
		pool, err := certPool(*o.exCA)
		if err != nil {
			return nil, fmt.Errorf("--exchange-ca: %w", err)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// certPool reads CA certificates (PEM).
func certPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", file)
	}
	return pool, nil
}
