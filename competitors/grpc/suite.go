// Package grpc is the "gRPC" and "gRPC TLS" suites: google.golang.org/grpc
// with the protobuf well-known types and a hand-registered service, exactly
// -cn grpc.ClientConns (one HTTP/2 connection each) per client worker, calls
// spread over them round-robin.
//
// When an operation is done:
//   - Short response (code): a unary call answered by an empty message and
//     status OK, done on the status (gRPC has no answer without a message);
//   - Regular response: a unary call answered by a 4-byte BytesValue;
//   - 1MB/4MB data (memory, FS): a client-streaming call carrying the payload
//     in 32 KiB messages; the server reads and counts every byte and answers
//     Empty, and the operation is done on that answer (gRPC exposes no
//     "written to the kernel" signal, so this is stricter than the Sockety
//     and HTTP/2 suites);
//   - Stream echo: a bidirectional stream carrying 64 KiB that the server
//     sends back as it arrives, done when the echo ended.
//
// Absent: Heartbeat (gRPC's keepalive PINGs are sent by the transport on a
// timer; no API sends one per operation) and No response (every RPC ends
// with a status; a fire-and-forget message would be a message on a
// long-lived stream, a different shape).
package grpc

import (
	"slices"

	"context"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite is gRPC (TLS false) or gRPC TLS (TLS true).
type Suite struct{ TLS bool }

func init() {
	competitors.Register(Suite{})
	competitors.Register(Suite{TLS: true})
}

// Name returns "gRPC" or "gRPC TLS".
func (s Suite) Name() string {
	if s.TLS {
		return "gRPC TLS"
	}
	return "gRPC"
}

// UsesTLS says whether the harness must pass a certificate.
func (s Suite) UsesTLS() bool { return s.TLS }

// SharedPort is true: any server process may take any connection.
func (Suite) SharedPort() bool { return true }

// Benchmarks lists the scenarios gRPC can express.
func (Suite) Benchmarks() []competitors.Benchmark { return slices.Clone(rows) }

// rows lists the scenarios this suite runs, in display order.
var rows = competitors.Rows(
	competitors.Row{ID: scenarios.IDShortResponse},
	competitors.Row{ID: scenarios.IDRegularResponse},
	competitors.Row{ID: scenarios.IDData1MBMemory},
	competitors.Row{ID: scenarios.IDData1MBFS},
	competitors.Row{ID: scenarios.IDData4MBMemory},
	competitors.Row{ID: scenarios.IDStreamEcho64K},
	competitors.Row{ID: scenarios.IDMixed},
)

// NewServer starts a gRPC server.
func (s Suite) NewServer(ctx context.Context, cfg competitors.ServerConfig) (competitors.Server, error) {
	return newServer(ctx, cfg, s.TLS)
}

// NewClient opens exactly cfg.Connections ready ClientConns.
func (s Suite) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	return newClient(ctx, cfg, s.TLS)
}
