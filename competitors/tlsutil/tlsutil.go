// Package tlsutil turns the PEM material the harness shares with its workers
// (competitors.TLS) into crypto/tls configurations, and makes a throw-away
// self-signed certificate for tests and local runs.
package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// MinVersion is the lowest TLS version servers and clients accept.
const MinVersion = tls.VersionTLS12

// SelfSigned returns a fresh ECDSA P-256 certificate for 127.0.0.1, ::1 and
// localhost, valid for one day, as PEM; the certificate is its own CA.
func SelfSigned() (*competitors.TLS, error) {
	return SelfSignedFor("sockety-harness test", 24*time.Hour,
		[]string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback})
}

// SelfSignedFor returns a fresh ECDSA P-256 certificate (its own CA) for the
// given DNS names and IP addresses, valid from an hour ago for validity, as
// PEM material a client can trust through CAPEM.
func SelfSignedFor(commonName string, validity time.Duration, names []string, ips []net.IP) (*competitors.TLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("tlsutil: serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              names,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: key: %w", err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return &competitors.TLS{
		CertPEM: cert,
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		CAPEM:   cert,
	}, nil
}

// ErrNoTLS is returned when a TLS suite is given no TLS material.
var ErrNoTLS = errors.New("tlsutil: TLS suite started without TLS material")

// Server returns the server side configuration for t, offering nextProtos
// through ALPN (nil offers none).
func Server(t *competitors.TLS, nextProtos ...string) (*tls.Config, error) {
	if t == nil {
		return nil, ErrNoTLS
	}
	cert, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("tlsutil: server key pair: %w", err)
	}
	return &tls.Config{
		MinVersion:   MinVersion,
		Certificates: []tls.Certificate{cert},
		NextProtos:   nextProtos,
	}, nil
}

// Client returns the client side configuration for t: it trusts CAPEM (or
// the system roots when empty), verifies ServerName (or the dialled host when
// empty) unless Insecure is set, and offers nextProtos through ALPN.
func Client(t *competitors.TLS, nextProtos ...string) (*tls.Config, error) {
	if t == nil {
		return nil, ErrNoTLS
	}
	cfg := &tls.Config{
		MinVersion:         MinVersion,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.Insecure, //nolint:gosec // remote targets only, the harness warns
		NextProtos:         nextProtos,
	}
	if len(t.CAPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(t.CAPEM) {
			return nil, errors.New("tlsutil: no certificate in CAPEM")
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// ClientFor returns Client(t, nextProtos...) with ServerName defaulted to
// the host of addr, for code that dials with tls.Client directly.
func ClientFor(t *competitors.TLS, addr string, nextProtos ...string) (*tls.Config, error) {
	cfg, err := Client(t, nextProtos...)
	if err != nil {
		return nil, err
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("tlsutil: address %q: %w", addr, err)
		}
		cfg.ServerName = host
	}
	return cfg, nil
}
