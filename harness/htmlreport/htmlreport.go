// Package htmlreport renders sockety-bench result files as one
// self-contained HTML page (issue 8): inline SVG charts drawn by
// html/template, no script and nothing loaded from the network. It shows
// QPS per scenario and suite (bars), latency percentile curves from the
// merged HDR histograms (log scale of the percentile, as HdrHistogram plots
// do), CPU per suite, each file's environment and, when several files are
// given, a statistical comparison of each file with the first.
package htmlreport

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/harness/compare"
)

// Input is one result file.
type Input struct {
	Name   string // shown as the file's label (usually its path)
	Report *harness.Report
}

// Options configure the page.
type Options struct {
	Title string
	// Normalize is passed to the comparisons (compare.Options.Normalize).
	Normalize string
	// MaxRegression is the comparisons' gate (zero: compare's default).
	MaxRegression compare.Thresholds
}

//go:embed report.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"f1":    func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"add":   func(a, b float64) float64 { return a + b },
	"sub":   func(a, b float64) float64 { return a - b },
	"div":   func(a, b float64) float64 { return a / b },
	"mul16": func(i int) float64 { return float64(i) * 16 },
	"inc":   func(i int) int { return i + 1 },
}).Parse(pageTemplate))

// palette colours a file/suite series.
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// Chart geometry (px).
const (
	chartWidth = 860
	labelWidth = 280
	barArea    = 380
	barHeight  = 16
	barGap     = 4
	plotLeft   = 70
	plotWidth  = 520
	plotHeight = 260
	plotTop    = 16
)

// group is one benchmark row of one suite in one file, over its runs.
type group struct {
	file       int
	suite      string
	benchmark  string
	part       string
	scenario   string
	results    []*harness.Result
	medianQPS  float64
	medianCli  float64 // client CPU u+s %, median of runs (-1 unknown)
	medianSrv  float64
	hist       *hdrhistogram.Histogram // runs merged
	histErrors []string
}

func (g *group) rowName() string {
	if g.part != "" {
		return g.benchmark + ": " + g.part
	}
	return g.benchmark
}

// Bar is one horizontal bar.
type Bar struct {
	Y, W          float64
	Opacity       float64 // lighter for files after the first
	Color, Label  string
	Value, Legend string
}

// BarChart is a horizontal bar chart.
type BarChart struct {
	Title, Caption string
	Height         float64
	Width          float64
	LabelWidth     float64
	Bars           []Bar
}

// Curve is one polyline of a percentile plot.
type Curve struct {
	D, Color, Label string
	Dash            string // stroke-dasharray: files after the first are dashed
}

// Tick is an axis tick.
type Tick struct {
	Pos   float64
	Label string
}

// CurveChart is a latency-by-percentile plot.
type CurveChart struct {
	Title                       string
	Width, Height               float64
	Left, Top, PlotW, PlotH     float64
	Curves                      []Curve
	XTicks, YTicks              []Tick
	LegendY                     float64
	Legend                      []Curve
	YLabel, XLabel, Placeholder string
}

// EnvRow is one line of the environment table.
type EnvRow struct {
	Key    string
	Values []string
}

// Comparison is the comparison of one file with the first.
type Comparison struct {
	Old, New string
	Rows     []CompRow
	Summary  string
	Notes    []string
	Err      string
}

// CompRow is one row of a comparison, formatted.
type CompRow struct {
	Benchmark, Metric, Old, New, Change, Test, Verdict, Why string
	Class                                                   string
}

type page struct {
	Title       string
	Files       []string
	Env         []EnvRow
	QPS         []BarChart
	Latency     []CurveChart
	CPU         []BarChart
	Comparisons []Comparison
	Problems    []string
}

