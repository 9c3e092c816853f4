package sockety_test

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/competitors/sockety"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestConformance(t *testing.T) {
	for _, s := range []sockety.Suite{{}, {TLS: true}} {
		t.Run(s.Name(), func(t *testing.T) {
			adaptertest.Run(t, s, adaptertest.Options{HeartbeatCounted: true})
		})
	}
}

func TestConformanceOneConnection(t *testing.T) {
	adaptertest.Run(t, sockety.Suite{}, adaptertest.Options{Connections: 1, Concurrency: 32, Ops: 100, DataOps: 8, HeartbeatCounted: true})
}

func BenchmarkShortResponse(b *testing.B) {
	adaptertest.Bench(b, sockety.Suite{}, scenarios.IDShortResponse, 2)
}

func BenchmarkRegularResponse(b *testing.B) {
	adaptertest.Bench(b, sockety.Suite{}, scenarios.IDRegularResponse, 2)
}

func BenchmarkNoResponse(b *testing.B) {
	adaptertest.Bench(b, sockety.Suite{}, scenarios.IDNoResponse, 2)
}
