package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/report"
	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

// listFlag collects a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// suiteFlags are the flags shared by the live suites (server and client).
type suiteFlags struct {
	list    bool
	cases   listFlag
	groups  listFlag
	strict  bool
	known   string
	json    string
	junit   string
	timeout time.Duration
	total   time.Duration
	verbose bool
}

func (f *suiteFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.list, "list", false, "list the cases (ID, section, description, rule) and exit")
	fs.Var(&f.cases, "case", "run only this case ID (repeatable or comma-separated, e.g. message/3.2)")
	fs.Var(&f.groups, "group", "run only this group (repeatable or comma-separated, e.g. splitting)")
	fs.BoolVar(&f.strict, "strict", false, "count NON-STRICT verdicts as failures")
	fs.StringVar(&f.known, "known-failures", "", "file of expected failures: one `ID reason-substring` per line; a listed case that passes or fails differently fails the run")
	fs.StringVar(&f.json, "json", "", "write the results as JSON to this file")
	fs.StringVar(&f.junit, "junit", "", "write the results as JUnit XML to this file")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "timeout of each case")
	fs.DurationVar(&f.total, "total", 10*time.Minute, "bound of the whole run; cases not started in time are skipped")
	fs.BoolVar(&f.verbose, "v", false, "print each verdict as the case ends")
}

// parseFlags parses args; it returns ok=false with the exit status when the command should stop.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(fs.Output(), "unexpected arguments: %q\n", fs.Args())
		return 2, false
	}
	return 0, true
}

// listCases prints the catalogue.
func listCases(w io.Writer, cs []*runner.Case) {
	for _, c := range cs {
		fmt.Fprintf(w, "%-16s %-40s %s\n%-16s %-40s rule: %s\n", c.ID, c.Section, c.Desc, "", "", c.Rule)
	}
	fmt.Fprintf(w, "%d cases\n", len(cs))
}

// select returns the cases to run and the known-failures map, or an exit status.
func (f *suiteFlags) prepare(all []*runner.Case, stderr io.Writer) ([]*runner.Case, map[string]string, int) {
	cs, err := runner.Select(all, f.cases, f.groups)
	if err != nil {
		fmt.Fprintf(stderr, "sockety-conformance: %v (see --list)\n", err)
		return nil, nil, 2
	}
	var known map[string]string
	if f.known != "" {
		b, err := os.ReadFile(f.known)
		if err != nil {
			fmt.Fprintf(stderr, "sockety-conformance: %v\n", err)
			return nil, nil, 2
		}
		known, err = runner.ParseKnown(string(b))
		if err != nil {
			fmt.Fprintf(stderr, "sockety-conformance: %s: %v\n", f.known, err)
			return nil, nil, 2
		}
		ids := map[string]bool{}
		for _, c := range all {
			ids[c.ID] = true
		}
		for id := range known {
			if !ids[id] {
				fmt.Fprintf(stderr, "sockety-conformance: %s lists unknown case %s\n", f.known, id)
				return nil, nil, 2
			}
		}
	}
	if f.timeout <= 0 || f.total <= 0 {
		fmt.Fprintln(stderr, "sockety-conformance: --timeout and --total must be positive")
		return nil, nil, 2
	}
	return cs, known, 0
}

// runSuite runs the cases, prints the report, writes the files and returns the exit status.
func (f *suiteFlags) runSuite(ctx context.Context, cs []*runner.Case, known map[string]string, meta report.Meta, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	opt := runner.Options{Strict: f.strict, CaseTimeout: f.timeout, Total: f.total, Known: known}
	if f.verbose {
		opt.Progress = func(r *runner.Result) {
			fmt.Fprintf(stderr, "%-12s %s %s\n", r.Verdict, r.ID, r.Reason)
		}
	}
	meta.Strict = f.strict
	rs := runner.Run(ctx, cs, opt)
	report.Table(stdout, rs, f.strict)
	if err := report.WriteFiles(f.json, f.junit, meta, rs); err != nil {
		fmt.Fprintf(stderr, "sockety-conformance: %v\n", err)
		return 2
	}
	if runner.Summarize(rs, f.strict).Failed > 0 {
		return 1
	}
	return 0
}
