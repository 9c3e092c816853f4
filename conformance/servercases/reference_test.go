package servercases

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// startReference serves the contract with our sockety package on a loopback port.
func startReference(t *testing.T, channels int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sockety.Server{Handler: contract.NewContractHandler(), Options: &sockety.Options{Channels: channels}}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestReferenceServerPassesAll is the CI gate: our sockety server passes every server case.
func TestReferenceServerPassesAll(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole server suite")
	}
	addr := startReference(t, 4096)
	rs := runner.Run(context.Background(), Cases(Target{Addr: addr}), runner.Options{CaseTimeout: 10 * time.Second, Total: 4 * time.Minute, Strict: true})
	for _, r := range rs {
		if r.Verdict == runner.Skip && r.ID == "robustness/12" {
			continue // needs a server announcing fewer channels: see the next test
		}
		if r.Verdict != runner.Pass {
			t.Errorf("%s %s: %s (expected %s, actual %s, bytes %s) %v", r.ID, r.Verdict, r.Reason, r.Expected, r.Actual, r.Hex, r.Log)
		}
		for _, l := range r.Log {
			if strings.HasPrefix(l, "codec cross-check") {
				t.Errorf("%s: %s", r.ID, l)
			}
		}
	}
}

// TestReferenceServerFewChannels covers the cases that need a server announcing fewer channels.
func TestReferenceServerFewChannels(t *testing.T) {
	addr := startReference(t, 16)
	cs, err := runner.Select(Cases(Target{Addr: addr}), []string{"robustness/12", "multiplexing/2", "multiplexing/3", "multiplexing/4", "multiplexing/6"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := runner.Run(context.Background(), cs, runner.Options{CaseTimeout: 10 * time.Second, Strict: true})
	want := map[string]runner.Verdict{"robustness/12": runner.Pass, "multiplexing/2": runner.Pass, "multiplexing/3": runner.Skip, "multiplexing/4": runner.Skip, "multiplexing/6": runner.Pass}
	for _, r := range rs {
		if r.Verdict != want[r.ID] {
			t.Errorf("%s: %s (%s), want %s", r.ID, r.Verdict, r.Reason, want[r.ID])
		}
	}
}
