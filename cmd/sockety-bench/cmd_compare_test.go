package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/sockety-harness/sockety-harness/harness"
)

// writeSynth writes a result file with runs runs of two suites; factor
// scales Sockety's speed (0.7: 30% fewer QPS, latency / 0.7), all scales
// the whole machine.
func writeSynth(t *testing.T, dir, name string, runs int, factor, all float64) string {
	t.Helper()
	rep := &harness.Report{SchemaVersion: harness.SchemaVersion, Tool: "sockety-bench"}
	rep.Config.Count = runs
	for run := 0; run < runs; run++ {
		for _, s := range []struct {
			name string
			qps  float64
		}{{"Raw TCP (limit)", 80000}, {"Sockety", 40000}} {
			f := all
			if s.name == "Sockety" {
				f *= factor
			}
			noise := 1 + 0.01*float64((run*7+len(name))%5-2)
			rep.Results = append(rep.Results, harness.Result{Suite: s.name, Benchmark: "Regular response", ScenarioID: "regular-response",
				Run: run, Count: 1000, QPS: s.qps * f * noise,
				Latency: harness.Latency{P50Ns: int64(1e6 / f * noise), P99Ns: int64(4e6 / f * noise)}})
		}
	}
	path := filepath.Join(dir, name)
	if err := rep.WriteJSONFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	base := writeSynth(t, dir, "base.json", 5, 1, 1)
	same := writeSynth(t, dir, "same.json", 5, 1, 1)
	slow := writeSynth(t, dir, "slow.json", 5, 0.7, 1)
	few := writeSynth(t, dir, "few.json", 2, 0.7, 1)
	otherMachine := writeSynth(t, dir, "half.json", 5, 1, 0.5)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema_version": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{base, same}, 0, "OK (exit 0)"},
		{[]string{base, slow}, 1, "REGRESSION"},
		{[]string{base, slow, "--max-regression", "qps=40%,p50=50%,p99=50%"}, 0, "within the 40% threshold"},
		{[]string{"--max-regression=5%", base, slow}, 1, "above the 5% threshold"},
		{[]string{base, few}, 2, "need at least 4 runs in each file"},
		{[]string{same, otherMachine}, 1, "REGRESSION"},
		{[]string{same, otherMachine, "--normalize", "raw tcp"}, 0, "normalised to \"Raw TCP (limit)\""},
		{[]string{"--format", "markdown", base, slow}, 1, "| Sockety / Regular response"},
		{[]string{"--format", "json", base, slow}, 1, `"exit_code": 1`},
		{[]string{"--format", "gobench", base, slow}, 0, "BenchmarkSockety/Regular_response"},
		{[]string{base}, 2, "want two result files"},
		{[]string{base, same, "--format", "xml"}, 2, "invalid --format"},
		{[]string{base, same, "--max-regression", "lots"}, 2, "invalid threshold"},
		{[]string{base, same, "--normalize", "quic"}, 2, "no such suite"},
		{[]string{base, filepath.Join(dir, "missing.json")}, 2, "no such file"},
		{[]string{base, bad}, 2, "schema_version 99"},
		{[]string{"--alpha", "2", base, same}, 2, "invalid --alpha"},
		{[]string{"--help"}, 0, "Usage: sockety-bench compare"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(append([]string{"compare"}, tt.args...), &out, &errOut, false)
		all := out.String() + errOut.String()
		if code != tt.code || !strings.Contains(all, tt.want) {
			t.Errorf("compare %v: exit %d, want %d and %q in:\n%s", tt.args, code, tt.code, tt.want, all)
		}
	}
}

func TestConvertCommand(t *testing.T) {
	dir := t.TempDir()
	a := writeSynth(t, dir, "a.json", 3, 1, 1)
	var out, errOut bytes.Buffer
	if code := run([]string{"convert", a}, &out, &errOut, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	rd := benchfmt.NewReader(&out, "a.txt")
	n := 0
	for rd.Scan() {
		if r, ok := rd.Result().(*benchfmt.Result); ok {
			n++
			if _, ok := r.Value("ops/s"); !ok {
				t.Errorf("%s: no ops/s", r.Name.Full())
			}
		} else if e, ok := rd.Result().(*benchfmt.SyntaxError); ok {
			t.Error(e)
		}
	}
	if n != 6 {
		t.Errorf("%d benchmark lines, want 6", n)
	}
	if code := run([]string{"convert"}, &out, &errOut, false); code != 2 {
		t.Errorf("no file: exit %d", code)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	a := writeSynth(t, dir, "a.json", 5, 1, 1)
	b := writeSynth(t, dir, "b.json", 5, 0.7, 1)
	page := filepath.Join(dir, "r.html")
	var out, errOut bytes.Buffer
	if code := run([]string{"report", a, b, "-o", page, "--title", "T <1>"}, &out, &errOut, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>T &lt;1&gt;</title>", "<svg class=\"chart bars\"", "regression"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if code := run([]string{"report", a, b, "-o", page, "--max-regression", "qps=50%,p50=50%,p99=50%"}, &out, &errOut, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if data, _ := os.ReadFile(page); !bytes.Contains(data, []byte("within the 50% threshold")) {
		t.Error("--max-regression not applied to the report's comparison")
	}
	if code := run([]string{"report", a, "--max-regression", "x"}, &out, &errOut, false); code != 2 {
		t.Errorf("bad threshold: exit %d", code)
	}
	if code := run([]string{"report", "-o", page}, &out, &errOut, false); code != 2 {
		t.Errorf("no file: exit %d", code)
	}
}

// TestCountAndPlantedDelay runs real worker processes: --count interleaves
// rounds and keeps every run; the test-only server delay is caught by the
// gate.
func TestCountAndPlantedDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	dir := t.TempDir()
	common := []string{"-t", "100ms", "-c", "1", "-cc", "4", "-cn", "1", "-f", "echo short", "-f", "echo regular", "--count", "4"}
	fast, slow := filepath.Join(dir, "fast.json"), filepath.Join(dir, "slow.json")
	var out, errOut bytes.Buffer
	if code := run(append(common, "--json", fast), &out, &errOut, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if code := run(append(common, "--json", slow, "--test-server-delay", "5ms", "--test-server-delay-suite", "echo (test)"), &out, &errOut, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Medians of 4 runs") || !strings.Contains(out.String(), "run 4 of 4 (--count)") {
		t.Errorf("no medians table or round labels:\n%s", out.String())
	}
	f, err := os.Open(fast)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := harness.ReadReport(f)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Config.Count != 4 || len(rep.Results) != 8 {
		t.Fatalf("count %d, %d rows", rep.Config.Count, len(rep.Results))
	}
	for i, r := range rep.Results { // rounds: every benchmark once per round
		if r.Run != i/2 {
			t.Errorf("row %d (%s) is run %d, want %d", i, r.Benchmark, r.Run, i/2)
		}
	}
	out.Reset()
	if code := run([]string{"compare", fast, slow}, &out, &errOut, false); code != 1 {
		t.Errorf("planted 5ms delay: exit %d, want 1\n%s", code, out.String())
	}
	// A delay limited to another suite leaves this one alone.
	c, err := parseArgs([]string{"--test-server-delay", "5ms", "--test-server-delay-suite", "Sockety"})
	if err != nil || c.TestServerDelay != 5e6 || c.TestServerDelaySuite != "Sockety" {
		t.Errorf("parse: %+v %v", c, err)
	}
	for _, bad := range [][]string{{"--count", "0"}, {"--count", "-1"}, {"--count", "1001"}, {"--test-server-delay", "-1s"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
