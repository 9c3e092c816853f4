package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sockety-harness/sockety-harness/harness/compare"
)

const compareUsage = `Usage: sockety-bench compare [flags] OLD.json NEW.json

Compares two result files (sockety-bench --json, ideally made with --count 5
or more): per suite and benchmark the median of every run's QPS, p50 and p99
in each file, the change in percent, and whether it is significant
(Mann-Whitney U test, golang.org/x/perf/benchmath, alpha 0.05) with 95%
confidence intervals. A regression is a change that is significant AND worse
than the threshold.

Flags:
  --max-regression SPEC  largest tolerated regression (default 10%); per metric:
                         "qps=5%,p99=20%" or "10%,p99=20%" (metrics: qps, p50, p99)
  --normalize SUITE      compare ratios to SUITE measured in the same run, e.g.
                         --normalize "Raw TCP" (name or unique prefix), so that a
                         baseline from another machine is usable
  --format FORMAT        text (default), markdown (PR comments), json, or gobench
                         (both files in the Go benchmark format, for benchstat)
  --alpha A              significance level (default 0.05)

Exit status: 0 no regression, 1 regression, 2 inconclusive (too few runs,
nothing in common) or usage error. Every row says why.
`

// runCompare is "sockety-bench compare".
func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxReg := fs.String("max-regression", "", "")
	normalize := fs.String("normalize", "", "")
	format := fs.String("format", "text", "")
	alpha := fs.Float64("alpha", 0.05, "")
	files, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, compareUsage)
		return 0
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sockety-bench compare: "+format+"\nRun 'sockety-bench compare --help' for usage.\n", a...)
		return 2
	}
	if err != nil {
		return fail("%v", err)
	}
	if len(files) != 2 {
		return fail("want two result files, OLD.json NEW.json (got %d)", len(files))
	}
	if !slices.Contains(append(slices.Clone(compare.Formats), "gobench"), *format) {
		return fail("invalid --format %q: text, markdown, json or gobench", *format)
	}
	if *alpha <= 0 || *alpha >= 1 {
		return fail("invalid --alpha %v: must be between 0 and 1", *alpha)
	}
	opt := compare.Options{Alpha: *alpha, Normalize: strings.TrimSpace(*normalize),
		MaxRegression: compare.Thresholds{Default: compare.DefaultMaxRegression}}
	if *maxReg != "" {
		if opt.MaxRegression, err = compare.ParseThresholds(*maxReg, compare.DefaultMaxRegression); err != nil {
			return fail("--max-regression: %v", err)
		}
	}
	old, err := compare.LoadFile(files[0])
	if err != nil {
		return fail("%v", err)
	}
	cur, err := compare.LoadFile(files[1])
	if err != nil {
		return fail("%v", err)
	}
	if *format == "gobench" {
		if err := compare.WriteGoBench(stdout, old, cur); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	res, err := compare.Compare(old, cur, opt)
	if err != nil {
		return fail("%v", err)
	}
	if err := res.Write(stdout, *format); err != nil {
		return fail("%v", err)
	}
	return res.ExitCode()
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
