// Package pair is the Suite type of adapters that come as a plain and a TLS
// suite of one implementation (HTTP/1 and HTTPS/1, HTTP/2 and HTTPS/2): the
// adapter provides a Protocol, and Suite[P] with TLS false or true is each
// registered suite.
package pair

import (
	"context"
	"slices"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// Protocol is what an adapter with a plain and a TLS suite provides. Its
// methods are called on the zero value.
type Protocol interface {
	// Names returns the display names of the plain and of the TLS suite.
	Names() (plain, secure string)
	// Rows lists the benchmarks both suites run, in display order.
	Rows() []competitors.Benchmark
	// NewServer starts a server, over TLS when useTLS is set.
	NewServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (competitors.Server, error)
	// NewClient dials a client, over TLS when useTLS is set.
	NewClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (competitors.Client, error)
}

// Suite is P's plain suite (TLS false) or its TLS suite (TLS true).
type Suite[P Protocol] struct{ TLS bool }

// Register registers both suites of P.
func Register[P Protocol]() {
	competitors.Register(Suite[P]{})
	competitors.Register(Suite[P]{TLS: true})
}

// Name returns the plain or the TLS suite's name.
func (s Suite[P]) Name() string {
	var p P
	plain, secure := p.Names()
	if s.TLS {
		return secure
	}
	return plain
}

// UsesTLS says whether the harness must pass a certificate.
func (s Suite[P]) UsesTLS() bool { return s.TLS }

// SharedPort is true: connections are independent, any server process may
// take any of them.
func (Suite[P]) SharedPort() bool { return true }

// Benchmarks returns a copy of P's rows.
func (Suite[P]) Benchmarks() []competitors.Benchmark {
	var p P
	return slices.Clone(p.Rows())
}

// NewServer starts P's server.
func (s Suite[P]) NewServer(ctx context.Context, cfg competitors.ServerConfig) (competitors.Server, error) {
	var p P
	return p.NewServer(ctx, cfg, s.TLS)
}

// NewClient dials P's client.
func (s Suite[P]) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	var p P
	return p.NewClient(ctx, cfg, s.TLS)
}
