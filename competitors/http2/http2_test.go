package http2_test

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/competitors/http2"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestConformance(t *testing.T) {
	for _, s := range []http2.Suite{{}, {TLS: true}} {
		t.Run(s.Name(), func(t *testing.T) { adaptertest.Run(t, s, adaptertest.Options{HeartbeatCounted: true}) })
	}
}

func TestConformanceOneConnection(t *testing.T) {
	adaptertest.Run(t, http2.Suite{}, adaptertest.Options{Connections: 1, Concurrency: 32, Ops: 100, DataOps: 8, HeartbeatCounted: true})
}

func BenchmarkHeartbeat(b *testing.B) { adaptertest.Bench(b, http2.Suite{}, scenarios.IDHeartbeat, 2) }

func BenchmarkNoResponse(b *testing.B) {
	adaptertest.Bench(b, http2.Suite{}, scenarios.IDNoResponse, 2)
}

func BenchmarkShortResponse(b *testing.B) {
	adaptertest.Bench(b, http2.Suite{}, scenarios.IDShortResponse, 2)
}

func BenchmarkRegularResponse(b *testing.B) {
	adaptertest.Bench(b, http2.Suite{}, scenarios.IDRegularResponse, 2)
}
