package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/harness"
)

// runEnv makes the test binary run the CLI with the JSON-encoded arguments
// (TestMain), so that a test can start a server-only process of its own.
const runEnv = "SOCKETY_BENCH_TEST_RUN"

// maybeRunCLI runs the CLI when the test binary was started by
// startCLI; it never returns then.
func maybeRunCLI() {
	v := os.Getenv(runEnv)
	if v == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(v), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(run(args, os.Stdout, os.Stderr, false))
}

// serverOnlyProc is a server-only process started by a test.
type serverOnlyProc struct {
	cmd    *exec.Cmd
	token  string
	cert   string
	out    *bytes.Buffer // stdout after the banner
	stderr *bytes.Buffer
	done   chan error
}

// startServerOnly starts "sockety-bench --server-only args" (the test
// binary), prefixed by wrap (e.g. ip netns exec NS), and waits for its banner.
func startServerOnly(t *testing.T, wrap []string, args ...string) *serverOnlyProc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(append([]string{"--server-only"}, args...))
	argv := append(append([]string{}, wrap...), exe)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), runEnv+"="+string(js))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serverOnlyProc{cmd: cmd, out: &bytes.Buffer{}, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	banner := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ready := false
		for sc.Scan() {
			line := sc.Text()
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "Token:":
				p.token = f[1]
			case strings.HasPrefix(strings.TrimSpace(line), "TLS certificate:") && len(f) > 2:
				p.cert = f[2]
			case strings.HasPrefix(line, "Running until interrupted"):
				ready = true
				banner <- nil
			}
			if ready {
				p.out.WriteString(line + "\n")
			}
		}
		if !ready {
			banner <- fmt.Errorf("server-only ended before its banner")
		}
		p.done <- cmd.Wait()
	}()
	select {
	case err := <-banner:
		if err != nil {
			t.Fatalf("%v; stderr: %s", err, p.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("no banner from server-only within 60s; stderr: %s", p.stderr.String())
	}
	return p
}

// stop sends SIGTERM and checks a clean exit.
func (p *serverOnlyProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err // for Cleanup
		if err != nil {
			t.Errorf("server-only exit: %v; stderr: %s", err, p.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Errorf("server-only did not stop within 30s of SIGTERM")
	}
}

// freeTCPPorts returns n distinct free loopback ports.
func freeTCPPorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

func readJSONReport(t *testing.T, path string) *harness.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := harness.ReadReport(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkClean checks every row completed operations without errors.
func checkClean(t *testing.T, rep *harness.Report, wantServerCPU bool) {
	t.Helper()
	if len(rep.Results) == 0 {
		t.Fatal("no results")
	}
	for _, r := range rep.Results {
		name := r.Suite + " " + harness.RowName(r)
		if r.Count == 0 || r.Errors != 0 || len(r.Failures) > 0 {
			t.Errorf("%s: count %d errors %d failures %v samples %v", name, r.Count, r.Errors, r.Failures, r.ErrorSamples)
		}
		if (r.CPU.Server != nil) != wantServerCPU {
			t.Errorf("%s: server CPU %v, want known=%v", name, r.CPU.Server, wantServerCPU)
		}
		if wantServerCPU && r.OneWay && r.Part == "" && r.Kind != "heartbeat" && r.Delivered == nil {
			t.Errorf("%s: one-way row without delivered", name)
		}
	}
}

// TestRemoteLoopback runs a server-only process and remote clients on
// loopback: a full short Sockety TLS suite verified with the generated
// certificate (--ca) and server CPU from the control channel; a wrong or
// missing token; two clients at once merged.
func TestRemoteLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ports := freeTCPPorts(t, 2)
	port, cport := strconv.Itoa(ports[0]), strconv.Itoa(ports[1])
	srv := startServerOnly(t, nil, "-p", port, "--control-port", cport, "-s", "2", "-f", "sockety tls")
	if len(srv.token) != 32 || srv.cert == "" {
		t.Fatalf("banner without token or certificate: token %q cert %q", srv.token, srv.cert)
	}
	dir := t.TempDir()
	client := func(out, filter string, extra ...string) (int, string, string) {
		args := append([]string{"-r", "127.0.0.1", "-p", port, "--control-port", cport, "-f", filter, "-w", "200ms",
			"-t", "1s", "-c", "1", "-cc", "2", "-cn", "1", "--op-timeout", "20s"}, extra...)
		if out != "" {
			args = append(args, "--json", filepath.Join(dir, out))
		}
		var o, e bytes.Buffer
		code := run(args, &o, &e, false)
		return code, o.String(), e.String()
	}

	t.Run("full suite", func(t *testing.T) {
		code, out, errOut := client("full.json", "sockety tls", "--token", srv.token, "--ca", srv.cert)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		for _, want := range []string{"Remote server: 127.0.0.1", "Port: " + port, "token accepted; 2 server workers"} {
			if !strings.Contains(out, want) {
				t.Errorf("header lacks %q:\n%s", want, out)
			}
		}
		rep := readJSONReport(t, filepath.Join(dir, "full.json"))
		checkClean(t, rep, true)
		if rep.Config.Remote != "127.0.0.1" || rep.Results[0].ServerWorkers != 2 {
			t.Errorf("config remote %q, server workers %d", rep.Config.Remote, rep.Results[0].ServerWorkers)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		for _, tok := range []string{"0123456789abcdef", srv.token[:31] + "x", srv.token + "0"} {
			code, out, errOut := client("", "sockety tls heartbeat", "--token", tok, "--ca", srv.cert)
			if code != 2 || !strings.Contains(errOut, "refused the token") {
				t.Fatalf("token %q: exit %d\n%s\n%s", tok, code, out, errOut)
			}
			if strings.Contains(errOut, "Sockety") {
				t.Errorf("a refused client learnt the suite: %s", errOut)
			}
		}
		// Raw requests: whatever is wrong, the answer is the same line.
		for _, req := range []string{`{"op":"hello"}`, `{"op":"hello","token":""}`, `{"op":"mark","token":"nope-nope"}`, `garbage`, `{"op":"hello","token":"` + srv.token + `","extra":1}`} {
			if got := rawControl(t, "127.0.0.1:"+cport, req+"\n"); got != `{"error":"unauthorized"}` {
				t.Errorf("%s -> %q", req, got)
			}
		}
		if got := rawControl(t, "127.0.0.1:"+cport, `{"op":"hello","token":"`+srv.token+`"}`+"\n"); !strings.Contains(got, `"suite":"Sockety TLS"`) {
			t.Errorf("right token: %q", got)
		}
		if got := rawControl(t, "127.0.0.1:"+cport, strings.Repeat("x", harness.MaxControlRequest+10)+"\n"); got != "" {
			t.Errorf("oversized request answered: %q", got)
		}
	})
	t.Run("no token", func(t *testing.T) {
		code, out, errOut := client("notoken.json", "sockety tls short", "--insecure")
		if code != 0 || !strings.Contains(errOut, "no --token") || !strings.Contains(errOut, "--insecure") || !strings.Contains(out, "Control port: none") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		checkClean(t, readJSONReport(t, filepath.Join(dir, "notoken.json")), false)
	})
	t.Run("unverified certificate refused", func(t *testing.T) {
		code, out, _ := client("", "sockety tls short", "--token", srv.token)
		if code != 1 || !strings.Contains(out, "certificate") {
			t.Fatalf("exit %d without --ca (want a verification failure)\n%s", code, out)
		}
	})
	t.Run("merge of two clients", func(t *testing.T) {
		codes := make(chan string, 2)
		for _, name := range []string{"a.json", "b.json"} {
			go func(name string) {
				code, out, errOut := client(name, "sockety tls short", "--token", srv.token, "--ca", srv.cert, "-f", "sockety tls regular", "-t", "1s")
				if code != 0 {
					codes <- fmt.Sprintf("%s: exit %d\n%s\n%s", name, code, out, errOut)
					return
				}
				codes <- ""
			}(name)
		}
		for i := 0; i < 2; i++ {
			if msg := <-codes; msg != "" {
				t.Fatal(msg)
			}
		}
		a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
		m := filepath.Join(dir, "merged.json")
		var o, e bytes.Buffer
		if code := run([]string{"merge", "--json", m, a, b}, &o, &e, false); code != 0 {
			t.Fatalf("merge exit %d\n%s\n%s", code, o.String(), e.String())
		}
		if !strings.Contains(o.String(), "Short response (code)") || !strings.Contains(o.String(), "Merged 2 results") {
			t.Errorf("merged table:\n%s", o.String())
		}
		checkMerged(t, readJSONReport(t, a), readJSONReport(t, b), readJSONReport(t, m))
	})
	// The server workers' PIDs, from the control channel, to check they
	// are gone after SIGTERM.
	var hello struct {
		Hello harness.ControlHello `json:"hello"`
	}
	if err := json.Unmarshal([]byte(rawControl(t, "127.0.0.1:"+cport, `{"op":"hello","token":"`+srv.token+`"}`+"\n")), &hello); err != nil || len(hello.Hello.Workers) != 2 {
		t.Fatalf("hello: %v %+v", err, hello)
	}
	srv.stop(t)
	if !strings.Contains(srv.out.String(), "every server worker is gone") {
		t.Errorf("server-only output after stop: %s", srv.out.String())
	}
	for _, w := range hello.Hello.Workers {
		if err := syscall.Kill(w.PID, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("server worker %d still exists after the server-only process stopped (%v)", w.PID, err)
		}
	}
}

// checkMerged checks a merge adds up the two files exactly.
func checkMerged(t *testing.T, a, b, m *harness.Report) {
	t.Helper()
	if len(m.Results) != len(a.Results) || len(a.Results) == 0 {
		t.Fatalf("merged rows %d, inputs %d", len(m.Results), len(a.Results))
	}
	for i, r := range m.Results {
		ra, rb := a.Results[i], b.Results[i]
		if r.Count != ra.Count+rb.Count || r.Errors != ra.Errors+rb.Errors {
			t.Errorf("%s: count %d+%d -> %d", r.Benchmark, ra.Count, rb.Count, r.Count)
		}
		if d := r.QPS - (ra.QPS + rb.QPS); d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: QPS %v+%v -> %v", r.Benchmark, ra.QPS, rb.QPS, r.QPS)
		}
		h, err := harness.DecodeHistogram(r.Histogram)
		if err != nil {
			t.Fatal(err)
		}
		ha, _ := harness.DecodeHistogram(ra.Histogram)
		hb, _ := harness.DecodeHistogram(rb.Histogram)
		if h.TotalCount() != ha.TotalCount()+hb.TotalCount() || h.TotalCount() != r.Count {
			t.Errorf("%s: histogram total %d, inputs %d+%d, count %d", r.Benchmark, h.TotalCount(), ha.TotalCount(), hb.TotalCount(), r.Count)
		}
		if r.ClientWorkers != ra.ClientWorkers+rb.ClientWorkers || r.Latency.MinNs != min(ra.Latency.MinNs, rb.Latency.MinNs) || r.Latency.MaxNs != max(ra.Latency.MaxNs, rb.Latency.MaxNs) {
			t.Errorf("%s: workers %d, latency %+v from %+v and %+v", r.Benchmark, r.ClientWorkers, r.Latency, ra.Latency, rb.Latency)
		}
		if r.WindowNs <= 0 {
			t.Errorf("%s: no common window (%v)", r.Benchmark, r.Warnings)
		}
	}
}

// rawControl sends one raw request to a control port and returns the reply
// line without its newline ("" when the server closed without answering).
func rawControl(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	_, _ = io.WriteString(c, req)
	b, _ := io.ReadAll(io.LimitReader(c, 1<<20))
	return strings.TrimSuffix(string(b), "\n")
}

// TestMergeRefusesMismatch: different benchmarks or schema versions are
// refused with a clear message (exit 2).
func TestMergeRefusesMismatch(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rep *harness.Report) string {
		p := filepath.Join(dir, name)
		if err := rep.WriteJSONFile(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	h := harness.NewHistogram()
	enc, _ := harness.EncodeHistogram(h)
	row := func(suite, bench string) harness.Result {
		return harness.Result{Suite: suite, Benchmark: bench, Histogram: enc}
	}
	base := &harness.Report{SchemaVersion: harness.SchemaVersion, Config: harness.RunConfig{Mode: harness.ModeClosedLoop}}
	a := *base
	a.Results = []harness.Result{row("Sockety", "Heartbeat")}
	b := *base
	b.Results = []harness.Result{row("HTTP/1", "Heartbeat")}
	c := *base
	c.Results = []harness.Result{row("Sockety", "Heartbeat"), row("Sockety", "Mixed")}
	d := a
	d.SchemaVersion = harness.SchemaVersion + 1
	pa, pb, pc, pd := write("a.json", &a), write("b.json", &b), write("c.json", &c), write("d.json", &d)
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{pa, pb}, "ran different benchmarks"},
		{[]string{pa, pc}, "ran different benchmarks"},
		{[]string{pa, pd}, "schema_version"},
	} {
		var o, e bytes.Buffer
		code := run(append([]string{"merge"}, tc.files...), &o, &e, false)
		if code != 2 || !strings.Contains(e.String(), tc.want) {
			t.Errorf("%v: exit %d, %q", tc.files, code, e.String())
		}
	}
	var o, e bytes.Buffer
	if code := run([]string{"merge", pa, pa}, &o, &e, false); code != 0 {
		t.Errorf("same file twice: exit %d %s", code, e.String())
	}
}
