package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/harness/harnesstest"
)

// TestMain lets the test binary serve as the CLI's worker processes.
func TestMain(m *testing.M) {
	harnesstest.Register()
	harness.MaybeRunWorker()
	maybeRunCLI() // remote_test.go: server-only processes
	os.Exit(m.Run())
}

func TestParseDefaults(t *testing.T) {
	c, err := parseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config{Duration: 5 * time.Second, Servers: 1, Clients: 2, Concurrency: 250, Connections: 2, ClientGOGC: DefaultClientGOGC, ClientGODEBUG: DefaultClientGODEBUG}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults %+v", c)
	}
	if c, _ := parseArgs([]string{"-s", "3"}); c.Clients != 6 {
		t.Fatalf("clients default is not servers × 2: %d", c.Clients)
	}
	if c, _ := parseArgs([]string{"-s", "3", "-c", "1"}); c.Clients != 1 {
		t.Fatalf("explicit clients overridden: %d", c.Clients)
	}
}

func TestParseEveryFlag(t *testing.T) {
	short := []string{"-t", "3s", "-s", "2", "-c", "4", "-cc", "300", "-cn", "3", "-w", "1000", "-f", "sockety", "-f", "http heartbeat",
		"-e", "tls", "-p", "41455", "--json", "out.json", "--list", "--no-color", "--rate", "1500.5", "--verify",
		"--server-procs", "1", "--client-procs", "2", "--op-timeout", "2s", "--seed", "7", "--client-gogc", "0", "--client-godebug", ""}
	long := []string{"--time=3s", "--servers=2", "--clients=4", "--concurrency=300", "--connections=3", "--warming=1s",
		"--filter=sockety", "--filter", "http heartbeat", "--exclude=tls", "--port=41455", "-json", "out.json", "-list", "-no-color",
		"-rate=1500.5", "-verify", "-server-procs=1", "-client-procs=2", "-op-timeout=2000", "-seed=7", "-client-gogc=0", "-client-godebug="}
	want := config{Duration: 3 * time.Second, Servers: 2, Clients: 4, Concurrency: 300, Connections: 3, Warming: time.Second,
		Filters: []string{"sockety", "http heartbeat"}, Excludes: []string{"tls"}, Port: 41455, JSON: "out.json", List: true,
		NoColor: true, Rate: 1500.5, Verify: true, ServerProcs: 1, ClientProcs: 2, OpTimeout: 2 * time.Second, Seed: 7}
	for _, args := range [][]string{short, long} {
		c, err := parseArgs(args)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c, want) {
			t.Fatalf("%v\n got %+v\nwant %+v", args, c, want)
		}
	}
	c, err := parseArgs([]string{"-r", "192.0.2.1", "-p", "1", "--token", "0123456789", "--ca", "ca.pem"})
	if err != nil || c.Remote != "192.0.2.1" || c.Port != 1 || c.Token != "0123456789" || c.CA != "ca.pem" {
		t.Fatalf("remote flags: %+v %v", c, err)
	}
	c, err = parseArgs([]string{"--server-only", "-p", "1", "--control-port", "9", "--cert", "c.pem", "--key", "k.pem"})
	if err != nil || !c.ServerOnly || c.Port != 1 || c.ControlPort != 9 || c.Cert != "c.pem" || c.Key != "k.pem" {
		t.Fatalf("server-only flags: %+v %v", c, err)
	}
	if c, err := parseArgs([]string{"--remote", "h", "--port", "2"}); err != nil || c.Remote != "h" {
		t.Fatalf("--remote: %+v %v", c, err)
	}
	for _, h := range []string{"-h", "--help", "-help"} {
		if _, err := parseArgs([]string{h}); err != errHelp {
			t.Errorf("%s: %v", h, err)
		}
	}
	if c, _ := parseArgs([]string{"-t", "500ms", "-w", "0"}); c.Duration != 500*time.Millisecond || c.Warming != 0 {
		t.Errorf("durations: %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string][]string{
		"time":                    {"-t", "0"},
		"time unit":               {"-t", "5 parsecs"},
		"time neg":                {"--time", "-1s"},
		"warming":                 {"-w", "-5"},
		"servers":                 {"-s", "0"},
		"servers big":             {"-s", "100000"},
		"servers text":            {"-s", "two"},
		"clients":                 {"-c", "0"},
		"concurrency":             {"-cc", "0"},
		"connections":             {"-cn", "-1"},
		"port":                    {"-p", "70000"},
		"port zero":               {"-p", "0"},
		"rate":                    {"--rate", "-3"},
		"rate nan":                {"--rate", "NaN"},
		"unknown":                 {"--bogus"},
		"positional":              {"sockety"},
		"remote empty":            {"-r", " ", "-p", "1"},
		"remote port":             {"-r", "host"},
		"json empty":              {"--json", ""},
		"filter empty":            {"-f", "  "},
		"missing arg":             {"-t"},
		"procs":                   {"--client-procs", "-1"},
		"client gogc":             {"--client-gogc", "-1"},
		"client gogc big":         {"--client-gogc", "2000000"},
		"client godebug no value": {"--client-godebug", "schedtrace"},
		"client godebug space":    {"--client-godebug", "a=1, b=2"},
		"client godebug no name":  {"--client-godebug", "=1"},
		"remote and server-only":  {"-r", "h", "-p", "1", "--server-only"},
		"server-only port":        {"--server-only"},
		"control port":            {"--server-only", "-p", "1", "--control-port", "70000"},
		"cert without key":        {"--server-only", "-p", "1", "--cert", "c.pem"},
		"cert on client":          {"-r", "h", "-p", "1", "--cert", "c", "--key", "k"},
		"ca and insecure":         {"-r", "h", "-p", "1", "--ca", "c", "--insecure"},
		"ca without remote":       {"--ca", "c"},
		"token short":             {"-r", "h", "-p", "1", "--token", "abc"},
		"token local":             {"--token", "0123456789"},
		"no-control on client":    {"-r", "h", "-p", "1", "--no-control"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseArgs(args)
			if _, ok := err.(*usageError); !ok {
				t.Fatalf("%v: got %v, want a usage error", args, err)
			}
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut, false); code != 2 {
				t.Fatalf("exit %d, want 2 (%s)", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), "sockety-bench:") {
				t.Fatalf("no clear message: %q", errOut.String())
			}
		})
	}
}

