// Package http1 is the "HTTP/1" and "HTTPS/1" suites: net/http's server and
// client over HTTP/1.1 keep-alive connections, exactly -cn connections per
// client worker.
//
// The client is net/http's HTTP/1.1 codec (Request.Write, http.ReadResponse)
// on -cn connections the adapter dials and owns, one operation per
// connection at a time, in the operation's own goroutine (connPool).
// http.Transport, the usual way to use that codec, moves every request
// across three goroutines and needed about 1.3x the client CPU per request
// (0.5-0.7x wrk's throughput on the same server, against 0.6-0.9x for the
// codec, bare loops, results/harness-vs-wrk-h2load.md); the codec on owned
// connections is what a Go user who wants wrk-like throughput writes. The
// transport remains available for comparison: SOCKETY_HTTP1_CLIENT=transport
// (ClientEnv). Both send the same bytes and check the same responses;
// results/harness-vs-wrk-h2load.md has the figures of both.
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
	"context"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/internal/pair"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite is HTTP/1 (TLS false) or HTTPS/1 (TLS true).
type Suite = pair.Suite[protocol]

func init() { pair.Register[protocol]() }

// protocol is the implementation both suites share.
type protocol struct{}

// Names returns "HTTP/1" and "HTTPS/1".
func (protocol) Names() (plain, secure string) { return "HTTP/1", "HTTPS/1" }

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

// Rows lists the scenarios HTTP/1 can express.
func (protocol) Rows() []competitors.Benchmark { return rows }

// NewServer starts net/http's server.
func (protocol) NewServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (competitors.Server, error) {
	return newServer(ctx, cfg, useTLS)
}

// NewClient opens exactly cfg.Connections keep-alive connections.
func (protocol) NewClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (competitors.Client, error) {
	return newClient(ctx, cfg, useTLS)
}
