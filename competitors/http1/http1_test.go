package http1_test

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/competitors/http1"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestConformance(t *testing.T) {
	for _, s := range []http1.Suite{{}, {TLS: true}} {
		t.Run(s.Name(), func(t *testing.T) { adaptertest.Run(t, s, adaptertest.Options{}) })
	}
}

func TestConformanceOneConnection(t *testing.T) {
	adaptertest.Run(t, http1.Suite{}, adaptertest.Options{Connections: 1, Concurrency: 16, Ops: 60})
}

func BenchmarkShortResponse(b *testing.B) {
	adaptertest.Bench(b, http1.Suite{}, scenarios.IDShortResponse, 2)
}

func BenchmarkRegularResponse(b *testing.B) {
	adaptertest.Bench(b, http1.Suite{}, scenarios.IDRegularResponse, 2)
}

func BenchmarkShortResponseTLS(b *testing.B) {
	adaptertest.Bench(b, http1.Suite{TLS: true}, scenarios.IDShortResponse, 2)
}

// TestConformanceTransport runs the conformance test over the http.Transport
// variant of the client (SOCKETY_HTTP1_CLIENT=transport).
func TestConformanceTransport(t *testing.T) {
	t.Setenv(http1.ClientEnv, "transport")
	for _, s := range []http1.Suite{{}, {TLS: true}} {
		t.Run(s.Name(), func(t *testing.T) { adaptertest.Run(t, s, adaptertest.Options{}) })
	}
}
