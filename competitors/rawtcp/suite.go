// Package rawtcp is the "Raw TCP (limit)" suite: the floor any protocol over
// TCP pays. A heartbeat is a single byte (its kind); every other frame is a
// 9-byte header (kind, 4-byte id, 4-byte length) and a payload (frame.go).
// Each connection has one write loop and one read loop; senders append their
// frames to one buffer (big payloads are referenced) that the write loop
// hands to the kernel with one write or writev per turn. Requests are matched
// to replies by id and nothing else is multiplexed: a 4 MiB frame delays
// every frame queued behind it.
//
// When an operation is done:
//   - Heartbeat, No response: when the frame is appended to the write
//     loop's buffer, which hands it to the kernel with the next batch (a
//     sender waits when 256 KiB are queued), as the Sockety suite's
//     heartbeat (one byte appended under the connection's write lock);
//   - data (memory and FS): when the writev that carried the frame
//     returned, i.e. handed to the kernel;
//   - Short response: when the 1-byte code reply was read;
//   - Regular response: when the empty reply was read;
//   - Stream echo: when the whole echoed payload was read (and compared with
//     Verify).
package rawtcp

import (
	"slices"

	"context"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Name is the suite's display name.
const Name = "Raw TCP (limit)"

// Suite is the raw TCP suite.
type Suite struct{}

func init() { competitors.Register(Suite{}) }

// Name returns "Raw TCP (limit)".
func (Suite) Name() string { return Name }

// SharedPort is true: connections are independent, any server process may
// take any of them.
func (Suite) SharedPort() bool { return true }

// UsesTLS is false: the limit is plain TCP.
func (Suite) UsesTLS() bool { return false }

// Benchmarks lists the scenario shapes the frames can carry, under the
// catalogue's names.
func (Suite) Benchmarks() []competitors.Benchmark { return slices.Clone(rows) }

// rows lists the scenarios this suite runs, in display order.
var rows = competitors.Rows(
	competitors.Row{ID: scenarios.IDHeartbeat},
	competitors.Row{ID: scenarios.IDNoResponse},
	competitors.Row{ID: scenarios.IDShortResponse},
	competitors.Row{ID: scenarios.IDRegularResponse},
	competitors.Row{ID: scenarios.IDData1MBMemory},
	competitors.Row{ID: scenarios.IDData4MBMemory},
	competitors.Row{ID: scenarios.IDData1MBFS},
	competitors.Row{ID: scenarios.IDStreamEcho64K},
	competitors.Row{ID: scenarios.IDMixed},
)

// NewServer starts a raw TCP server.
func (Suite) NewServer(ctx context.Context, cfg competitors.ServerConfig) (competitors.Server, error) {
	return newServer(ctx, cfg)
}

// NewClient dials cfg.Connections connections.
func (Suite) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	return newClient(ctx, cfg)
}