// TestRemoteModesNeedOneSuite: --server-only and --remote refuse a
// selection of no suite or of several suites (exit 2, clear message), and
// merge wants two files.
func TestRemoteModesNeedOneSuite(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--server-only", "-p", "4000"}, "runs one suite, but"},
		{[]string{"--server-only", "-p", "4000", "-f", "nothing-matches-this"}, "no suite matches"},
		{[]string{"-r", "192.0.2.1", "-p", "4000"}, "runs one suite, but"},
		{[]string{"-r", "192.0.2.1", "-p", "4000", "-f", "nothing-matches-this"}, "no suite matches"},
		{[]string{"merge", "a.json"}, "want two or more result files"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut, false); code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut.String())
		}
	}
}

func TestHelpAndList(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut, false); code != 0 || !strings.Contains(out.String(), "--concurrency") {
		t.Fatalf("help: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"--list", "-f", "echo heartbeat", "-f", "crash short"}, &out, &errOut, false); code != 0 {
		t.Fatalf("list exit %d: %s", code, errOut.String())
	}
	want := "Echo (test) (servers share a port)\n  Heartbeat                            heartbeat\n" +
		"Crash (test) (one server worker)\n  Short response (code)                short-response\n"
	if out.String() != want {
		t.Fatalf("list:\n%s\nwant:\n%s", out.String(), want)
	}
	errOut.Reset()
	if code := run([]string{"--list", "-f", "nothing matches this"}, &out, &errOut, false); code != 1 || !strings.Contains(errOut.String(), "No matching") {
		t.Fatalf("empty list: %d %q", code, errOut.String())
	}
}

