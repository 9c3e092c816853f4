package servercases

import (
	"context"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/mutants"
	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

func runAgainst(t *testing.T, m mutants.Mutation, ids []string) []*runner.Result {
	t.Helper()
	srv, err := mutants.Start("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cases, err := runner.Select(Cases(Target{Addr: srv.Addr()}), ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	return runner.Run(context.Background(), cases, runner.Options{CaseTimeout: 5 * time.Second, Total: 3 * time.Minute})
}

func TestCatalogue(t *testing.T) {
	cs := Cases(Target{Addr: "127.0.0.1:1"})
	if err := runner.CheckCatalogue(cs); err != nil {
		t.Fatal(err)
	}
	if len(cs) < 60 {
		t.Fatalf("%d server cases, want at least 60", len(cs))
	}
}

func TestReferenceRawServerPassesAll(t *testing.T) {
	rs := runAgainst(t, mutants.None, nil)
	for _, r := range rs {
		if r.Verdict != runner.Pass && r.Verdict != runner.Skip {
			t.Errorf("%s %s: %s (expected %s, actual %s, bytes %s) %v", r.ID, r.Verdict, r.Reason, r.Expected, r.Actual, r.Hex, r.Log)
		}
	}
}
