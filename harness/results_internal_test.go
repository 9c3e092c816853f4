package harness

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// fakeEndpoint stands for a worker in tests of the controller's arithmetic.
type fakeEndpoint struct{ name string }

func (f *fakeEndpoint) Name() string { return f.name }
func (f *fakeEndpoint) PID() int     { return 0 }
func (f *fakeEndpoint) Procs() int   { return 1 }
func (f *fakeEndpoint) Call(context.Context, request, time.Duration) (reply, error) {
	return reply{}, nil
}
func (f *fakeEndpoint) Stop(context.Context) (*StopReply, error) { return nil, nil }
func (f *fakeEndpoint) Kill()                                    {}
func (f *fakeEndpoint) Done() <-chan struct{}                    { return nil }
func (f *fakeEndpoint) Exited() bool                             { return false }
func (f *fakeEndpoint) ExitError() error                         { return nil }

func histOf(t *testing.T, vals ...int64) string {
	t.Helper()
	h := NewHistogram()
	for _, v := range vals {
		_ = h.RecordValue(v)
	}
	s, err := EncodeHistogram(h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestResultsArithmetic(t *testing.T) {
	sc, _ := scenarios.ByID(scenarios.IDNoResponse)
	b := competitors.Benchmark{Name: "No response", Scenario: sc}
	c1, c2, s1 := &fakeEndpoint{"client 0"}, &fakeEndpoint{"client 1"}, &fakeEndpoint{"server 0"}
	sec := int64(time.Second)
	st := &benchState{
		clients: []endpoint{c1, c2}, servers: []endpoint{s1}, died: map[endpoint]bool{},
		parts: []PartReady{{Name: "No response", ScenarioID: sc.ID, Concurrency: 10}},
		markA: map[endpoint]*MarkReply{
			c1: {MonoNs: 0, UnixNs: 1000, CPU: CPUTimes{UserNs: 5e8, SystemNs: 0}},
			c2: {MonoNs: 10, UnixNs: 900, CPU: CPUTimes{}},
			s1: {MonoNs: 0, CPU: CPUTimes{UserNs: 1e9}, Counters: &competitors.ServerCounters{Messages: 100, Bytes: 1000}},
		},
		markB: map[endpoint]*MarkReply{
			// client 0: 2 s window, 1000 ok + 10 errors, 1.5 s user CPU.
			c1: {MonoNs: 2 * sec, CPU: CPUTimes{UserNs: 2e9, SystemNs: 5e8},
				Parts: []PartStats{{Count: 1000, Errors: 10, SumNs: 1000 * 2000, MinNs: 1000, MaxNs: 3000,
					Histogram: histOf(t, 1000, 2000, 3000), ErrorLogs: []ErrorSample{{"x", 10}}}}},
			// client 1: 1 s window, 500 ok.
			c2: {MonoNs: 10 + sec, CPU: CPUTimes{UserNs: 5e8, SystemNs: 5e8},
				Parts: []PartStats{{Count: 500, SumNs: 500 * 4000, MinNs: 4000, MaxNs: 5000, Histogram: histOf(t, 4000, 5000)}}},
			s1: {MonoNs: 2 * sec, CPU: CPUTimes{UserNs: 2e9, SystemNs: 1e9}, Counters: &competitors.ServerCounters{Messages: 1600, Bytes: 9000}},
		},
	}
	ctl := &Controller{Opt: Options{Servers: 1, Clients: 2, Concurrency: 10}}
	rs := ctl.results(fakeSuite{name: "S"}, b, 0, st, 0)
	if len(rs) != 1 {
		t.Fatalf("%d results", len(rs))
	}
	r := rs[0]
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if r.Count != 1500 || r.Errors != 10 {
		t.Errorf("count %d errors %d", r.Count, r.Errors)
	}
	near("qps", r.QPS, 1000.0/2+500.0/1)
	near("success", r.SuccessRatio, 1500.0/1510)
	if r.Latency.MinNs != 1000 || r.Latency.MaxNs != 5000 || r.Latency.MeanNs != (1000*2000+500*4000)/1500 {
		t.Errorf("latency %+v", r.Latency)
	}
	if r.WindowNs != (2*sec+sec)/2 || r.WindowStartUnixNs != 900 {
		t.Errorf("window %d start %d", r.WindowNs, r.WindowStartUnixNs)
	}
	// Clients used 1.5+0.5 s user and 0.5+0.5 s system over a mean 1.5 s window, 2 workers.
	near("client usr", r.CPU.Client.User, 100*2.0/(1.5*2))
	near("client sys", r.CPU.Client.System, 100*1.0/(1.5*2))
	near("client ns/op", r.CPU.ClientNsPerOp, 3e9/1510)
	near("server usr", r.CPU.Server.User, 100*1.0/2)
	near("server sys", r.CPU.Server.System, 100*1.0/2)
	if r.Delivered == nil || r.Delivered.Messages != 1500 || r.Delivered.Bytes != 8000 {
		t.Fatalf("delivered %+v", r.Delivered)
	}
	near("delivered/s", r.Delivered.PerSecond, 750)
	if len(r.ErrorSamples) != 1 || r.ErrorSamples[0].Count != 10 || len(r.Workers) != 3 {
		t.Errorf("samples %v workers %v", r.ErrorSamples, r.Workers)
	}

	// A dead server: no end mark => server CPU and delivered unknown.
	delete(st.markB, s1)
	r = ctl.results(fakeSuite{name: "S"}, b, 0, st, 0)[0]
	if r.CPU.Server != nil || r.Delivered != nil || r.CPU.Client == nil {
		t.Errorf("dead server: cpu %+v delivered %+v", r.CPU, r.Delivered)
	}
	// Constant rate: target and achieved.
	ctl.Opt.Rate = 400
	r = ctl.results(fakeSuite{name: "S"}, b, 0, st, 0)[0]
	if r.Rate == nil {
		t.Fatal("no rate info")
	}
	near("target", r.Rate.Target, 800)
	near("achieved", r.Rate.Achieved, 1010.0/2+500)
	near("shortfall", r.Rate.ShortfallPct, 100*(800-1005.0)/800)
}
