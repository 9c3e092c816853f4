package main

import (
	"bytes"
	"encoding/json"
	"errors"
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

// TestNetworkCut runs a remote client in one network namespace against a
// server-only process in another and sets the server's end of the veth
// pair down in the middle of the measured window: packets then vanish with
// neither RST nor FIN. The run must end within a bounded time with the
// failed operations counted, exit status 1, no client worker process (or
// process group) left, no file left in its TMPDIR, and the namespaces
// deleted. Two cases: request/response with a short --op-timeout (the
// operations time out inside the window: errors), and one-way 1 MiB data
// with the default --op-timeout (60 s: the operations hang past the window;
// the drain after it counts them as unfinished).
func TestNetworkCut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, tc := range []struct {
		name, filter string
		extra        []string
		windowErrors bool // operations time out inside the window
	}{
		{"short response", "sockety short", []string{"--op-timeout", "2s"}, true},
		{"1mb data", "sockety 1mb data memory", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testNetworkCut(t, tc.filter, tc.extra, tc.windowErrors)
		})
	}
}

func testNetworkCut(t *testing.T, filter string, extra []string, windowErrors bool) {
	n := newNetnsPair(t)
	// Fixed ports are fine: the namespaces are new and empty.
	srv := startServerOnly(t, []string{n.ipPath, "netns", "exec", n.nsS}, "-p", "41455", "-f", "sockety", "-e", "tls")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "cut.json")
	args := append([]string{"-r", netnsServerIP, "-p", "41455", "-f", filter, "-e", "tls", "-w", "200ms", "-t", "8s",
		"-c", "1", "-cc", "8", "-cn", "2", "--token", srv.token, "--json", jsonPath}, extra...)
	js, _ := json.Marshal(args)
	cmd := exec.Command(n.ipPath, "netns", "exec", n.nsC, exe)
	cmd.Env = append(os.Environ(), runEnv+"="+string(js), "TMPDIR="+tmp)
	var out bytes.Buffer
	errOut := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &out, errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		done <- nil
	})
	// ip netns exec execs the binary: cmd.Process is the client process,
	// and its worker children are recorded while it runs.
	seen := map[int]bool{}
	note := func() {
		workers, _ := workerChildren(cmd.Process.Pid, "")
		for _, p := range workers {
			seen[p] = true
		}
	}
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(errOut.String(), "Running for"); {
		note()
		if time.Now().After(deadline) {
			t.Fatalf("the window never started\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	note()
	time.Sleep(2 * time.Second) // inside the 8 s window
	note()
	cut := time.Now()
	if err := n.ip("-n", n.nsS, "link", "set", n.vS, "down"); err != nil {
		t.Fatal(err)
	}
	// The end is bounded by the rest of the window (6 s), the control
	// channel's mark (10 s), the drain (10 s) and the stop (20 s); the
	// bound is generous for a loaded machine.
	const bound = 3 * time.Minute
	var exitErr error
	select {
	case exitErr = <-done:
		done <- exitErr // for Cleanup
	case <-time.After(bound):
		t.Fatalf("run still going %v after the cut\n%s\n%s", bound, out.String(), errOut.String())
	}
	t.Logf("ended %v after the cut: %v\nstdout:\n%s", time.Since(cut).Round(time.Millisecond), exitErr, out.String())
	var ee *exec.ExitError
	if !errors.As(exitErr, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit %v, want status 1\n%s", exitErr, errOut.String())
	}
	if len(seen) == 0 {
		t.Error("no client worker seen")
	}
	for p := range seen {
		// Workers lead their own process group: none of it may be left.
		if err := syscall.Kill(-p, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("client worker process group %d still exists (%v)", p, err)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("files left behind in TMPDIR: %v", left)
	}
	rep := readJSONReport(t, jsonPath)
	if len(rep.Results) != 1 {
		t.Fatalf("%d rows, want 1", len(rep.Results))
	}
	r := rep.Results[0]
	if r.Drain == nil {
		t.Fatal("no drain figures")
	}
	lost := r.Drain.Failed + r.Drain.Unfinished
	if r.Count == 0 || lost == 0 || r.Drain.Completed != 0 || r.Drain.LastOK != 0 || len(r.Failures) == 0 {
		t.Errorf("count %d errors %d drain %+v failures %v", r.Count, r.Errors, *r.Drain, r.Failures)
	}
	if !strings.Contains(out.String(), "window's end") {
		t.Errorf("the table does not say what happened at the window's end:\n%s", out.String())
	}
	if windowErrors && (r.Errors == 0 || !strings.Contains(out.String(), "Failed ")) {
		t.Errorf("errors %d (samples %v): operations timed out inside the window but are not counted", r.Errors, r.ErrorSamples)
	}
	srv.stop(t)
}

// TestRemoteServerKilled kills (SIGKILL) the server-only process in the
// middle of a remote run on loopback: the client's run ends within a
// bounded time with the errors counted, a failure and exit status 1, and
// no worker of the client left.
func TestRemoteServerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ports := freeTCPPorts(t, 2)
	port, cport := strconv.Itoa(ports[0]), strconv.Itoa(ports[1])
	srv := startServerOnly(t, nil, "-p", port, "--control-port", cport, "-f", "sockety", "-e", "tls")
	// The server workers' PIDs, to make sure none outlives the test.
	var hello struct {
		Hello harness.ControlHello `json:"hello"`
	}
	if err := json.Unmarshal([]byte(rawControl(t, "127.0.0.1:"+cport, `{"op":"hello","token":"`+srv.token+`"}`+"\n")), &hello); err != nil || len(hello.Hello.Workers) == 0 {
		t.Fatalf("hello: %v %+v", err, hello)
	}
	t.Cleanup(func() {
		for _, w := range hello.Hello.Workers {
			_ = syscall.Kill(-w.PID, syscall.SIGKILL)
		}
	})
	dir := t.TempDir()
	var out bytes.Buffer
	errOut := &lockedBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"-r", "127.0.0.1", "-p", port, "--control-port", cport, "-f", "sockety short", "-e", "tls",
			"-w", "200ms", "-t", "8s", "-c", "1", "-cc", "8", "-cn", "2", "--op-timeout", "20s", "--token", srv.token,
			"--json", filepath.Join(dir, "killed.json")}, &out, errOut, false)
	}()
	for deadline := time.Now().Add(2 * time.Minute); !strings.Contains(errOut.String(), "Running for"); {
		if time.Now().After(deadline) {
			t.Fatalf("the window never started\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // inside the 8 s window
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 1 {
			t.Errorf("exit %d, want 1\n%s\n%s", c, out.String(), errOut.String())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("run still going 3 minutes after the server was killed\n%s", errOut.String())
	}
	t.Logf("stdout:\n%s", out.String())
	if n := countWorkers(t); n != 0 {
		t.Errorf("%d worker processes left", n)
	}
	rep := readJSONReport(t, filepath.Join(dir, "killed.json"))
	r := rep.Results[0]
	if r.Count == 0 || r.Errors == 0 || r.Drain == nil || r.Drain.LastOK != 0 || len(r.Failures) == 0 {
		t.Errorf("count %d errors %d drain %+v failures %v", r.Count, r.Errors, r.Drain, r.Failures)
	}
	if !strings.Contains(out.String(), "Failed ") || !strings.Contains(out.String(), "window's end") {
		t.Errorf("the table does not show the errors and the lost server:\n%s", out.String())
	}
}
