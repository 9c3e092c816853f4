package servercases

import (
	"os"
	"testing"

	"github.com/sockety-harness/sockety-harness/conformance/mutants"
	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

func TestDumpMutants(t *testing.T) {
	if os.Getenv("DUMP") == "" {
		t.Skip()
	}
	for _, m := range mutants.All() {
		rs := runAgainst(t, m, nil)
		for _, r := range rs {
			if r.Verdict != runner.Pass {
				t.Logf("%-20s %-16s %-10s %s", m, r.ID, r.Verdict, r.Reason)
			}
		}
	}
}
