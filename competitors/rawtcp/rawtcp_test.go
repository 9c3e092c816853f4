package rawtcp_test

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/competitors/rawtcp"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestConformance(t *testing.T) {
	adaptertest.Run(t, rawtcp.Suite{}, adaptertest.Options{HeartbeatCounted: true})
}

func TestConformanceOneConnection(t *testing.T) {
	adaptertest.Run(t, rawtcp.Suite{}, adaptertest.Options{Connections: 1, Concurrency: 32, Ops: 100, DataOps: 8, HeartbeatCounted: true})
}

func BenchmarkHeartbeat(b *testing.B) { adaptertest.Bench(b, rawtcp.Suite{}, scenarios.IDHeartbeat, 2) }
func BenchmarkNoResponse(b *testing.B) {
	adaptertest.Bench(b, rawtcp.Suite{}, scenarios.IDNoResponse, 2)
}
func BenchmarkShortResponse(b *testing.B) {
	adaptertest.Bench(b, rawtcp.Suite{}, scenarios.IDShortResponse, 2)
}
func BenchmarkRegularResponse(b *testing.B) {
	adaptertest.Bench(b, rawtcp.Suite{}, scenarios.IDRegularResponse, 2)
}
