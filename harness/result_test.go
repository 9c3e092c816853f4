package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sampleReport(t *testing.T) *Report {
	t.Helper()
	h := NewHistogram()
	for i := int64(1); i <= 100; i++ {
		_ = h.RecordValue(i * 10_000)
	}
	enc, err := EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Duration: time.Second, Warming: 200 * time.Millisecond, Servers: 1, Clients: 2, Concurrency: 100, Connections: 1, Seed: 5}
	o.Normalize()
	return &Report{
		SchemaVersion: SchemaVersion, Tool: "sockety-bench",
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2026, 1, 2, 3, 5, 5, 0, time.UTC),
		Config: o.RunConfig(), Environment: CollectEnvironment(context.Background()),
		Results: []Result{{
			Suite: "Sockety", Benchmark: "No response", ScenarioID: "no-response", Kind: "one-way", OneWay: true,
			ServerWorkers: 1, ClientWorkers: 2, Concurrency: 100, WindowStartUnixNs: 1, WindowNs: 1e9,
			Count: 100, Errors: 2, SuccessRatio: 100.0 / 102, QPS: 100,
			Delivered: &Delivered{Messages: 99, Bytes: 0, PerSecond: 99},
			Latency:   latencyOf(h, 10_000, 505_000, 1_000_000),
			CPU:       CPUResult{Client: &CPUShare{User: 90, System: 10, Total: 100}, ClientNsPerOp: 123.5},
			Histogram: enc, ErrorSamples: []ErrorSample{{Message: "reset", Count: 2}},
			Workers: []WorkerFigures{{Role: RoleClient, WindowNs: 1e9, CPU: CPUTimes{UserNs: 9e8, SystemNs: 1e8}, CPUKnown: true, Count: 50}},
		}},
	}
}

func TestReportJSONRoundTrip(t *testing.T) {
	rep := sampleReport(t)
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep, back) {
		t.Fatalf("round trip differs:\n%+v\n%+v", rep, back)
	}
	// The documented field names (results/README.md) are what is written.
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "tool", "started_at", "finished_at", "config", "environment", "results"} {
		if _, ok := m[k]; !ok {
			t.Errorf("missing top-level %q", k)
		}
	}
	r := m["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"suite", "benchmark", "scenario_id", "kind", "one_way", "run", "server_workers", "client_workers",
		"concurrency", "window_start_unix_ns", "window_ns", "count", "errors", "success_ratio", "qps", "delivered",
		"latency", "cpu", "histogram", "error_samples", "workers"} {
		if _, ok := r[k]; !ok {
			t.Errorf("missing result field %q", k)
		}
	}
	cfg := m["config"].(map[string]any)
	for _, k := range []string{"duration_ns", "warming_ns", "servers", "clients", "concurrency", "connections", "mode", "gomaxprocs", "seed", "histogram_unit"} {
		if _, ok := cfg[k]; !ok {
			t.Errorf("missing config field %q", k)
		}
	}
	env := m["environment"].(map[string]any)
	for _, k := range []string{"go_version", "os", "arch", "logical_cores", "gomaxprocs"} {
		if _, ok := env[k]; !ok {
			t.Errorf("missing environment field %q", k)
		}
	}
}

func TestReadReportRejects(t *testing.T) {
	if _, err := ReadReport(strings.NewReader(`{"schema_version": 99}`)); err == nil {
		t.Error("accepted an unknown schema version")
	}
	if _, err := ReadReport(strings.NewReader(`{"schema_version": 1, "results": [{"histogram": "@@"}]}`)); err == nil {
		t.Error("accepted a corrupt histogram")
	}
	if _, err := ReadReport(strings.NewReader(`{`)); err == nil {
		t.Error("accepted truncated JSON")
	}
}

func FuzzReadReport(f *testing.F) {
	f.Add([]byte(`{"schema_version": 1, "results": []}`))
	f.Add([]byte(`{"schema_version": 1, "results": [{"histogram": "HISTFAAAACB4nJNpmSzMwMDAxQABzFCaEUzOmMRg/x8mAgA/ZQN1"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tm := time.AfterFunc(3*time.Second, func() { panic(fmt.Sprintf("ReadReport hangs on %q", b)) })
		defer tm.Stop()
		_, _ = ReadReport(bytes.NewReader(b))
	})
}

func TestWriteSuiteTable(t *testing.T) {
	rep := sampleReport(t)
	r2 := rep.Results[0]
	r2.Benchmark, r2.Part, r2.OneWay, r2.Delivered, r2.Errors, r2.ErrorSamples = "Mixed", "Short response (code)", false, nil, 0, nil
	r2.SuccessRatio = 1
	var buf bytes.Buffer
	WriteSuiteTable(&buf, "Sockety", []Result{rep.Results[0], r2}, TableOptions{Servers: 1})
	out := buf.String()
	for _, want := range []string{" Sockety", "CPU%/client", "CPU%/server", "success", "QPS", "delivered", "p50", "p99", "p99.9",
		"No response", "98.04%", "Failed 2 times", "Mixed: Short response (code)", "10.00μs", "1.00ms", "n/a", "90%", "100%", "2× reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\033[") {
		t.Error("colours without Color")
	}
	lines := strings.Split(out, "\n")
	// The CPU group titles sit over their "usr" columns.
	title, head := lines[1], lines[2]
	if i, j := strings.Index(title, "CPU%/client"), strings.Index(head, "usr"); i != j {
		t.Errorf("CPU%%/client at %d, usr at %d:\n%s\n%s", i, j, title, head)
	}
}

func TestFormatters(t *testing.T) {
	cases := map[string]string{
		formatInt(2641780):        "2,641,780",
		formatInt(-1000):          "-1,000",
		formatInt(999):            "999",
		formatLatency(60_490):     "60.49μs",
		formatLatency(230_000):    "0.23ms",
		formatLatency(1076850000): "1,076.85ms",
		formatFixed(99.999):       "100.00",
		formatPercent(99.6):       "100%",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestStatusLine(t *testing.T) {
	var buf bytes.Buffer
	s := NewStatus(&buf, true, false)
	s.Width = 30
	s.Set("Sockety Heartbeat", "Running 1.2s/3s")
	if got := buf.String(); !strings.HasPrefix(got, "\r\033[K") || len([]rune(got))-len([]rune("\r\033[K")) != 29 {
		t.Fatalf("live line %q not redrawn and cut to the width", got)
	}
	buf.Reset()
	fmt.Fprintf(s, "[server 0] log line\n")
	if got := buf.String(); got != "\r\033[K[server 0] log line\n" {
		t.Fatalf("log line %q", got)
	}
	buf.Reset()
	plain := NewStatus(&buf, false, false)
	plain.Set("A b", "Warming...")
	plain.Set("A b", "Warming...")
	plain.Set("A b", "Running for 3s...")
	if got := buf.String(); got != "A b: Warming...\nA b: Running for 3s...\n" {
		t.Fatalf("plain progress %q", got)
	}
}
