package harness

import (
	"context"
	"time"
)

// Runner runs the selected benchmarks with a Controller and collects the
// Report, suite by suite and benchmark by benchmark as the Node.js benchmark
// does. With Count > 1 it runs rounds: every selected benchmark of every
// suite once per round, so that drift of the machine hits all suites alike
// (--count, issue 8); Result.Run carries the round.
type Runner struct {
	Ctl *Controller
	// Count is the number of rounds (0 or 1: one).
	Count int
	// OnSuite, if set, is called with a suite's rows as soon as the suite
	// is done (the CLI prints its table there).
	OnSuite func(s Selection, results []Result)
	// OnBenchmark, if set, is called with each benchmark's rows as soon as
	// it is done (progress lines).
	OnBenchmark func(results []Result)
}

// Run runs every selected benchmark Count times, round by round. It returns the report so far and
// ctx's error when ctx ends (Ctrl-C); every worker is gone either way.
func (r *Runner) Run(ctx context.Context, sel []Selection) (*Report, error) {
	rep := &Report{
		SchemaVersion: SchemaVersion, Tool: "sockety-bench", StartedAt: time.Now().UTC(),
		Config: r.Ctl.Opt.RunConfig(), Environment: CollectEnvironment(ctx),
	}
	rounds := max(1, r.Count)
	rep.Config.Count = rounds
	var err error
	for round := 0; round < rounds && err == nil; round++ {
		for _, s := range sel {
			var results []Result
			for _, b := range s.Benchmarks {
				var rs []Result
				rs, err = r.Ctl.RunBenchmark(ctx, s.Suite, b, round)
				if err != nil {
					break
				}
				if r.OnBenchmark != nil {
					r.OnBenchmark(rs)
				}
				results = append(results, rs...)
			}
			if r.Ctl.Status != nil {
				r.Ctl.Status.Clear()
			}
			if len(results) > 0 && r.OnSuite != nil {
				r.OnSuite(s, results)
			}
			rep.Results = append(rep.Results, results...)
			if err != nil {
				rep.Failures = append(rep.Failures, "interrupted: "+err.Error())
				break
			}
		}
	}
	rep.FinishedAt = time.Now().UTC()
	return rep, err
}

// Failed reports whether any row of the report has worker failures.
func (r *Report) Failed() bool {
	for _, res := range r.Results {
		if len(res.Failures) > 0 {
			return true
		}
	}
	return false
}
