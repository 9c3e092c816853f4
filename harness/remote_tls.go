package harness

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
)

// SelfSignedForHosts returns a fresh self-signed ECDSA P-256 certificate
// (its own CA, valid 7 days) for localhost, this host's name and every
// address of its interfaces, so that a remote client can verify it with
// --ca and the certificate file.
func SelfSignedForHosts() (*competitors.TLS, error) {
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		names = append(names, h)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
				ips = append(ips, n.IP)
			}
		}
	}
	t, err := tlsutil.SelfSignedFor("sockety-bench server-only", 7*24*time.Hour, names, ips)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return t, nil
}

// LoadServerTLS reads a certificate chain and key (PEM files) and checks
// they form a pair.
func LoadServerTLS(certFile, keyFile string) (*competitors.TLS, error) {
	cert, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("--cert: %w", err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		return nil, fmt.Errorf("--cert/--key: %w", err)
	}
	return &competitors.TLS{CertPEM: cert, KeyPEM: key, CAPEM: cert}, nil
}

// LoadClientTLS builds a remote client's TLS material: caFile's roots
// (empty: the system roots), or no verification at all when insecure.
func LoadClientTLS(caFile string, insecure bool) (*competitors.TLS, error) {
	t := &competitors.TLS{Insecure: insecure}
	if caFile != "" {
		ca, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate in it", caFile)
		}
		t.CAPEM = ca
	}
	return t, nil
}

// CertFingerprint is the SHA-256 fingerprint of the first certificate in
// PEM, for people to compare on both hosts.
func CertFingerprint(certPEM []byte) string {
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return "?"
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%X", sha256Sum(c.Raw))
}