// TestEndToEnd runs the CLI with real worker processes (this test binary) and
// checks the tables, the progress lines and the --json file.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	var out, errOut bytes.Buffer
	args := []string{"-t", "300ms", "-w", "100ms", "-s", "2", "-c", "2", "-cc", "4", "-cn", "1", "--verify",
		"-f", "echo short", "-f", "echo no response", "-f", "echo mixed", "--json", jsonPath}
	start := time.Now()
	code := run(args, &out, &errOut, false)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if time.Since(start) > time.Minute {
		t.Errorf("took %v", time.Since(start))
	}
	o := out.String()
	t.Logf("stdout:\n%s", o)
	for _, want := range []string{"Go version:", "GOMAXPROCS:", "GOGC: client 400", "GODEBUG: client schedtrace=2147483647", "Server workers: 2", "Connections: 2 × 1 (2)", "Concurrency: 2 × 4 (8)",
		"Duration: 300ms", "Warming time: 100ms", " Echo (test)", "CPU%/client", "each server", "Short response (code)", "No response",
		"Mixed: Short response (code)", "Mixed: 4MB data (memory)", "100.00%"} {
		if !strings.Contains(o, want) {
			t.Errorf("stdout lacks %q:\n%s", want, o)
		}
	}
	if strings.Contains(o, "\033[") {
		t.Error("colours on a non-terminal")
	}
	for _, want := range []string{"Starting server workers...", "Preparing client workers...", "Warming...", "Running",
		"Echo (test) Mixed: 4MB data (memory): done, "} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, errOut.String())
		}
	}
	if n := countWorkers(t); n != 0 {
		t.Fatalf("%d worker processes left", n)
	}
	f, err := os.Open(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := harness.ReadReport(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 4 || rep.Config.Servers != 2 || rep.Config.GOMAXPROCS.Server == 0 || rep.Config.ClientGOGC != DefaultClientGOGC || rep.Config.ClientGODEBUG != DefaultClientGODEBUG || rep.Environment.GoVersion == "" {
		t.Fatalf("report: %d results, config %+v", len(rep.Results), rep.Config)
	}
	for _, r := range rep.Results {
		if r.Count == 0 || r.Errors != 0 || len(r.Failures) > 0 || r.ServerWorkers != 2 {
			t.Errorf("%s: count %d errors %d failures %v servers %d", harness.RowName(r), r.Count, r.Errors, r.Failures, r.ServerWorkers)
		}
	}
}

// TestEndToEndServerFailure: a server that dies mid-run gives errors, a
// bounded run and exit status 1.
func TestEndToEndServerFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	var out, errOut bytes.Buffer
	start := time.Now()
	code := run([]string{"-t", "1s", "-c", "1", "-cc", "4", "-cn", "1", "-f", "crash short", "--op-timeout", "500ms"}, &out, &errOut, false)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errOut.String())
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if !strings.Contains(out.String(), "Failed") || !strings.Contains(out.String(), "died during the run") {
		t.Errorf("table does not report the failure:\n%s", out.String())
	}
	if n := countWorkers(t); n != 0 {
		t.Fatalf("%d worker processes left", n)
	}
}

// TestInterrupt: cancelling the context (Ctrl-C) ends the run with 130 and
// no worker left behind.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg, err := parseArgs([]string{"-t", "30s", "-c", "1", "-cc", "2", "-cn", "1", "-f", "echo 1mb file fs"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	sel := harness.Select(allSuites(), cfg.Filters, cfg.Excludes)
	if code := bench(ctx, cfg, sel, &out, &errOut, false); code != 130 {
		t.Fatalf("exit %d, want 130", code)
	}
	if time.Since(start) > 15*time.Second {
		t.Fatalf("interrupt took %v", time.Since(start))
	}
	if n := countWorkers(t); n != 0 {
		t.Fatalf("%d worker processes left", n)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Fatalf("payload files left behind after an interrupt: %v", left)
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("-t 1s -cc 10 -f sockety")
	f.Add("--time=5 --rate=1e9 -p 65535")
	f.Add("-w -1s --json")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := parseArgs(strings.Fields(line))
		if err != nil {
			return
		}
		if c.Duration <= 0 || c.Servers < 1 || c.Clients < 1 || c.Concurrency < 1 || c.Connections < 1 || c.Warming < 0 || c.Rate < 0 {
			t.Fatalf("accepted invalid config %+v from %q", c, line)
		}
	})
}
