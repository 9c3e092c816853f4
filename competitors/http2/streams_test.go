package http2

import (
	"context"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// TestStreamLimitWaits checks that operations beyond the server's stream
// limit wait for a free stream on the same connection instead of failing
// (the transport has no pool to open another connection).
func TestStreamLimitWaits(t *testing.T) {
	saved := maxStreams
	maxStreams = 4
	defer func() { maxStreams = saved }()
	p := scenarios.New(9)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := newServer(ctx, competitors.ServerConfig{Addr: "127.0.0.1:0", Payloads: p, Delay: 2 * time.Millisecond}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := newClient(ctx, competitors.ClientConfig{Addr: s.Addr(), Connections: 1, Concurrency: 32, Payloads: p}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, id := range []string{scenarios.IDNoResponse, scenarios.IDShortResponse} {
		sc, _ := scenarios.ByID(id)
		op, err := c.Prepare(ctx, competitors.Benchmark{Name: sc.Name, Scenario: sc})
		if err != nil {
			t.Fatal(err)
		}
		r := adaptertest.RunOps(ctx, op, 200, 32)
		if r.Failed > 0 || r.OK != 200 {
			t.Errorf("%s: %d ok, %d failed (first: %v) with 32 in flight over a 4-stream limit", sc.Name, r.OK, r.Failed, r.FirstErr)
		}
	}
}
