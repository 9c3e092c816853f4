package htmlreport

import (
	"bytes"
	"context"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/harness"
)

// sample builds a report of two suites and two scenarios, runs runs each,
// with real HDR histograms; speed scales QPS up and latency down.
func sample(t *testing.T, runs int, speed float64, seed uint64) *harness.Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	rep := &harness.Report{SchemaVersion: harness.SchemaVersion, Tool: "sockety-bench",
		StartedAt: time.Date(2026, 11, 25, 21, 0, 0, 0, time.UTC)}
	rep.Config.Count, rep.Config.Mode, rep.Config.DurationNs = runs, harness.ModeClosedLoop, 5e8
	rep.Environment = harness.Environment{GoVersion: "go1.26", OS: "linux", Arch: "amd64", CPUModel: "Test CPU", LogicalCores: 2}
	for run := 0; run < runs; run++ {
		for si, suite := range []string{"Raw TCP (limit)", "Sockety"} {
			for bi, b := range []string{"regular-response", "short-response"} {
				h := harness.NewHistogram()
				base := float64(200_000*(si+1)*(bi+1)) / speed
				for i := 0; i < 20000; i++ {
					// a long-tailed latency: exponential around base
					if err := h.RecordValue(int64(base * (0.5 + rng.ExpFloat64()))); err != nil {
						t.Fatal(err)
					}
				}
				enc, err := harness.EncodeHistogram(h)
				if err != nil {
					t.Fatal(err)
				}
				qps := 1e9 / base * 100 * (1 + 0.02*rng.Float64())
				rep.Results = append(rep.Results, harness.Result{
					Suite: suite, Benchmark: b, ScenarioID: b, Run: run, Count: 20000, QPS: qps,
					Latency:   harness.Latency{P50Ns: h.ValueAtQuantile(50), P99Ns: h.ValueAtQuantile(99)},
					CPU:       harness.CPUResult{Client: &harness.CPUShare{Total: 40 + 10*float64(si)}, Server: &harness.CPUShare{Total: 30}},
					Histogram: enc,
				})
			}
		}
	}
	return rep
}

func render(t *testing.T, inputs []Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, inputs, Options{Normalize: "raw tcp"}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var (
	reRect  = regexp.MustCompile(`<rect class="bar"[^>]* width="([0-9.]+)"`)
	rePath  = regexp.MustCompile(`<path class="curve" d="([^"]*)"`)
	reFetch = regexp.MustCompile(`(?i)(src|href)=["']?(https?:)?//`)
)

func TestRenderContent(t *testing.T) {
	out := render(t, []Input{{Name: "old.json", Report: sample(t, 5, 1, 1)}, {Name: "new <b>.json", Report: sample(t, 5, 0.7, 2)}})
	for _, want := range []string{"<svg class=\"chart bars\"", "<svg class=\"chart curves\"", "Throughput (QPS)", "CPU per suite",
		"Test CPU", "go1.26", "Comparisons with [1]", "regression", "new &lt;b&gt;.json", "99.9%", "Sockety [2]"} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if reFetch.MatchString(out) || strings.Contains(out, "<script") {
		t.Error("page is not self-contained (a script or a network address)")
	}
	rects := reRect.FindAllStringSubmatch(out, -1)
	// QPS: 2 scenarios x 2 suites x 2 files; CPU: 2 suites x 2 scenarios x 2 files x 2 roles.
	if len(rects) != 8+16 {
		t.Errorf("%d bars, want 24", len(rects))
	}
	for _, m := range rects {
		if w, _ := strconv.ParseFloat(m[1], 64); w <= 0 || w > barArea {
			t.Errorf("bar width %v", w)
		}
	}
	paths := rePath.FindAllStringSubmatch(out, -1)
	if len(paths) != 8 {
		t.Errorf("%d curves, want 8", len(paths))
	}
	for _, m := range paths {
		if n := strings.Count(m[1], "L"); n < 50 {
			t.Errorf("curve of %d segments: %.80s", n, m[1])
		}
	}
}

func TestRenderEdgeCases(t *testing.T) {
	if err := Render(&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("no input accepted")
	}
	// No histograms, no CPU: placeholders, no panic, no NaN in the SVG.
	rep := sample(t, 1, 1, 3)
	for i := range rep.Results {
		rep.Results[i].Histogram, rep.Results[i].CPU = "", harness.CPUResult{}
	}
	rep.Results[0].QPS = 0
	out := render(t, []Input{{Name: "x", Report: rep}})
	if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
		t.Error("NaN or Inf in the page")
	}
	if !strings.Contains(out, "no latency histogram") || !strings.Contains(out, "unknown") {
		t.Error("missing placeholders")
	}
}

