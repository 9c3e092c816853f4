// Package http2 is the "HTTP/2" (h2c with prior knowledge) and "HTTPS/2"
// (TLS, ALPN h2) suites: golang.org/x/net/http2's server and client, exactly
// -cn connections per client worker with every operation's stream
// multiplexed over them round-robin. The client's writes on each connection
// are coalesced (batchConn.go): the transport flushes every request on its
// own, and one write system call per request was a quarter of the client's
// CPU per request with many streams in flight.
//
// When an operation is done (the Node.js benchmark's meanings):
//   - Heartbeat (PING frame): when the PING's ACK arrived; PINGs never reach
//     a handler, so the server counts them by following the frame headers
//     of what it reads (pings.go);
//   - No response (no waiting): GET /fast, done when the HEADERS frame with
//     END_STREAM was flushed to the kernel; the 200 is read in the background;
//   - Short response (status code): GET /fast, done on the response HEADERS;
//   - Regular response (tiny data): GET /ping, done on the whole 4-byte body;
//   - 1MB/4MB data (memory, FS): POST /data, done when the last DATA frame
//     (END_STREAM) was flushed to the kernel; the server reads and counts
//     every byte and answers 200, read in the background;
//   - Stream echo: POST /echo with 64 KiB, done when the echoed body was read.
package http2

import (
	"context"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/internal/pair"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite is HTTP/2 (TLS false, h2c) or HTTPS/2 (TLS true).
type Suite = pair.Suite[protocol]

func init() { pair.Register[protocol]() }

// protocol is the implementation both suites share.
type protocol struct{}

// Names returns "HTTP/2" and "HTTPS/2".
func (protocol) Names() (plain, secure string) { return "HTTP/2", "HTTPS/2" }

// rows are the benchmarks with the seed's row names where it had them.
var rows = competitors.Rows(
	competitors.Row{ID: scenarios.IDHeartbeat, Name: "Heartbeat (PING frame)"},
	competitors.Row{ID: scenarios.IDNoResponse, Name: "No response (no waiting)"},
	competitors.Row{ID: scenarios.IDShortResponse, Name: "Short response (status code)"},
	competitors.Row{ID: scenarios.IDRegularResponse, Name: "Regular response (tiny data)"},
	competitors.Row{ID: scenarios.IDData1MBMemory},
	competitors.Row{ID: scenarios.IDData1MBFS},
	competitors.Row{ID: scenarios.IDData4MBMemory},
	competitors.Row{ID: scenarios.IDStreamEcho64K},
	competitors.Row{ID: scenarios.IDMixed},
)

// Rows lists the scenarios HTTP/2 can express.
func (protocol) Rows() []competitors.Benchmark { return rows }

// NewServer starts an x/net/http2 server.
func (protocol) NewServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (competitors.Server, error) {
	return newServer(ctx, cfg, useTLS)
}

// NewClient dials exactly cfg.Connections HTTP/2 connections.
func (protocol) NewClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (competitors.Client, error) {
	return newClient(ctx, cfg, useTLS)
}
