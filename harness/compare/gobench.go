package compare

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/sockety-harness/sockety-harness/harness"
)

// BenchName is the Go benchmark name of a row: "Benchmark" + suite + "/" +
// benchmark (+ "/" + part), with runs of characters that are not letters,
// digits, '.', '-' or '_' replaced by '_' (benchstat splits names at '/'
// and fields at spaces).
func BenchName(suite, benchmark, part string) string {
	n := "Benchmark" + sanitize(suite) + "/" + sanitize(benchmark)
	if part != "" {
		n += "/" + sanitize(part)
	}
	return n
}

func sanitize(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' {
			b.WriteRune(r)
			under = false
			continue
		}
		if !under {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.Trim(b.String(), "_")
}

// WriteGoBench writes reports in the Go benchmark text format
// (golang.org/x/perf/benchfmt), one line per row and run, so that benchstat
// can read them: the iteration count is the row's successful operations;
// ns/op is 1e9/QPS (the mean time between completions of all client
// workers together, not one operation's latency); ops/s, p50-ns, p99-ns,
// p99.9-ns and mean-ns follow, with delivered-msgs/s for one-way rows.
// Unit lines tell benchstat which direction is better.
func WriteGoBench(w io.Writer, reps ...*harness.Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "Unit ops/s better=higher")
	fmt.Fprintln(bw, "Unit delivered-msgs/s better=higher")
	for _, u := range []string{"p50-ns", "p99-ns", "p99.9-ns", "mean-ns", "errors"} {
		fmt.Fprintf(bw, "Unit %s better=lower\n", u)
	}
	for _, rep := range reps {
		env := rep.Environment
		cfg := rep.Config
		fmt.Fprintln(bw)
		for _, kv := range [][2]string{
			{"goos", env.OS}, {"goarch", env.Arch}, {"cpu", env.CPUModel}, {"pkg", "sockety-bench"},
			{"go-version", env.GoVersion}, {"commit", env.GitCommit},
			{"duration", fmt.Sprintf("%dns", cfg.DurationNs)}, {"servers", fmt.Sprint(cfg.Servers)},
			{"clients", fmt.Sprint(cfg.Clients)}, {"concurrency", fmt.Sprint(cfg.Concurrency)},
			{"connections", fmt.Sprint(cfg.Connections)}, {"mode", cfg.Mode},
		} {
			if kv[1] != "" {
				fmt.Fprintf(bw, "%s: %s\n", kv[0], oneLine(kv[1]))
			}
		}
		for i := range rep.Results {
			r := &rep.Results[i]
			if r.QPS <= 0 || r.Count <= 0 {
				continue // nothing measured: benchstat cannot use a zero
			}
			fmt.Fprintf(bw, "%s \t%d\t%.1f ns/op\t%.1f ops/s\t%d p50-ns\t%d p99-ns\t%d p99.9-ns\t%d mean-ns\t%d errors",
				BenchName(r.Suite, r.Benchmark, r.Part), r.Count, 1e9/r.QPS, r.QPS,
				r.Latency.P50Ns, r.Latency.P99Ns, r.Latency.P999Ns, r.Latency.MeanNs, r.Errors)
			if r.Delivered != nil {
				fmt.Fprintf(bw, "\t%.1f delivered-msgs/s", r.Delivered.PerSecond)
			}
			fmt.Fprintln(bw)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write go benchmark format: %w", err)
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
