package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sockety-harness/sockety-harness/harness/compare"
	"github.com/sockety-harness/sockety-harness/harness/htmlreport"
)

const reportUsage = `Usage: sockety-bench report [flags] RESULTS.json...

Writes one self-contained HTML page (inline SVG, no script, no network):
QPS per scenario and suite, latency percentile curves from the histograms,
CPU per suite, each file's environment and, with several files, each file
compared with the first (as "sockety-bench compare" does).

Flags:
  -o, --output FILE   the page (default report.html; "-" for stdout)
  --title TEXT        the page's title
  --normalize SUITE   normalise the comparisons to SUITE (see compare)
  --max-regression S  the comparisons' threshold (see compare; default 10%)
`

// runReport is "sockety-bench report".
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := "report.html"
	fs.StringVar(&out, "o", out, "")
	fs.StringVar(&out, "output", out, "")
	title := fs.String("title", "", "")
	normalize := fs.String("normalize", "", "")
	maxReg := fs.String("max-regression", "", "")
	files, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, reportUsage)
		return 0
	}
	if err == nil && len(files) == 0 {
		err = errors.New("want one or more result files")
	}
	if err == nil && out == "" {
		err = errors.New("invalid -o: empty file name")
	}
	th := compare.Thresholds{Default: compare.DefaultMaxRegression}
	if err == nil && *maxReg != "" {
		th, err = compare.ParseThresholds(*maxReg, compare.DefaultMaxRegression)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench report: %v\nRun 'sockety-bench report --help' for usage.\n", err)
		return 2
	}
	var inputs []htmlreport.Input
	for _, f := range files {
		rep, err := compare.LoadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "sockety-bench report: %v\n", err)
			return 2
		}
		inputs = append(inputs, htmlreport.Input{Name: f, Report: rep})
	}
	var b bytes.Buffer
	if err := htmlreport.Render(&b, inputs, htmlreport.Options{Title: *title, Normalize: *normalize, MaxRegression: th}); err != nil {
		fmt.Fprintf(stderr, "sockety-bench report: %v\n", err)
		return 1
	}
	if out == "-" {
		_, err = stdout.Write(b.Bytes())
	} else {
		err = os.WriteFile(out, b.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockety-bench report: %v\n", err)
		return 1
	}
	if out != "-" {
		fmt.Fprintf(stderr, "wrote %s\n", out)
	}
	return 0
}
