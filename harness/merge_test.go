package harness

import (
	"errors"
	"strings"
	"testing"
)

// mergeRow builds a row with count operations of latency lat (ns).
func mergeRow(t *testing.T, count int64, lat int64, start int64, serverTotal float64) Result {
	t.Helper()
	h := NewHistogram()
	for i := int64(0); i < count; i++ {
		if err := h.RecordValue(lat); err != nil {
			t.Fatal(err)
		}
	}
	enc, err := EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return Result{
		Suite: "S", Benchmark: "B", ClientWorkers: 1, Count: count, QPS: float64(count), WindowStartUnixNs: start, WindowNs: 1e9,
		Latency: Latency{MinNs: lat, MeanNs: lat, MaxNs: lat}, Histogram: enc,
		CPU:       CPUResult{Client: &CPUShare{Total: 50}, Server: &CPUShare{User: serverTotal, Total: serverTotal}, ClientNsPerOp: 1000},
		Delivered: &Delivered{Messages: uint64(count), PerSecond: float64(count)},
		Workers:   []WorkerFigures{{Role: RoleClient, WindowNs: 1e9, CPU: CPUTimes{UserNs: 5e8}, CPUKnown: true, Count: count}, {Role: RoleServer, PID: 7}},
	}
}

func TestMergeReportsFigures(t *testing.T) {
	rep := func(r Result) *Report {
		return &Report{SchemaVersion: SchemaVersion, Config: RunConfig{Mode: ModeClosedLoop, Clients: 1}, Results: []Result{r}}
	}
	a, b := rep(mergeRow(t, 100, 10_000, 0, 20)), rep(mergeRow(t, 300, 50_000, 2e8, 40))
	m, err := MergeReports([]string{"a", "b"}, []*Report{a, b})
	if err != nil {
		t.Fatal(err)
	}
	r := m.Results[0]
	h, _ := DecodeHistogram(r.Histogram)
	switch {
	case r.Count != 400 || h.TotalCount() != 400 || r.QPS != 400 || r.ClientWorkers != 2 || m.Config.Clients != 2:
		t.Errorf("sums: %+v", r)
	case r.Latency.MinNs != 10_000 || r.Latency.MaxNs != 50_000 || r.Latency.MeanNs != 40_000:
		t.Errorf("latency: %+v", r.Latency)
	case r.CPU.Server == nil || r.CPU.Server.Total != 30 || r.Delivered == nil || r.Delivered.PerSecond != 200:
		t.Errorf("server figures are not the mean: %+v %+v", r.CPU.Server, r.Delivered)
	case r.CPU.Client == nil || r.CPU.Client.Total != 50:
		t.Errorf("client CPU: %+v", r.CPU.Client)
	case r.WindowStartUnixNs != 2e8 || r.WindowNs != 8e8:
		t.Errorf("common window: start %d length %d", r.WindowStartUnixNs, r.WindowNs)
	case len(r.Workers) != 3 || r.Workers[1].Index != 1 || r.Workers[2].Role != RoleServer:
		t.Errorf("workers: %+v", r.Workers)
	}
	// Windows that do not overlap: a warning, the sums stand.
	c := rep(mergeRow(t, 10, 10_000, 5e9, 10))
	m, err = MergeReports([]string{"a", "c"}, []*Report{a, c})
	if err != nil || m.Results[0].WindowNs != 0 || len(m.Results[0].Warnings) == 0 || !strings.Contains(m.Results[0].Warnings[0], "overlap") {
		t.Errorf("no overlap: %v %+v", err, m)
	}
	// Refusals.
	d := rep(mergeRow(t, 1, 1000, 0, 0))
	d.Config.Mode = ModeConstantRate
	e := rep(mergeRow(t, 1, 1000, 0, 0))
	e.Results[0].Run = 1
	for name, x := range map[string]*Report{"mode": d, "run": e} {
		if _, err := MergeReports([]string{"a", name}, []*Report{a, x}); !errors.Is(err, ErrMergeMismatch) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := MergeReports([]string{"a"}, []*Report{a}); err == nil {
		t.Error("one file merged")
	}
}
