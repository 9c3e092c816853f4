// Package compare compares sockety-bench result files statistically and
// gates CI on regressions (issue 8): per suite and benchmark it takes the
// median of every run's QPS, p50 and p99 in each file, tests the difference
// with the Mann-Whitney U test of golang.org/x/perf/benchmath (the statistics
// benchstat uses) and flags a regression only when a change is both
// significant and beyond a threshold.
//
// With a reference suite (Options.Normalize) each figure is first divided
// by the reference suite's figure for the same scenario in the same run, so
// that a baseline taken on one machine can gate runs on another.
package compare

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/sockety-harness/sockety-harness/harness"
)

// Metric is one figure of a result row that is compared.
type Metric struct {
	Name           string // "qps", "p50", "p99"
	Unit           string // unit of absolute values
	HigherIsBetter bool
	Value          func(r *harness.Result) float64
}

// Metrics are the compared figures, in output order.
var Metrics = []Metric{
	{Name: "qps", Unit: "ops/s", HigherIsBetter: true, Value: func(r *harness.Result) float64 { return r.QPS }},
	{Name: "p50", Unit: "ns", Value: func(r *harness.Result) float64 { return float64(r.Latency.P50Ns) }},
	{Name: "p99", Unit: "ns", Value: func(r *harness.Result) float64 { return float64(r.Latency.P99Ns) }},
}

// MetricByName returns the metric called name.
func MetricByName(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// DefaultMaxRegression is the gate's threshold in percent when none is given.
const DefaultMaxRegression = 10.0

// Thresholds are the largest tolerated regressions in percent, per metric.
type Thresholds struct {
	Default   float64
	PerMetric map[string]float64
}

// For returns the threshold of a metric.
func (t Thresholds) For(metric string) float64 {
	if v, ok := t.PerMetric[metric]; ok {
		return v
	}
	return t.Default
}

// ParseThresholds parses "10%", "qps=5%,p99=20%" or "10%,p99=20%" (the
// percent sign is optional). Metrics not named get def.
func ParseThresholds(s string, def float64) (Thresholds, error) {
	t := Thresholds{Default: def, PerMetric: map[string]float64{}}
	if strings.TrimSpace(s) == "" {
		return t, errors.New("empty threshold")
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		name, val, named := strings.Cut(part, "=")
		if !named {
			val = name
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), "%"), 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return t, fmt.Errorf("invalid threshold %q: want a percentage such as 10%% or qps=5%%", part)
		}
		if !named {
			t.Default = v
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if _, ok := MetricByName(name); !ok {
			return t, fmt.Errorf("invalid threshold %q: unknown metric %q (qps, p50, p99)", part, name)
		}
		t.PerMetric[name] = v
	}
	return t, nil
}

// Options configure a comparison.
type Options struct {
	// Alpha is the significance level (0: 0.05).
	Alpha float64
	// Confidence of the intervals around medians (0: 0.95).
	Confidence float64
	// MaxRegression is the gate's threshold.
	MaxRegression Thresholds
	// Normalize names the reference suite (case-insensitive, a unique
	// prefix is enough); empty compares absolute figures.
	Normalize string
}

func (o Options) alpha() float64 {
	if o.Alpha > 0 {
		return o.Alpha
	}
	return benchmath.DefaultThresholds.CompareAlpha
}

func (o Options) confidence() float64 {
	if o.Confidence > 0 {
		return o.Confidence
	}
	return 0.95
}

// Key identifies a benchmark row across files.
type Key struct {
	Suite     string `json:"suite"`
	Benchmark string `json:"benchmark"`
	Part      string `json:"part,omitempty"`
}

// String is "Suite / Benchmark" or "Suite / Benchmark: part".
func (k Key) String() string {
	s := k.Suite + " / " + k.Benchmark
	if k.Part != "" {
		s += ": " + k.Part
	}
	return s
}

// Series holds every run's value of every metric of one benchmark row.
type Series struct {
	Key        Key
	ScenarioID string
	// Values maps a metric name to the values of the runs, in run order.
	Values map[string][]float64
}

// Verdict of one compared figure.
type Verdict string

