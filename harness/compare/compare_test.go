package compare

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/sockety-harness/sockety-harness/harness"
)

// synth describes a synthetic run: per suite a QPS and p50/p99 for two
// benchmarks, each run with +-2% deterministic noise.
type synth struct {
	runs  int
	seed  uint64
	scale map[string]float64 // speed factor per suite (QPS x, latency /)
	all   float64            // speed factor of the whole machine
}

var synthSuites = []struct {
	name string
	qps  float64
	p50  float64
	p99  float64
}{
	{"Raw TCP (limit)", 80000, 5e6, 12e6},
	{"Sockety", 45000, 9e6, 30e6},
	{"HTTP/1", 30000, 15e6, 40e6},
}

var synthBenches = []struct{ name, id string }{
	{"Regular response", "regular-response"},
	{"Short response (code)", "short-response"},
}

func (s synth) report() *harness.Report {
	rng := rand.New(rand.NewPCG(s.seed, 7))
	rep := &harness.Report{SchemaVersion: harness.SchemaVersion, Tool: "sockety-bench"}
	rep.Config.Count = s.runs
	rep.Environment.OS, rep.Environment.Arch, rep.Environment.CPUModel = "linux", "amd64", "Test CPU @ 2.0GHz"
	all := s.all
	if all == 0 {
		all = 1
	}
	for run := 0; run < s.runs; run++ {
		for _, su := range synthSuites {
			f := all
			if v, ok := s.scale[su.name]; ok {
				f *= v
			}
			for _, b := range synthBenches {
				noise := func() float64 { return 1 + (rng.Float64()*2-1)*0.02 }
				qps := su.qps * f * noise()
				rep.Results = append(rep.Results, harness.Result{
					Suite: su.name, Benchmark: b.name, ScenarioID: b.id, Run: run,
					Count: int64(qps / 2), QPS: qps,
					Latency: harness.Latency{P50Ns: int64(su.p50 / f * noise()), P99Ns: int64(su.p99 / f * noise()),
						P999Ns: int64(su.p99 * 1.2 / f), MeanNs: int64(su.p50 * 1.1 / f)},
				})
			}
		}
	}
	return rep
}