// Render writes the page.
func Render(w io.Writer, inputs []Input, opt Options) error {
	if len(inputs) == 0 {
		return fmt.Errorf("html report: no result files")
	}
	p := page{Title: opt.Title}
	if p.Title == "" {
		p.Title = "sockety-bench report"
	}
	for _, in := range inputs {
		p.Files = append(p.Files, in.Name)
	}
	p.Env = envRows(inputs)
	groups := collect(inputs, &p.Problems)
	p.QPS = qpsCharts(groups, inputs)
	p.Latency = latencyCharts(groups, inputs)
	p.CPU = cpuCharts(groups, inputs)
	for i := 1; i < len(inputs); i++ {
		c := Comparison{Old: inputs[0].Name, New: inputs[i].Name}
		res, err := compare.Compare(inputs[0].Report, inputs[i].Report, compare.Options{Normalize: opt.Normalize, MaxRegression: opt.MaxRegression})
		if err != nil {
			c.Err = err.Error()
		} else {
			c.Summary, c.Notes = res.Summary(), res.Notes
			for _, r := range res.Rows {
				row := CompRow{Benchmark: r.Key.String(), Metric: r.Metric, Old: compare.FormatSummary(r.Old, r.Unit),
					New: compare.FormatSummary(r.New, r.Unit), Verdict: string(r.Verdict), Why: r.Why}
				if r.Old != nil && r.New != nil {
					row.Change = fmt.Sprintf("%+.1f%%", r.ChangePct)
				}
				if r.Tested {
					row.Test = fmt.Sprintf("p=%.3f n=%d+%d", r.P, r.Old.N, r.New.N)
				}
				switch r.Verdict {
				case compare.Regression:
					row.Class = "bad"
				case compare.Improvement:
					row.Class = "good"
				case compare.Inconclusive:
					row.Class = "unsure"
				}
				c.Rows = append(c.Rows, row)
			}
		}
		p.Comparisons = append(p.Comparisons, c)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

func envRows(inputs []Input) []EnvRow {
	get := []struct {
		key string
		f   func(r *harness.Report) string
	}{
		{"started", func(r *harness.Report) string { return r.StartedAt.Format("2006-01-02 15:04:05 MST") }},
		{"Go", func(r *harness.Report) string { return r.Environment.GoVersion }},
		{"OS / arch", func(r *harness.Report) string { return r.Environment.OS + "/" + r.Environment.Arch }},
		{"kernel", func(r *harness.Report) string { return r.Environment.Kernel }},
		{"CPU", func(r *harness.Report) string { return r.Environment.CPUModel }},
		{"cores (logical / physical)", func(r *harness.Report) string {
			return fmt.Sprintf("%d / %d", r.Environment.LogicalCores, r.Environment.PhysicalCores)
		}},
		{"GOMAXPROCS (controller / server / client)", func(r *harness.Report) string {
			g := r.Config.GOMAXPROCS
			return fmt.Sprintf("%d / %d / %d", g.Controller, g.Server, g.Client)
		}},
		{"git commit", func(r *harness.Report) string {
			c := r.Environment.GitCommit
			if r.Environment.GitDirty {
				c += " (dirty)"
			}
			return c
		}},
		{"duration / warming", func(r *harness.Report) string {
			return fmt.Sprintf("%v / %v", nsDuration(r.Config.DurationNs), nsDuration(r.Config.WarmingNs))
		}},
		{"server workers / client workers", func(r *harness.Report) string {
			return fmt.Sprintf("%d / %d", r.Config.Servers, r.Config.Clients)
		}},
		{"concurrency / connections (per client worker)", func(r *harness.Report) string {
			return fmt.Sprintf("%d / %d", r.Config.Concurrency, r.Config.Connections)
		}},
		{"mode", func(r *harness.Report) string { return r.Config.Mode }},
		{"runs per benchmark (--count)", func(r *harness.Report) string { return fmt.Sprint(max(1, r.Config.Count)) }},
		{"filters / excludes", func(r *harness.Report) string {
			return strings.Join(r.Config.Filters, "; ") + " / " + strings.Join(r.Config.Excludes, "; ")
		}},
		{"failures", func(r *harness.Report) string { return strings.Join(r.Failures, "; ") }},
	}
	var rows []EnvRow
	for _, g := range get {
		row := EnvRow{Key: g.key}
		for _, in := range inputs {
			row.Values = append(row.Values, g.f(in.Report))
		}
		rows = append(rows, row)
	}
	return rows
}

func nsDuration(ns int64) string {
	return fmt.Sprint(float64(ns)/1e9) + "s"
}

// collect groups rows by file, suite, benchmark and part, in first-seen
// order, with medians over runs and the runs' histograms merged.
func collect(inputs []Input, problems *[]string) []*group {
	var out []*group
	for fi, in := range inputs {
		idx := map[[3]string]*group{}
		for i := range in.Report.Results {
			r := &in.Report.Results[i]
			k := [3]string{r.Suite, r.Benchmark, r.Part}
			g := idx[k]
			if g == nil {
				g = &group{file: fi, suite: r.Suite, benchmark: r.Benchmark, part: r.Part, scenario: r.ScenarioID}
				idx[k] = g
				out = append(out, g)
			}
			g.results = append(g.results, r)
			if r.Histogram != "" {
				h, err := harness.DecodeHistogram(r.Histogram)
				if err != nil {
					*problems = append(*problems, fmt.Sprintf("%s: %s %s run %d: %v", in.Name, r.Suite, r.Benchmark, r.Run, err))
					continue
				}
				if g.hist == nil {
					g.hist = h
				} else {
					g.hist.Merge(h)
				}
			}
		}
	}
	for _, g := range out {
		var qps, cli, srv []float64
		for _, r := range g.results {
			qps = append(qps, r.QPS)
			if r.CPU.Client != nil {
				cli = append(cli, r.CPU.Client.Total)
			}
			if r.CPU.Server != nil {
				srv = append(srv, r.CPU.Server.Total)
			}
		}
		g.medianQPS, g.medianCli, g.medianSrv = median(qps), median(cli), median(srv)
	}
	return out
}

// median of v, -1 when empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return -1
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// scenarioKey groups rows of different suites that ran the same scenario.
type scenarioKey struct{ id, part string }

func scenarioOrder(groups []*group) ([]scenarioKey, map[scenarioKey][]*group, map[scenarioKey]string) {
	var order []scenarioKey
	by := map[scenarioKey][]*group{}
	title := map[scenarioKey]string{}
	for _, g := range groups {
		k := scenarioKey{g.scenario, g.part}
		if _, ok := by[k]; !ok {
			order = append(order, k)
			title[k] = g.rowName()
		}
		by[k] = append(by[k], g)
	}
	return order, by, title
}

// seriesLabel names a suite in a file; with one file, the suite alone.
func seriesLabel(g *group, inputs []Input) string {
	if len(inputs) == 1 {
		return g.suite
	}
	return fmt.Sprintf("%s [%d]", g.suite, g.file+1)
}

// colorOf gives a suite a stable colour; files of the same suite get the
// same hue with another lightness (the label says which file).
func colorOf(suite string, suites map[string]int) string {
	i, ok := suites[suite]
	if !ok {
		i = len(suites)
		suites[suite] = i
	}
	return palette[i%len(palette)]
}

func qpsCharts(groups []*group, inputs []Input) []BarChart {
	order, by, title := scenarioOrder(groups)
	suites := map[string]int{}
	var charts []BarChart
	for _, k := range order {
		gs := by[k]
		sort.SliceStable(gs, func(i, j int) bool {
			if gs[i].suite != gs[j].suite {
				return false // keep run order of suites
			}
			return gs[i].file < gs[j].file
		})
		gs = groupBySuite(gs)
		maxV := 0.0
		for _, g := range gs {
			maxV = math.Max(maxV, g.medianQPS)
		}
		c := BarChart{Title: title[k], Caption: fmt.Sprintf("QPS, median of runs (scenario %s)", k.id), Width: chartWidth, LabelWidth: labelWidth}
		y := 0.0
		for _, g := range gs {
			w := 0.0
			if maxV > 0 && g.medianQPS > 0 {
				w = math.Max(1, g.medianQPS/maxV*barArea)
			}
			c.Bars = append(c.Bars, Bar{Y: y, W: w, Color: colorOf(g.suite, suites), Label: seriesLabel(g, inputs), Opacity: opacity(g.file),
				Value: fmt.Sprintf("%s QPS (%d runs)", thousands(g.medianQPS), len(g.results))})
			y += barHeight + barGap
		}
		c.Height = y + 4
		charts = append(charts, c)
	}
	return charts
}

// groupBySuite keeps the first-seen order of suites and puts each suite's
// files next to each other.
func groupBySuite(gs []*group) []*group {
	var suites []string
	by := map[string][]*group{}
	for _, g := range gs {
		if _, ok := by[g.suite]; !ok {
			suites = append(suites, g.suite)
		}
		by[g.suite] = append(by[g.suite], g)
	}
	var out []*group
	for _, s := range suites {
		out = append(out, by[s]...)
	}
	return out
}

func cpuCharts(groups []*group, inputs []Input) []BarChart {
	var suites []string
	by := map[string][]*group{}
	for _, g := range groups {
		if _, ok := by[g.suite]; !ok {
			suites = append(suites, g.suite)
		}
		by[g.suite] = append(by[g.suite], g)
	}
	maxV := 0.0
	for _, g := range groups {
		maxV = math.Max(maxV, math.Max(g.medianCli, g.medianSrv))
	}
	var charts []BarChart
	for _, s := range suites {
		c := BarChart{Title: s, Caption: "CPU u+s, percent of one core per worker, median of runs: client workers (blue), server workers (orange)",
			Width: chartWidth, LabelWidth: labelWidth}
		y := 0.0
		for _, g := range by[s] {
			label := g.rowName()
			if len(inputs) > 1 {
				label = fmt.Sprintf("%s [%d]", label, g.file+1)
			}
			for i, v := range []float64{g.medianCli, g.medianSrv} {
				role, color := "client", palette[0]
				if i == 1 {
					role, color = "server", palette[1]
				}
				b := Bar{Y: y, Color: color, Label: label + " · " + role, Value: "unknown", Opacity: opacity(g.file)}
				if v >= 0 {
					b.Value = fmt.Sprintf("%.0f%%", v)
					if maxV > 0 {
						b.W = math.Max(1, v/maxV*barArea)
					}
				}
				c.Bars = append(c.Bars, b)
				y += barHeight + barGap
			}
			y += barGap
		}
		c.Height = y + 4
		charts = append(charts, c)
	}
	return charts
}

// percentile axis: x = log10(1 / (1 - q)), 0 .. maxNines.
const maxNines = 5.0

func latencyCharts(groups []*group, inputs []Input) []CurveChart {
	order, by, title := scenarioOrder(groups)
	suites := map[string]int{}
	var charts []CurveChart
	for _, k := range order {
		gs := groupBySuite(by[k])
		c := CurveChart{Title: title[k], Width: chartWidth, Left: plotLeft, Top: plotTop, PlotW: plotWidth, PlotH: plotHeight,
			XLabel: "percentile (log scale of 1/(1-p)); latency on a log scale", YLabel: "latency"}
		type pts struct {
			g  *group
			xs []float64
			ys []float64
		}
		var all []pts
		maxY, minY := 0.0, math.Inf(1)
		for _, g := range gs {
			if g.hist == nil || g.hist.TotalCount() == 0 {
				continue
			}
			var p pts
			p.g = g
			total := float64(g.hist.TotalCount())
			for i := 0; i <= 200; i++ {
				nines := maxNines * float64(i) / 200
				if math.Pow(10, nines) > total { // beyond the data's resolution
					break
				}
				q := 100 * (1 - math.Pow(10, -nines))
				v := float64(g.hist.ValueAtQuantile(q))
				p.xs = append(p.xs, nines)
				p.ys = append(p.ys, v)
				maxY, minY = math.Max(maxY, v), math.Min(minY, v)
			}
			all = append(all, p)
		}
		if len(all) == 0 || maxY <= 0 {
			c.Placeholder = "no latency histogram in these results"
			c.Height = 40
			charts = append(charts, c)
			continue
		}
		// Latency axis: logarithmic too, one decade per grid line, so that
		// the low percentiles stay readable beside a long tail.
		lo, hi := math.Pow(10, math.Floor(math.Log10(math.Max(minY, 1)))), math.Pow(10, math.Ceil(math.Log10(maxY)))
		if hi <= lo {
			hi = lo * 10
		}
		yOf := func(v float64) float64 {
			f := (math.Log10(math.Max(v, lo)) - math.Log10(lo)) / (math.Log10(hi) - math.Log10(lo))
			return plotTop + plotHeight - plotHeight*f
		}
		for v := lo; v <= hi*1.0001; v *= 10 {
			c.YTicks = append(c.YTicks, Tick{Pos: yOf(v), Label: compare.FormatValue(v, "ns")})
		}
		for n := 0; n <= int(maxNines); n++ {
			label := "0%"
			if n > 0 {
				label = strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", n, 100*(1-math.Pow(10, -float64(n)))), "0"), ".") + "%"
			}
			c.XTicks = append(c.XTicks, Tick{Pos: plotLeft + plotWidth*float64(n)/maxNines, Label: label})
		}
		for _, p := range all {
			var d strings.Builder
			for i := range p.xs {
				x := plotLeft + plotWidth*p.xs[i]/maxNines
				y := yOf(p.ys[i])
				cmd := "L"
				if i == 0 {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x, y)
			}
			if len(p.xs) == 1 { // a single point: draw a short tick so it shows
				fmt.Fprintf(&d, "l4 0")
			}
			cv := Curve{D: strings.TrimSpace(d.String()), Color: colorOf(p.g.suite, suites), Label: seriesLabel(p.g, inputs), Dash: dash(p.g.file)}
			c.Curves = append(c.Curves, cv)
		}
		c.LegendY = plotTop + plotHeight + 44
		c.Legend = c.Curves
		c.Height = c.LegendY + float64(len(c.Legend))*16 + 8
		charts = append(charts, c)
	}
	return charts
}

// opacity tells files apart in bar charts: the first file is solid.
func opacity(file int) float64 {
	return math.Max(0.35, 1-0.3*float64(file))
}

// dash tells files apart in curves: the first file is a solid line.
func dash(file int) string {
	return []string{"", "8 4", "2 3", "8 3 2 3"}[file%4]
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
