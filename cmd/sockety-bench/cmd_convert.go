package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/harness/compare"
)

const convertUsage = `Usage: sockety-bench convert RESULTS.json...

Prints result files in the Go benchmark text format, one line per benchmark
and run ("BenchmarkSuite/Benchmark  N  ns/op  ops/s  p50-ns  p99-ns ..."), so
that benchstat can read them:

  sockety-bench convert old.json > old.txt
  sockety-bench convert new.json > new.txt
  benchstat old.txt new.txt

ns/op is 1e9/QPS (time between completions of all client workers together),
not one operation's latency; latencies are the p50-ns, p99-ns, p99.9-ns and
mean-ns columns.
`

// runConvert is "sockety-bench convert".
func runConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	files, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, convertUsage)
		return 0
	}
	if err == nil && len(files) == 0 {
		err = errors.New("want one or more result files")
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench convert: %v\nRun 'sockety-bench convert --help' for usage.\n", err)
		return 2
	}
	var reps []*harness.Report
	for _, f := range files {
		rep, err := compare.LoadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "sockety-bench convert: %v\n", err)
			return 2
		}
		reps = append(reps, rep)
	}
	if err := compare.WriteGoBench(stdout, reps...); err != nil {
		fmt.Fprintf(stderr, "sockety-bench convert: %v\n", err)
		return 1
	}
	return 0
}
