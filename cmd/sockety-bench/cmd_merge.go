package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sockety-harness/sockety-harness/harness"
)

const mergeUsage = `Usage: sockety-bench merge [--json OUT.json] [--no-color] A.json B.json...

Merges the --json results of several client hosts that ran the same
benchmarks against one --server-only process at the same time, and prints
the combined table (README.md, "Remote mode"):

  counts, errors and QPS     added up (each host's QPS over its own window)
  latency                    histograms merged; min/max exact, mean weighted
  client CPU                 mean over all client workers of all hosts
  server CPU, delivered      averaged (every host saw the same server)

Files with different schema versions, suites, benchmarks, runs or load
modes are refused.
`

// runMerge is "sockety-bench merge".
func runMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("json", "", "")
	_ = fs.Bool("no-color", false, "") // accepted; merge prints plain tables
	files, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, mergeUsage)
		return 0
	}
	if err == nil && len(files) < 2 {
		err = errors.New("want two or more result files")
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench merge: %v\n%s", err, mergeUsage)
		return 2
	}
	reps := make([]*harness.Report, len(files))
	for i, f := range files {
		if reps[i], err = readMergeInput(f); err != nil {
			fmt.Fprintf(stderr, "sockety-bench merge: %s: %v\n", f, err)
			return 2
		}
	}
	m, err := harness.MergeReports(files, reps)
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench merge: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "Merged %d results: %s\n", len(files), harness.MergeSummary(files, reps))
	var suite string
	var rows []harness.Result
	flush := func() {
		if len(rows) == 0 {
			return
		}
		harness.WriteSuiteTable(stdout, suite, rows, harness.TableOptions{
			Servers: rows[0].ServerWorkers, Rate: m.Config.Mode == harness.ModeConstantRate,
		})
		rows = nil
	}
	for _, r := range m.Results {
		if r.Suite != suite {
			flush()
			suite = r.Suite
		}
		rows = append(rows, r)
	}
	flush()
	if *out != "" {
		if err := m.WriteJSONFile(*out); err != nil {
			fmt.Fprintf(stderr, "sockety-bench merge: %v\n", err)
			return 1
		}
	}
	if m.Failed() {
		return 1
	}
	return 0
}

// readMergeInput reads one --json file.
func readMergeInput(path string) (*harness.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return harness.ReadReport(f)
}
