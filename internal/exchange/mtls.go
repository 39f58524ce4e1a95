package exchange

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Mutual TLS between peers. A peer registered with its client certificate
// (peer add --client-cert) reads the feed without an API key: the server
// asks for client certificates, verifies those given against its client
// CA, and the feed finds the peer by the certificate's fingerprint.
// Personal fields are then sealed under a secret of the TLS connection
// itself: keying material exported from it (RFC 5705, RFC 8446 §7.5),
// which only the two ends of that connection can compute.

// ekmLabel is the exporter label of the seal secret.
const ekmLabel = "EXPERIMENTAL xinyong exchange seal"

// ConnSecret is the secret personal fields are sealed under on a
// connection authenticated by a client certificate: 32 bytes of keying
// material exported from the TLS connection (the server from the
// request's connection, the peer from the response's). It plays the part
// the API key's hash plays for a peer that reads with a key (Feed.Page's
// secretSum).
func ConnSecret(cs *tls.ConnectionState) ([]byte, error) {
	if cs == nil {
		return nil, errors.New("连接未使用 TLS，无法导出加密个人信息的密钥")
	}
	b, err := cs.ExportKeyingMaterial(ekmLabel, nil, 32)
	if err != nil {
		return nil, fmt.Errorf("无法从 TLS 连接导出加密个人信息的密钥：%w", err)
	}
	return b, nil
}

// KeySecret is the secret personal fields are sealed under for a peer
// that reads with an API key: the hash of the key's secret part (nil for
// a malformed key).
func KeySecret(key string) []byte { return secretSum(key) }

// Unseal opens the sealed personal fields of entry seq under a secret
// (ConnSecret or KeySecret).
func Unseal(secret []byte, seq int64, sealed string) (map[string]string, error) {
	return unseal(secret, seq, sealed)
}

// CertFingerprint is the SHA-256 of a certificate's DER, lower-case hex:
// how a peer's client certificate is registered (store.Peer.CertSHA256).
func CertFingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// PEMFingerprint is the fingerprint of the first certificate in PEM text
// (a certificate file), checked to parse.
func PEMFingerprint(b []byte) (string, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return "", errors.New("文件中没有 PEM 格式的证书（-----BEGIN CERTIFICATE-----）")
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return "", fmt.Errorf("证书无法解析：%w", err)
		}
		return CertFingerprint(blk.Bytes), nil
	}
}

// ShortFingerprint is a fingerprint for people: its first and last eight
// hex digits.
func ShortFingerprint(fp string) string {
	if len(fp) <= 20 {
		return fp
	}
	return fp[:8] + "…" + fp[len(fp)-8:]
}

// PeerCert returns the verified client certificate of a connection (nil
// when none was given or the server does not verify client certificates).
func PeerCert(cs *tls.ConnectionState) *x509.Certificate {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return nil
	}
	return cs.PeerCertificates[0]
}

// explainFetch names, in Chinese, why a fetch over https failed when TLS
// is the cause (the status page shows it); other errors are returned as
// they are.
func explainFetch(err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch msg := err.Error(); {
	case errors.As(err, &unknown):
		return fmt.Errorf("对端平台的服务器证书不受信任（不是 --exchange-ca 或系统根证书签发的）：%w", err)
	case errors.As(err, &host):
		return fmt.Errorf("对端平台的服务器证书与其地址不符：%w", err)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Errorf("对端平台的服务器证书已过期或尚未生效：%w", err)
	case errors.As(err, &invalid):
		return fmt.Errorf("对端平台的服务器证书无效：%w", err)
	case strings.Contains(msg, "remote error: tls: unknown certificate authority"),
		strings.Contains(msg, "remote error: tls: bad certificate"),
		strings.Contains(msg, "remote error: tls: certificate"):
		return fmt.Errorf("对端平台不信任本平台的证书（证书不受信任：不是对端 --tls-client-ca 签发的，或已过期）：%w", err)
	case strings.Contains(msg, "remote error: tls:"):
		return fmt.Errorf("与对端平台的 TLS 握手失败：%w", err)
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("对端地址不是 https 服务：%w", err)
	}
	return err
}
