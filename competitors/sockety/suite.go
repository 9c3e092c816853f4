// Package sockety is the "Sockety" and "Sockety TLS" suites: this
// repository's reference implementation (package sockety) over TCP and TLS.
//
// The server behaves like the seed's Node.js benchmark server: "ping" gets
// no response, "fast" a fast reply Accept, "echo" an empty Response (or,
// when the message has a stream, a Response whose stream echoes it), and
// "data" messages (data or files) are read to the end, counted and, with
// Verify, checked against the run's payloads as they arrive.
//
// When an operation is done:
//   - Heartbeat: the Heartbeat packet is queued on the connection (the
//     writer hands it to the kernel with the next batch); the server counts
//     heartbeats;
//   - No response, data and file scenarios: the message is queued, or for
//     payloads above one chunk (64 KiB), every byte is written to the kernel;
//   - Short response: the fast reply arrived; Regular response: the empty
//     Response arrived; Stream echo: the whole echo was read.
package sockety

import (
	"context"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite is Sockety (TLS false) or Sockety TLS (TLS true).
type Suite struct{ TLS bool }

func init() {
	competitors.Register(Suite{})
	competitors.Register(Suite{TLS: true})
}

// Name returns "Sockety" or "Sockety TLS".
func (s Suite) Name() string {
	if s.TLS {
		return "Sockety TLS"
	}
	return "Sockety"
}

// UsesTLS says whether the harness must pass a certificate.
func (s Suite) UsesTLS() bool { return s.TLS }

// SharedPort is true: Sockety connections are independent, any server
// process may take any of them.
func (Suite) SharedPort() bool { return true }

// Benchmarks lists the whole catalogue.
func (Suite) Benchmarks() []competitors.Benchmark {
	var out []competitors.Benchmark
	for _, sc := range scenarios.Catalogue() {
		out = append(out, competitors.Benchmark{Name: sc.Name, Scenario: sc})
	}
	return out
}

// NewServer starts a Sockety server.
func (s Suite) NewServer(ctx context.Context, cfg competitors.ServerConfig) (competitors.Server, error) {
	return newServer(ctx, cfg, s.TLS)
}

// NewClient opens cfg.Connections connections.
func (s Suite) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	return newClient(ctx, cfg, s.TLS)
}
