// Package http1 is the "HTTP/1" and "HTTPS/1" suites: net/http's server and
// client over HTTP/1.1 keep-alive connections, exactly -cn connections per
// client worker.
//
// HTTP/1.1 carries one request at a time per connection and every request
// gets a response, so an operation is always done on the whole response:
//   - Short response (status code): GET /fast, done on the 200 (empty body);
//   - Regular response: GET /ping, done on the whole 4-byte body;
//   - 1MB/4MB data (memory, FS): POST /data; the server reads and counts
//     every byte, then answers 200; done on that answer (stricter than the
//     Sockety suites' "handed to the kernel", and the only honest HTTP/1
//     mapping: the connection is not free before the response);
//   - Stream echo: POST /echo with 64 KiB, done when the echoed body was read.
//
// Heartbeat and No response are absent: HTTP/1 has no keep-alive frame and
// no request without a response; a client that did not wait would still
// block its connection until the response came.
package http1

import (
	"slices"

	"context"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite is HTTP/1 (TLS false) or HTTPS/1 (TLS true).
type Suite struct{ TLS bool }

func init() {
	competitors.Register(Suite{})
	competitors.Register(Suite{TLS: true})
}

// Name returns "HTTP/1" or "HTTPS/1".
func (s Suite) Name() string {
	if s.TLS {
		return "HTTPS/1"
	}
	return "HTTP/1"
}

// UsesTLS says whether the harness must pass a certificate.
func (s Suite) UsesTLS() bool { return s.TLS }

// SharedPort is true: any server process may take any connection.
func (Suite) SharedPort() bool { return true }

// rows are the benchmarks with the seed's row names where it had them.
var rows = competitors.Rows(
	competitors.Row{ID: scenarios.IDShortResponse, Name: "Short response (status code)"},
	competitors.Row{ID: scenarios.IDRegularResponse, Name: "Regular response"},
	competitors.Row{ID: scenarios.IDData1MBMemory},
	competitors.Row{ID: scenarios.IDData1MBFS},
	competitors.Row{ID: scenarios.IDData4MBMemory},
	competitors.Row{ID: scenarios.IDStreamEcho64K},
	competitors.Row{ID: scenarios.IDMixed},
)

// Benchmarks lists the scenarios HTTP/1 can express.
func (Suite) Benchmarks() []competitors.Benchmark { return slices.Clone(rows) }

// NewServer starts net/http's server.
func (s Suite) NewServer(ctx context.Context, cfg competitors.ServerConfig) (competitors.Server, error) {
	return newServer(ctx, cfg, s.TLS)
}

// NewClient opens exactly cfg.Connections keep-alive connections.
func (s Suite) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	return newClient(ctx, cfg, s.TLS)
}
