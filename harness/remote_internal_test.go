package harness

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// failingMarks answers hello but no mark: a control channel lost mid-run.
type failingMarks struct{ h ControlHello }

func (f failingMarks) hello() *ControlHello { c := f.h; return &c }
func (failingMarks) mark(context.Context, int) (*MarkReply, error) {
	return nil, errors.New("gone")
}

// TestRemoteRunWithoutServerFigures runs client workers against a server
// started in this process (a "remote" target): without a control channel,
// and with one whose marks fail, the rows have their figures, no failure,
// and server CPU unknown.
func TestRemoteRunWithoutServerFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	suite, ok := competitors.Lookup("Echo (test)")
	if !ok {
		t.Fatal("test suite not registered")
	}
	var b competitors.Benchmark
	for _, x := range suite.Benchmarks() {
		if x.Scenario.ID == scenarios.IDShortResponse {
			b = x
		}
	}
	opt := Options{Duration: 300 * time.Millisecond, Servers: 1, Clients: 1, Concurrency: 4, Connections: 1, Seed: 5, OpTimeout: 5 * time.Second}
	opt.Normalize()
	srv, err := suite.NewServer(context.Background(), competitors.ServerConfig{Addr: "127.0.0.1:0", Payloads: scenarios.New(5)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, portS, _ := net.SplitHostPort(srv.Addr())
	port, _ := strconv.Atoi(portS)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs := serveControl(ln, testToken, failingMarks{ControlHello{Control: ControlVersion, Version: ToolVersion(), Suite: suite.Name(), Contract: SuiteContract(suite), Seed: 5, Workers: []ControlWorker{{PID: 1}}}})
	defer cs.Close()

	for _, withControl := range []bool{false, true} {
		rt := &RemoteTarget{Host: "127.0.0.1", Port: port}
		if withControl {
			rt.ControlAddr, rt.Token = ln.Addr().String(), testToken
			if err := rt.Connect(context.Background(), suite); err != nil {
				t.Fatal(err)
			}
		}
		ctl := &Controller{Opt: opt, Remote: rt}
		rs, err := ctl.RunBenchmark(context.Background(), suite, b, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := rs[0]
		if r.Count == 0 || r.Errors != 0 || len(r.Failures) > 0 || r.CPU.Server != nil || r.CPU.Client == nil {
			t.Errorf("control %v: count %d errors %d failures %v server CPU %v", withControl, r.Count, r.Errors, r.Failures, r.CPU.Server)
		}
		if withControl && (len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "n/a")) {
			t.Errorf("lost control channel not noted: %v", r.Warnings)
		}
	}
}
