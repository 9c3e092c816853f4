package all_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	_ "github.com/sockety-harness/sockety-harness/competitors/all"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// TestTLSMinimumVersion: every TLS suite's server refuses a client that
// offers at most TLS 1.1 and accepts TLS 1.2 and 1.3 from the same client
// configuration otherwise.
func TestTLSMinimumVersion(t *testing.T) {
	mat, err := tlsutil.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(mat.CAPEM) && !pool.AppendCertsFromPEM(mat.CertPEM) {
		t.Fatal("no CA in the generated material")
	}
	n := 0
	for _, s := range competitors.All() {
		ts, ok := s.(competitors.TLSSuite)
		if !ok || !ts.UsesTLS() {
			continue
		}
		n++
		t.Run(s.Name(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			srv, err := s.NewServer(ctx, competitors.ServerConfig{Addr: "127.0.0.1:0", TLS: mat, Payloads: scenarios.New(1)})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			host, _, _ := net.SplitHostPort(srv.Addr())
			name := mat.ServerName
			if name == "" {
				name = host
			}
			for _, v := range []struct {
				min, max uint16
				ok       bool
			}{
				{tls.VersionTLS10, tls.VersionTLS10, false},
				{tls.VersionTLS10, tls.VersionTLS11, false},
				{tls.VersionTLS12, tls.VersionTLS12, true},
				{tls.VersionTLS13, tls.VersionTLS13, true},
			} {
				cfg := &tls.Config{RootCAs: pool, ServerName: name, MinVersion: v.min, MaxVersion: v.max, NextProtos: []string{"h2", "http/1.1"}}
				d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
				hctx, hcancel := context.WithTimeout(ctx, 5*time.Second)
				c, err := d.DialContext(hctx, "tcp", srv.Addr())
				hcancel()
				if err == nil {
					_ = c.Close()
				}
				if v.ok && err != nil {
					t.Errorf("TLS %s refused: %v", tls.VersionName(v.max), err)
				}
				if !v.ok && err == nil {
					t.Errorf("TLS %s accepted", tls.VersionName(v.max))
				}
			}
		})
	}
	if n < 4 {
		t.Fatalf("only %d TLS suites registered", n)
	}
}