func mustCompare(t *testing.T, old, new *harness.Report, opt Options) *Result {
	t.Helper()
	res, err := Compare(old, new, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func dump(t *testing.T, res *Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := res.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCompareGate(t *testing.T) {
	slow := map[string]float64{"Sockety": 0.7} // 30% fewer QPS, latency / 0.7
	tests := []struct {
		name     string
		old, new synth
		opt      Options
		exit     int
		want     map[string]Verdict // "suite|metric" -> verdict of every benchmark of it
		whyMatch string
	}{
		{name: "identical runs", old: synth{runs: 5, seed: 1}, new: synth{runs: 5, seed: 2}, exit: ExitOK,
			want: map[string]Verdict{"Sockety|qps": "", "HTTP/1|p99": ""}},
		{name: "planted 30% slowdown", old: synth{runs: 5, seed: 1}, new: synth{runs: 5, seed: 2, scale: slow}, exit: ExitRegression,
			want: map[string]Verdict{"Sockety|qps": Regression, "Sockety|p50": Regression, "Sockety|p99": Regression}, whyMatch: "above the 10% threshold"},
		{name: "slowdown within a per-metric threshold", old: synth{runs: 5, seed: 1}, new: synth{runs: 5, seed: 2, scale: slow},
			opt:  Options{MaxRegression: Thresholds{Default: 10, PerMetric: map[string]float64{"qps": 35, "p50": 50, "p99": 50}}},
			exit: ExitOK, want: map[string]Verdict{"Sockety|qps": WithinLimit}},
		{name: "too few runs", old: synth{runs: 3, seed: 1}, new: synth{runs: 3, seed: 2, scale: slow}, exit: ExitInconclusive,
			want: map[string]Verdict{"Sockety|qps": Inconclusive, "HTTP/1|qps": Inconclusive}, whyMatch: "need at least 4 runs"},
		{name: "improvement", old: synth{runs: 5, seed: 1}, new: synth{runs: 5, seed: 2, scale: map[string]float64{"HTTP/1": 1.5}}, exit: ExitOK,
			want: map[string]Verdict{"HTTP/1|qps": Improvement}},
		{name: "other machine, absolute", old: synth{runs: 5, seed: 1, all: 2}, new: synth{runs: 5, seed: 2}, exit: ExitRegression,
			want: map[string]Verdict{"Sockety|qps": Regression}},
		{name: "other machine, normalised", old: synth{runs: 5, seed: 1, all: 2}, new: synth{runs: 5, seed: 2},
			opt: Options{Normalize: "raw tcp"}, exit: ExitOK, want: map[string]Verdict{"Sockety|qps": ""}},
		{name: "baseline scaled by 0.5, normalised", old: synth{runs: 5, seed: 1, all: 0.5}, new: synth{runs: 5, seed: 2},
			opt: Options{Normalize: "Raw TCP (limit)"}, exit: ExitOK, want: map[string]Verdict{"Sockety|qps": "", "HTTP/1|p99": ""}},
		{name: "slowdown on another machine, normalised", old: synth{runs: 5, seed: 1, all: 0.5}, new: synth{runs: 5, seed: 2, scale: slow},
			opt: Options{Normalize: "raw"}, exit: ExitRegression, want: map[string]Verdict{"Sockety|qps": Regression, "HTTP/1|qps": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustCompare(t, tt.old.report(), tt.new.report(), tt.opt)
			out := dump(t, res)
			if got := res.ExitCode(); got != tt.exit {
				t.Fatalf("exit %d, want %d\n%s", got, tt.exit, out)
			}
			if tt.whyMatch != "" && !strings.Contains(out, tt.whyMatch) {
				t.Errorf("output lacks %q:\n%s", tt.whyMatch, out)
			}
			seen := map[string]int{}
			for _, row := range res.Rows {
				k := row.Key.Suite + "|" + row.Metric
				want, ok := tt.want[k]
				if !ok {
					continue
				}
				seen[k]++
				if want == "" { // any verdict but a regression or inconclusive
					if row.Verdict == Regression || row.Verdict == Inconclusive {
						t.Errorf("%s %s: %s (%s)", row.Key, row.Metric, row.Verdict, row.Why)
					}
				} else if row.Verdict != want {
					t.Errorf("%s %s: %s (%s), want %s", row.Key, row.Metric, row.Verdict, row.Why, want)
				}
			}
			for k := range tt.want {
				if seen[k] != len(synthBenches) {
					t.Errorf("%s: %d rows, want %d\n%s", k, seen[k], len(synthBenches), out)
				}
			}
			if tt.opt.Normalize != "" {
				for _, row := range res.Rows {
					if strings.HasPrefix(row.Key.Suite, "Raw TCP") {
						t.Errorf("reference suite compared with itself: %v", row.Key)
					}
					if row.Unit != "ratio" {
						t.Errorf("normalised row in %q", row.Unit)
					}
				}
			}
		})
	}
}

func TestMinRuns(t *testing.T) {
	if got := MinRuns(0.05); got != 4 {
		t.Errorf("MinRuns(0.05) = %d, want 4 (2/C(8,4) = 0.029)", got)
	}
	if got := MinRuns(0.01); got != 5 {
		t.Errorf("MinRuns(0.01) = %d, want 5 (2/C(10,5) = 0.0079)", got)
	}
	if p := minP(3, 3); p != 0.1 {
		t.Errorf("minP(3,3) = %v, want 0.1", p)
	}
}

func TestParseThresholds(t *testing.T) {
	tests := []struct {
		in      string
		def     float64
		qps     float64
		p99     float64
		wantErr bool
	}{
		{in: "10%", qps: 10, p99: 10},
		{in: "7.5", qps: 7.5, p99: 7.5},
		{in: "qps=5%,p99=20%", def: 10, qps: 5, p99: 20},
		{in: "3%, p99=20%", qps: 3, p99: 20},
		{in: "", wantErr: true},
		{in: "-1%", wantErr: true},
		{in: "lat=5%", wantErr: true},
		{in: "qps=x", wantErr: true},
		{in: "NaN", wantErr: true},
	}
	for _, tt := range tests {
		th, err := ParseThresholds(tt.in, tt.def)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: err %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && (th.For("qps") != tt.qps || th.For("p99") != tt.p99) {
			t.Errorf("%q: qps %v p99 %v, want %v %v", tt.in, th.For("qps"), th.For("p99"), tt.qps, tt.p99)
		}
	}
}

func TestNormalizeErrors(t *testing.T) {
	rep := synth{runs: 4, seed: 1}.report()
	if _, err := Compare(rep, rep, Options{Normalize: "quic"}); err == nil || !strings.Contains(err.Error(), "no such suite") {
		t.Errorf("unknown suite: %v", err)
	}
	rep.Results = append(rep.Results, harness.Result{Suite: "Sockety TLS", Benchmark: "x", ScenarioID: "x", QPS: 1})
	if _, err := Compare(rep, rep, Options{Normalize: "sock"}); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := Compare(rep, rep, Options{Normalize: "sockety"}); err != nil {
		t.Errorf("exact name among prefixes: %v", err)
	}
}

func TestOnlyInOneFile(t *testing.T) {
	old := synth{runs: 4, seed: 1}.report()
	new := synth{runs: 4, seed: 2}.report()
	new.Results = new.Results[:0]
	res := mustCompare(t, old, new, Options{})
	if res.ExitCode() != ExitInconclusive || len(res.Notes) == 0 {
		t.Errorf("nothing in common: exit %d notes %v", res.ExitCode(), res.Notes)
	}
}

func TestFormats(t *testing.T) {
	res := mustCompare(t, synth{runs: 5, seed: 1}.report(), synth{runs: 5, seed: 2, scale: map[string]float64{"Sockety": 0.7}}.report(), Options{})
	var md bytes.Buffer
	if err := res.Write(&md, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| Sockety / Regular response") || !strings.Contains(md.String(), "**REGRESSION**") {
		t.Errorf("markdown:\n%s", md.String())
	}
	var js bytes.Buffer
	if err := res.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
	var back struct {
		ExitCode int   `json:"exit_code"`
		Rows     []Row `json:"rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.ExitCode != 1 || len(back.Rows) != len(res.Rows) || back.Rows[0].Old.N != 5 {
		t.Errorf("json round trip: exit %d, %d rows", back.ExitCode, len(back.Rows))
	}
	if err := res.Write(&js, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
	// Too few runs: JSON must still encode (no NaN).
	few := mustCompare(t, synth{runs: 2, seed: 1}.report(), synth{runs: 2, seed: 2}.report(), Options{})
	if err := few.Write(&js, "json"); err != nil {
		t.Fatal(err)
	}
}

func TestGoBenchParsesWithBenchfmt(t *testing.T) {
	rep := synth{runs: 3, seed: 1}.report()
	rep.Results = append(rep.Results, harness.Result{Suite: "Sockety", Benchmark: "Mixed", Part: "fast replies", ScenarioID: "mixed", QPS: 100, Count: 50,
		Latency:   harness.Latency{P50Ns: 1000, P99Ns: 2000},
		Delivered: &harness.Delivered{PerSecond: 99}})
	var b bytes.Buffer
	if err := WriteGoBench(&b, rep); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(&b, "gobench")
	n := 0
	names := map[string]bool{}
	for rd.Scan() {
		switch r := rd.Result().(type) {
		case *benchfmt.Result:
			n++
			names["Benchmark"+string(r.Name.Full())] = true
			qps, ok := r.Value("ops/s")
			if !ok || qps <= 0 {
				t.Errorf("%s: ops/s %v %v", r.Name.Full(), qps, ok)
			}
			nsop, _ := r.Value("sec/op") // benchfmt tidies ns/op into sec/op
			if d := nsop*qps - 1; d > 1e-4 || d < -1e-4 {
				t.Errorf("%s: sec/op %v x ops/s %v != 1", r.Name.Full(), nsop, qps)
			}
			if _, ok := r.Value("p99-sec"); !ok {
				t.Errorf("%s: no p99", r.Name.Full())
			}
			if g := r.GetConfig("goos"); g != "linux" {
				t.Errorf("goos %q", g)
			}
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", r)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if want := len(rep.Results); n != want {
		t.Errorf("%d results, want %d\n%s", n, want, b.String())
	}
	for _, want := range []string{"BenchmarkSockety/Regular_response", "BenchmarkRaw_TCP_limit/Short_response_code", "BenchmarkSockety/Mixed/fast_replies"} {
		if !names[want] {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if u := rd.Units().Get("ops/s", "better"); u == nil || u.Value != "higher" {
		t.Errorf("unit metadata of ops/s: %v", u)
	}
}

func FuzzParseResults(f *testing.F) {
	var b bytes.Buffer
	rep := synth{runs: 4, seed: 1}.report()
	_ = rep.WriteJSON(&b)
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema_version":1,"results":[{"suite":"a","benchmark":"b","qps":1e308,"latency":{"p50_ns":-1}}]}`))
	f.Add([]byte(`{"schema_version":1,"results":[{"suite":"a","benchmark":"b","histogram":"HISTFAAAA"}]}`))
	f.Add([]byte(`{"schema_version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever parsed must compare, print and convert without panic.
		for _, norm := range []string{"", "a"} {
			res, err := Compare(rep, rep, Options{Normalize: norm})
			if err != nil {
				continue
			}
			for _, format := range Formats {
				if err := res.Write(&bytes.Buffer{}, format); err != nil {
					t.Fatalf("%s: %v", format, err)
				}
			}
		}
		if err := WriteGoBench(&bytes.Buffer{}, rep); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseThresholds(f *testing.F) {
	for _, s := range []string{"10%", "qps=5%,p99=20%", "3%, p50=1e3", "=,", "qps=-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThresholds(s, DefaultMaxRegression)
		if err != nil {
			return
		}
		for _, m := range Metrics {
			if v := th.For(m.Name); v < 0 || v != v {
				t.Fatalf("%q: threshold %v for %s", s, v, m.Name)
			}
		}
	})
}
