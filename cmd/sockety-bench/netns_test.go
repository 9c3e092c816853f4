package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Addresses of the two namespaces: TEST-NET-1 (RFC 5737, documentation
// only), which exists only inside the namespaces this test creates.
const (
	netnsServerIP = "192.0.2.1"
	netnsClientIP = "192.0.2.2"
)

// TestRemoteAcrossNamespaces runs a server-only process in one network
// namespace and the remote client in another, joined by a veth pair, as two
// hosts would be: a short Sockety suite must complete with zero errors and
// server CPU from the control channel. It skips when not root or when
// ip netns is unavailable (.ci/run runs as root and installs iproute2).
func TestRemoteAcrossNamespaces(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	n := newNetnsPair(t)
	ipPath := n.ipPath
	nsS, nsC := n.nsS, n.nsC
	// Fixed ports are fine: the namespaces are new and empty.
	srv := startServerOnly(t, []string{ipPath, "netns", "exec", nsS}, "-p", "41455", "-f", "sockety", "-e", "tls")
	if srv.token == "" {
		t.Fatal("no token in the banner")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	js := fmt.Sprintf(`["-r",%q,"-p","41455","-f","sockety","-e","tls","-w","200ms","-t","1s","-c","1","-cc","2","-cn","1","--op-timeout","20s","--token",%q,"--json",%q]`,
		netnsServerIP, srv.token, filepath.Join(dir, "netns.json"))
	cmd := exec.Command(ipPath, "netns", "exec", nsC, exe)
	cmd.Env = append(os.Environ(), runEnv+"="+js)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("client in %s: %v\n%s\n%s", nsC, err, out.String(), errOut.String())
		}
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("client did not finish within 5 minutes\n%s\n%s", out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "Remote server: "+netnsServerIP) {
		t.Errorf("header:\n%s", out.String())
	}
	checkClean(t, readJSONReport(t, filepath.Join(dir, "netns.json")), true)
	t.Logf("client output:\n%s", out.String())
	srv.stop(t)
}

// netnsPair is two network namespaces joined by a veth pair: the server's
// (netnsServerIP on vS) and the client's (netnsClientIP on vC).
type netnsPair struct {
	ipPath   string
	nsS, nsC string
	vS, vC   string
}

// ip runs the ip command with args.
func (n *netnsPair) ip(args ...string) error {
	out, err := exec.Command(n.ipPath, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// newNetnsPair creates the namespaces and the veth pair, both links up; the
// test's cleanup deletes them. It skips when not root or when ip netns is
// unavailable (.ci/run runs as root and installs iproute2).
func newNetnsPair(t *testing.T) *netnsPair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP: network namespace test needs root (ip netns add); .ci/run runs it as root")
	}
	ipPath, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("SKIP: no ip command (Debian: apt-get install iproute2)")
	}
	// Unique names: the PID and a clock suffix (interface names <= 15 bytes).
	id := fmt.Sprintf("%d%03d", os.Getpid()%100000, time.Now().UnixNano()/1e6%1000)
	n := &netnsPair{ipPath: ipPath, nsS: "sbS" + id, nsC: "sbC" + id, vS: "vS" + id, vC: "vC" + id}
	if err := n.ip("netns", "add", n.nsS); err != nil {
		t.Skipf("SKIP: ip netns unavailable here: %v", err)
	}
	t.Cleanup(func() {
		// Deleting a namespace deletes its end of the veth pair, and so the pair.
		for _, ns := range []string{n.nsS, n.nsC} {
			_ = n.ip("netns", "del", ns)
		}
		_ = n.ip("link", "del", n.vS) // in case it never moved into its namespace
	})
	for _, step := range [][]string{
		{"netns", "add", n.nsC},
		{"link", "add", n.vS, "type", "veth", "peer", "name", n.vC},
		{"link", "set", n.vS, "netns", n.nsS},
		{"link", "set", n.vC, "netns", n.nsC},
		{"-n", n.nsS, "addr", "add", netnsServerIP + "/24", "dev", n.vS},
		{"-n", n.nsC, "addr", "add", netnsClientIP + "/24", "dev", n.vC},
		{"-n", n.nsS, "link", "set", "lo", "up"},
		{"-n", n.nsC, "link", "set", "lo", "up"},
		{"-n", n.nsS, "link", "set", n.vS, "up"},
		{"-n", n.nsC, "link", "set", n.vC, "up"},
	} {
		if err := n.ip(step...); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
