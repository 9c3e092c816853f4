package clientcases

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

func TestCatalogue(t *testing.T) {
	cs := Cases(NewSession(nil, time.Second))
	if err := runner.CheckCatalogue(cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) < 30 {
		t.Fatalf("%d client cases, want at least 30", len(cs))
	}
}

// TestReferenceClientPassesAll is the CI gate: our sockety client passes every client case.
func TestReferenceClientPassesAll(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ss := NewSession(ln, 10*time.Second)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		done <- RunReference(ctx, ln.Addr().String(), nil)
	}()
	rs := runner.Run(context.Background(), Cases(ss), runner.Options{Strict: true, Total: 2 * time.Minute})
	for _, r := range rs {
		if r.Verdict != runner.Pass || len(r.Log) > 0 {
			t.Errorf("%s %s: %s (expected %s, actual %s, bytes %s) %v", r.ID, r.Verdict, r.Reason, r.Expected, r.Actual, r.Hex, r.Log)
		}
	}
	if err := <-done; err != nil {
		t.Errorf("reference client: %v", err)
	}
}