// Verdicts. Regression fails the gate; Inconclusive makes it exit 2 unless
// a regression was found elsewhere.
const (
	Regression   Verdict = "regression"
	Improvement  Verdict = "improvement"
	NoChange     Verdict = "no significant change"
	WithinLimit  Verdict = "within threshold"
	Inconclusive Verdict = "inconclusive"
	OnlyOld      Verdict = "only in old"
	OnlyNew      Verdict = "only in new"
)

// Summary is a sample's median and its confidence interval.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	// CI is false when there are too few values for a confidence
	// interval at the requested level (Lo and Hi are then the median).
	CI     bool      `json:"ci"`
	Values []float64 `json:"values"`
}

// Row is the comparison of one metric of one benchmark.
type Row struct {
	Key    Key    `json:"key"`
	Metric string `json:"metric"`
	// Unit is the metric's unit, or "ratio" when normalised.
	Unit           string   `json:"unit"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Old            *Summary `json:"old,omitempty"`
	New            *Summary `json:"new,omitempty"`
	// ChangePct is (new - old) / old of the medians, in percent.
	ChangePct float64 `json:"change_pct"`
	// RegressionPct is the change in the bad direction (negative: better).
	RegressionPct float64 `json:"regression_pct"`
	// Tested is set when the Mann-Whitney U test ran; P is its p-value.
	Tested       bool    `json:"tested"`
	P            float64 `json:"p"`
	Alpha        float64 `json:"alpha"`
	Significant  bool    `json:"significant"`
	ThresholdPct float64 `json:"threshold_pct"`
	Verdict      Verdict `json:"verdict"`
	// Why explains the verdict in words.
	Why      string   `json:"why"`
	Warnings []string `json:"warnings,omitempty"`
}

// Result is a whole comparison.
type Result struct {
	Normalize string  `json:"normalize,omitempty"` // the reference suite's name
	Alpha     float64 `json:"alpha"`
	MinRuns   int     `json:"min_runs"` // runs per file needed for a verdict
	Rows      []Row   `json:"rows"`
	// Notes are problems outside any row (no common benchmarks, a missing
	// reference).
	Notes []string `json:"notes,omitempty"`
}

// Exit status of the gate.
const (
	ExitOK           = 0
	ExitRegression   = 1
	ExitInconclusive = 2
)

// ExitCode is 1 when any row regressed, else 2 when any row was
// inconclusive or nothing could be compared, else 0.
func (r *Result) ExitCode() int {
	decided := false // some row got a verdict from the test
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			return ExitRegression
		}
	}
	for _, row := range r.Rows {
		switch row.Verdict {
		case Inconclusive:
			return ExitInconclusive
		case NoChange, WithinLimit, Improvement:
			decided = true
		}
	}
	if !decided {
		return ExitInconclusive
	}
	return ExitOK
}

// Summary counts the verdicts and states the exit status in words.
func (r *Result) Summary() string {
	var reg, inc, ok, only int
	for _, row := range r.Rows {
		switch row.Verdict {
		case Regression:
			reg++
		case Inconclusive:
			inc++
		case OnlyOld, OnlyNew:
			only++
		default:
			ok++
		}
	}
	s := fmt.Sprintf("%d regression(s), %d inconclusive, %d without regression", reg, inc, ok)
	if only > 0 {
		s += fmt.Sprintf(", %d in one file only", only)
	}
	switch r.ExitCode() {
	case ExitRegression:
		s += ": FAIL (exit 1)"
	case ExitInconclusive:
		s += ": INCONCLUSIVE (exit 2)"
	default:
		s += ": OK (exit 0)"
	}
	return s
}

// MinRuns returns the smallest number of runs per file with which the
// two-sided Mann-Whitney U test can reach p < alpha at all (4 at 0.05): with
// n runs in each file the smallest possible p is 2 / C(2n, n).
func MinRuns(alpha float64) int {
	for n := 1; n < 64; n++ {
		if minP(n, n) < alpha {
			return n
		}
	}
	return 64
}

// minP is the smallest two-sided p-value of the exact Mann-Whitney U test
// with samples of n1 and n2 values and no ties.
func minP(n1, n2 int) float64 {
	// 2 / C(n1+n2, n1), computed in floating point.
	c := 1.0
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// resolveSuite finds the suite named name (case-insensitive, exact or a
// unique prefix) among the suites of the reports.
func resolveSuite(name string, reps ...*harness.Report) (string, error) {
	seen := map[string]bool{}
	var names []string
	for _, rep := range reps {
		for _, r := range rep.Results {
			if !seen[r.Suite] {
				seen[r.Suite] = true
				names = append(names, r.Suite)
			}
		}
	}
	want := strings.ToLower(strings.TrimSpace(name))
	var prefix []string
	for _, n := range names {
		if strings.ToLower(n) == want {
			return n, nil
		}
		if strings.HasPrefix(strings.ToLower(n), want) {
			prefix = append(prefix, n)
		}
	}
	if len(prefix) == 1 {
		return prefix[0], nil
	}
	if len(prefix) > 1 {
		return "", fmt.Errorf("--normalize %q is ambiguous: %s", name, strings.Join(prefix, ", "))
	}
	return "", fmt.Errorf("--normalize %q: no such suite in the results (have %s)", name, strings.Join(names, ", "))
}

// Collect groups a report's rows by benchmark, one value per run. With a
// reference suite each value is divided by that suite's value for the same
// scenario (and Mixed part) in the same run; runs without a reference value
// are left out and the reference suite itself is not returned.
func Collect(rep *harness.Report, reference string) []*Series {
	type refKey struct {
		scenario, part string
		run            int
	}
	ref := map[refKey]*harness.Result{}
	if reference != "" {
		for i := range rep.Results {
			r := &rep.Results[i]
			if r.Suite == reference {
				ref[refKey{r.ScenarioID, r.Part, r.Run}] = r
			}
		}
	}
	byKey := map[Key]*Series{}
	var order []*Series
	for i := range rep.Results {
		r := &rep.Results[i]
		if reference != "" && r.Suite == reference {
			continue
		}
		k := Key{r.Suite, r.Benchmark, r.Part}
		s := byKey[k]
		if s == nil {
			s = &Series{Key: k, ScenarioID: r.ScenarioID, Values: map[string][]float64{}}
			byKey[k] = s
			order = append(order, s)
		}
		var base *harness.Result
		if reference != "" {
			base = ref[refKey{r.ScenarioID, r.Part, r.Run}]
			if base == nil {
				continue
			}
		}
		for _, m := range Metrics {
			v := m.Value(r)
			if base != nil {
				v /= m.Value(base)
			}
			if len(r.Failures) > 0 || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
				continue // an incomplete run or a figure that is not there
			}
			s.Values[m.Name] = append(s.Values[m.Name], v)
		}
	}
	return order
}

// Compare compares old against new.
func Compare(old, new *harness.Report, opt Options) (*Result, error) {
	alpha := opt.alpha()
	res := &Result{Alpha: alpha, MinRuns: MinRuns(alpha)}
	if opt.Normalize != "" {
		name, err := resolveSuite(opt.Normalize, old, new)
		if err != nil {
			return nil, err
		}
		res.Normalize = name
	}
	if opt.MaxRegression.PerMetric == nil && opt.MaxRegression.Default == 0 {
		opt.MaxRegression.Default = DefaultMaxRegression
	}
	olds := Collect(old, res.Normalize)
	news := Collect(new, res.Normalize)
	newByKey := map[Key]*Series{}
	for _, s := range news {
		newByKey[s.Key] = s
	}
	seen := map[Key]bool{}
	thr := &benchmath.Thresholds{CompareAlpha: alpha}
	for _, o := range olds {
		seen[o.Key] = true
		n := newByKey[o.Key]
		for _, m := range Metrics {
			row := Row{Key: o.Key, Metric: m.Name, Unit: m.Unit, HigherIsBetter: m.HigherIsBetter,
				Alpha: alpha, ThresholdPct: opt.MaxRegression.For(m.Name)}
			if res.Normalize != "" {
				row.Unit = "ratio"
			}
			if n == nil {
				row.Old = summarize(o.Values[m.Name], thr, opt.confidence(), &row)
				row.Verdict, row.Why = OnlyOld, "not in the new results"
				res.Rows = append(res.Rows, row)
				continue
			}
			compareRow(&row, o.Values[m.Name], n.Values[m.Name], thr, opt.confidence(), res.MinRuns)
			res.Rows = append(res.Rows, row)
		}
	}
	for _, n := range news {
		if seen[n.Key] {
			continue
		}
		for _, m := range Metrics {
			row := Row{Key: n.Key, Metric: m.Name, Unit: m.Unit, HigherIsBetter: m.HigherIsBetter, Alpha: alpha}
			if res.Normalize != "" {
				row.Unit = "ratio"
			}
			row.New = summarize(n.Values[m.Name], thr, opt.confidence(), &row)
			row.Verdict, row.Why = OnlyNew, "not in the old results"
			res.Rows = append(res.Rows, row)
		}
	}
	common := 0
	for _, row := range res.Rows {
		if row.Verdict != OnlyOld && row.Verdict != OnlyNew {
			common++
		}
	}
	if common == 0 {
		res.Notes = append(res.Notes, "no benchmark is in both files: nothing to compare")
	}
	return res, nil
}

func summarize(values []float64, thr *benchmath.Thresholds, confidence float64, row *Row) *Summary {
	if len(values) == 0 {
		return nil
	}
	s := benchmath.NewSample(append([]float64(nil), values...), thr)
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	for _, w := range append(s.Warnings, sum.Warnings...) {
		row.Warnings = appendUnique(row.Warnings, w.Error())
	}
	out := &Summary{N: len(values), Median: sum.Center, Lo: sum.Lo, Hi: sum.Hi, CI: true, Values: append([]float64(nil), values...)}
	if math.IsInf(out.Lo, 0) || math.IsInf(out.Hi, 0) || math.IsNaN(out.Lo) || math.IsNaN(out.Hi) {
		out.Lo, out.Hi, out.CI = out.Median, out.Median, false
	}
	return out
}

func appendUnique(l []string, s string) []string {
	for _, x := range l {
		if x == s {
			return l
		}
	}
	return append(l, s)
}

func compareRow(row *Row, oldV, newV []float64, thr *benchmath.Thresholds, confidence float64, minRuns int) {
	row.Old = summarize(oldV, thr, confidence, row)
	row.New = summarize(newV, thr, confidence, row)
	if row.Old == nil || row.New == nil {
		row.Verdict, row.Why = Inconclusive, "no valid run in one of the files"
		return
	}
	if row.Old.Median != 0 {
		row.ChangePct = (row.New.Median - row.Old.Median) / row.Old.Median * 100
	}
	row.RegressionPct = row.ChangePct
	if row.HigherIsBetter {
		row.RegressionPct = -row.ChangePct
	}
	if minP(len(oldV), len(newV)) >= row.Alpha {
		row.Verdict = Inconclusive
		row.Why = fmt.Sprintf("need at least %d runs in each file for a verdict at alpha %.2g (have %d old, %d new; run with --count %d)",
			minRuns, row.Alpha, len(oldV), len(newV), minRuns)
		return
	}
	c := benchmath.AssumeNothing.Compare(benchmath.NewSample(append([]float64(nil), oldV...), thr),
		benchmath.NewSample(append([]float64(nil), newV...), thr))
	row.Tested, row.P = true, c.P
	for _, w := range c.Warnings {
		row.Warnings = appendUnique(row.Warnings, w.Error())
	}
	row.Significant = c.P < row.Alpha
	switch {
	case !row.Significant:
		row.Verdict = NoChange
		row.Why = fmt.Sprintf("p=%.3f >= %.2g: the difference may be noise", c.P, row.Alpha)
	case row.RegressionPct > row.ThresholdPct:
		row.Verdict = Regression
		row.Why = fmt.Sprintf("significant (p=%.3f) and %.1f%% worse, above the %.4g%% threshold", c.P, row.RegressionPct, row.ThresholdPct)
	case row.RegressionPct > 0:
		row.Verdict = WithinLimit
		row.Why = fmt.Sprintf("significant (p=%.3f) but %.1f%% worse is within the %.4g%% threshold", c.P, row.RegressionPct, row.ThresholdPct)
	default:
		row.Verdict = Improvement
		row.Why = fmt.Sprintf("significant (p=%.3f), %.1f%% better", c.P, -row.RegressionPct)
	}
}
