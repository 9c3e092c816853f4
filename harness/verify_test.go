package harness_test

import (
	"context"
	"strings"
	"sync/atomic"
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

// dropName is a test suite: the Sockety suite whose client swallows every
// dropEvery-th operation and reports it sent, as a path that loses whole
// messages would. The server counts what really arrives.
const (
	dropName  = "Drop every 5th (test)"
	dropEvery = 5
)

type dropping struct{ competitors.Suite }

func (dropping) Name() string { return dropName }

func (d dropping) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	c, err := d.Suite.NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &droppingClient{Client: c}, nil
}

type droppingClient struct {
	competitors.Client
	calls atomic.Int64
}

func (c *droppingClient) Prepare(ctx context.Context, b competitors.Benchmark) (competitors.Op, error) {
	op, err := c.Client.Prepare(ctx, b)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if c.calls.Add(1)%dropEvery == 0 {
			return nil // "sent": never on the wire
		}
		return op(ctx)
	}, nil
}

// init runs in the test binary and in its worker processes alike.
func init() {
	if s, ok := competitors.Lookup("Sockety"); ok {
		competitors.Register(wrongSeed{s})
		competitors.Register(dropping{s})
	}
}

// TestVerifyCountsMissingMessages: with --verify, messages the clients sent
// that never reach the server are counted as missing (verify errors and a
// failure), apart from those that were only in flight at the window's end;
// an intact run has none missing and every sent message received.
func TestVerifyCountsMissingMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	for _, tc := range []struct {
		suite, scenario string
		lossy           bool
	}{
		{"Sockety", scenarios.IDNoResponse, false},
		{"Sockety", scenarios.IDData1MBMemory, false},
		{dropName, scenarios.IDNoResponse, true},
		{dropName, scenarios.IDData1MBMemory, true},
	} {
		t.Run(tc.suite+" "+tc.scenario, func(t *testing.T) {
			ctl := &harness.Controller{Opt: testOptions()}
			s, b := benchmarkOf(t, tc.suite, tc.scenario)
			rs, err := ctl.RunBenchmark(context.Background(), s, b, 0)
			if err != nil {
				t.Fatal(err)
			}
			r := rs[0]
			if r.Count == 0 || r.Delivered == nil || r.Delivered.Check == nil || r.Drain == nil {
				t.Fatalf("nothing checked: count %d delivered %+v drain %+v failures %v", r.Count, r.Delivered, r.Drain, r.Failures)
			}
			ch := *r.Delivered.Check
			t.Logf("check %+v drain %+v", ch, *r.Drain)
			// Every successful send of the whole run: warm-up, window, drain.
			if ch.Sent < uint64(r.Count+r.Drain.Completed) {
				t.Errorf("sent %d, window count %d, drained %d", ch.Sent, r.Count, r.Drain.Completed)
			}
			failures := strings.Join(r.Failures, "\n")
			if !tc.lossy {
				if ch.Missing != 0 || ch.Received < ch.Sent || r.Delivered.VerifyErrors != 0 || len(r.Failures) != 0 {
					t.Fatalf("intact run: check %+v verify errors %d failures %v", ch, r.Delivered.VerifyErrors, r.Failures)
				}
				return
			}
			// One in dropEvery calls per client worker is swallowed: the
			// missing count is sent/dropEvery, give or take the calls of
			// operations cut short at the end (at most Concurrency each).
			want := ch.Sent / dropEvery
			slack := uint64(2 * ctl.Opt.Clients * ctl.Opt.Concurrency)
			if ch.Missing == 0 || ch.Missing+slack < want || ch.Missing > want+slack {
				t.Errorf("missing %d, want about %d (sent %d)", ch.Missing, want, ch.Sent)
			}
			if ch.Received+ch.Missing != ch.Sent || r.Delivered.VerifyErrors < ch.Missing {
				t.Errorf("check %+v, verify errors %d", ch, r.Delivered.VerifyErrors)
			}
			if !strings.Contains(failures, "never reached the servers") || !strings.Contains(failures, "missing") {
				t.Errorf("failures %v", r.Failures)
			}
		})
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