// chromium returns the path of a Chromium binary or skips the test.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed (Debian: apt-get install -y chromium; .ci/run installs it): the page is not rendered")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1100,2400", "--hide-scrollbars"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// layoutProbe is appended to a copy of the page in the test only: it
// measures every chart, bar and curve as laid out by the browser.
const layoutProbe = `<script>
(function () {
  var out = [];
  document.querySelectorAll('svg.chart').forEach(function (s) {
    var r = s.getBoundingClientRect(), bars = 0, curves = 0;
    s.querySelectorAll('rect.bar').forEach(function (b) { var q = b.getBoundingClientRect(); if (q.width > 0 && q.height > 0) bars++; });
    s.querySelectorAll('path.curve').forEach(function (p) { var q = p.getBoundingClientRect(); if (q.width > 0 && q.height > 0 && p.getTotalLength() > 0) curves++; });
    out.push((s.classList.contains('bars') ? 'bars' : 'curves') + ' ' + Math.round(r.width) + ' ' + Math.round(r.height) + ' ' + bars + ' ' + curves);
  });
  var pre = document.createElement('pre'); pre.id = 'layout'; pre.textContent = out.join('\n'); document.body.appendChild(pre);
})();
</script>`

var reLayout = regexp.MustCompile(`(?s)<pre id="layout">(.*?)</pre>`)

func TestRenderInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := render(t, []Input{{Name: "old.json", Report: sample(t, 5, 1, 1)}, {Name: "new.json", Report: sample(t, 5, 0.7, 2)}})
	pagePath := filepath.Join(dir, "report.html")
	if err := os.WriteFile(pagePath, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}

	// DOM: every chart laid out with a size, its bars and curves too.
	probe := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(probe, []byte(strings.Replace(page, "</body>", layoutProbe+"</body>", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := runChromium(t, bin, "--dump-dom", "file://"+probe)
	m := reLayout.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no layout probe output in the DOM (%d bytes)", len(dom))
	}
	var nBars, nCurves, charts int
	for _, line := range strings.Split(strings.TrimSpace(string(m[1])), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 {
			t.Fatalf("probe line %q", line)
		}
		w, _ := strconv.Atoi(f[1])
		h, _ := strconv.Atoi(f[2])
		bars, _ := strconv.Atoi(f[3])
		curves, _ := strconv.Atoi(f[4])
		charts++
		if w <= 0 || h <= 0 {
			t.Errorf("chart %q has no size", line)
		}
		if f[0] == "bars" && bars == 0 || f[0] == "curves" && curves == 0 {
			t.Errorf("empty chart %q", line)
		}
		nBars += bars
		nCurves += curves
	}
	if charts != 2+2+2 || nBars != 24 || nCurves != 8 {
		t.Errorf("laid out: %d charts, %d bars, %d curves; want 6, 24, 8", charts, nBars, nCurves)
	}

	// Screenshot: the page is not blank (pixel variance), with the charts'
	// colours present.
	shot := filepath.Join(dir, "shot.png")
	runChromium(t, bin, "--screenshot="+shot, "file://"+pagePath)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sumSq, n float64
	colored := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (float64(r) + float64(g) + float64(bl)) / 3 / 257
			sum += l
			sumSq += l * l
			n++
			// a saturated pixel: a bar or a curve, not text or grid
			if max(r, g, bl)-min(r, g, bl) > 80*257 {
				colored++
			}
		}
	}
	variance := sumSq/n - (sum/n)*(sum/n)
	if variance < 100 || colored < 2000 {
		t.Errorf("screenshot looks empty: luminance variance %.1f, %d saturated pixels", variance, colored)
	}
	t.Logf("screenshot %dx%d: luminance sd %.1f, %d saturated pixels (sampled 1/4)", b.Dx(), b.Dy(), math.Sqrt(variance), colored)
	if keep := os.Getenv("HTMLREPORT_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(keep, data, 0o644)
	}
}
