package grpc_test

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/competitors/grpc"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestConformance(t *testing.T) {
	for _, s := range []grpc.Suite{{}, {TLS: true}} {
		t.Run(s.Name(), func(t *testing.T) { adaptertest.Run(t, s, adaptertest.Options{}) })
	}
}

func TestConformanceOneConnection(t *testing.T) {
	adaptertest.Run(t, grpc.Suite{}, adaptertest.Options{Connections: 1, Concurrency: 32, Ops: 100, DataOps: 8})
}

func BenchmarkShortResponse(b *testing.B) {
	adaptertest.Bench(b, grpc.Suite{}, scenarios.IDShortResponse, 2)
}

func BenchmarkRegularResponse(b *testing.B) {
	adaptertest.Bench(b, grpc.Suite{}, scenarios.IDRegularResponse, 2)
}
