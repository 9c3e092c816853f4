package harness_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors"
	_ "github.com/sockety-harness/sockety-harness/competitors/sockety"
	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// wrongSeedName is a test suite: the Sockety suite whose client sends the
// payloads of another seed, as a corrupting path would.
const wrongSeedName = "Wrong seed (test)"

type wrongSeed struct{ competitors.Suite }

func (wrongSeed) Name() string { return wrongSeedName }

func (w wrongSeed) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	cfg.Payloads = scenarios.New(cfg.Payloads.Seed + 1)
	return w.Suite.NewClient(ctx, cfg)
}

// init runs in the test binary and in its worker processes alike.
func init() {
	if s, ok := competitors.Lookup("Sockety"); ok {
		competitors.Register(wrongSeed{s})
	}
}

// TestVerifyCountsCorruptPayloads: with --verify, a run whose payloads
// arrive different from the run's payloads reports verify errors and a
// failure; the same run with the right payloads reports none.
func TestVerifyCountsCorruptPayloads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	for _, tc := range []struct {
		suite string
		bad   bool
	}{{"Sockety", false}, {wrongSeedName, true}} {
		t.Run(tc.suite, func(t *testing.T) {
			ctl := &harness.Controller{Opt: testOptions()}
			s, b := benchmarkOf(t, tc.suite, scenarios.IDData1MBMemory)
			rs, err := ctl.RunBenchmark(context.Background(), s, b, 0)
			if err != nil {
				t.Fatal(err)
			}
			r := rs[0]
			if r.Count == 0 || r.Delivered == nil || r.Delivered.Messages == 0 {
				t.Fatalf("nothing measured: count %d delivered %+v failures %v", r.Count, r.Delivered, r.Failures)
			}
			failures := strings.Join(r.Failures, "\n")
			if tc.bad {
				if r.Delivered.VerifyErrors == 0 || !strings.Contains(failures, "failed verification") {
					t.Fatalf("corrupt payloads not reported: delivered %+v failures %v", r.Delivered, r.Failures)
				}
				return
			}
			if r.Delivered.VerifyErrors != 0 || len(r.Failures) != 0 {
				t.Fatalf("intact run reported: delivered %+v failures %v", r.Delivered, r.Failures)
			}
		})
	}
}
