package harness

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// fakeHandler answers the control channel with fixed figures.
type fakeHandler struct{}

func (fakeHandler) hello() *ControlHello {
	return &ControlHello{Control: ControlVersion, Suite: "Secret Suite", Version: ToolVersion(), Workers: []ControlWorker{{PID: 1}}}
}

func (fakeHandler) mark(_ context.Context, i int) (*MarkReply, error) {
	if i != 0 {
		return nil, errors.New("no such worker")
	}
	return &MarkReply{MonoNs: 42, CPU: CPUTimes{UserNs: 7}}, nil
}

const testToken = "0123456789abcdef"

func startControl(t *testing.T, timeout time.Duration) (*controlServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := serveControlTimeout(ln, testToken, fakeHandler{}, timeout)
	t.Cleanup(func() { _ = s.Close() })
	return s, ln.Addr().String()
}

// exchange writes req and returns everything the server sent before closing.
func exchange(t *testing.T, addr string, req []byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = c.Write(req)
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestControlTokenAndAnswers(t *testing.T) {
	_, addr := startControl(t, 2*time.Second)
	unauth := `{"error":"unauthorized"}` + "\n"
	for name, req := range map[string]string{
		"missing token":  `{"op":"hello"}`,
		"empty token":    `{"op":"hello","token":""}`,
		"wrong token":    `{"op":"hello","token":"0123456789abcdeX"}`,
		"prefix":         `{"op":"hello","token":"0123456789abcde"}`,
		"longer":         `{"op":"hello","token":"0123456789abcdef0"}`,
		"wrong on mark":  `{"op":"mark","token":"nope"}`,
		"unknown field":  `{"op":"hello","token":"` + testToken + `","cmd":"ls"}`,
		"not json":       `hello`,
		"token too long": `{"op":"hello","token":"` + strings.Repeat("a", 300) + `"}`,
	} {
		if got := exchange(t, addr, []byte(req+"\n")); got != unauth {
			t.Errorf("%s: got %q", name, got)
		}
	}
	if got := exchange(t, addr, []byte(`{"op":"hello","token":"`+testToken+`"}`+"\n")); !strings.Contains(got, "Secret Suite") {
		t.Errorf("hello with the token: %q", got)
	}
	if got := exchange(t, addr, []byte(`{"op":"run","token":"`+testToken+`"}`+"\n")); !strings.Contains(got, "unknown operation") {
		t.Errorf("unknown op: %q", got)
	}
	r, err := controlCall(context.Background(), addr, testToken, controlRequest{Op: ctlMark}, 5*time.Second)
	if err != nil || r.Mark == nil || r.Mark.MonoNs != 42 || r.Mark.CPU.UserNs != 7 {
		t.Fatalf("mark: %+v %v", r, err)
	}
	if _, err := controlCall(context.Background(), addr, "wrong-token", controlRequest{Op: ctlHello}, 5*time.Second); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}
	if _, err := controlCall(context.Background(), addr, testToken, controlRequest{Op: ctlMark, Worker: 5}, 5*time.Second); err == nil {
		t.Fatal("mark of a missing worker succeeded")
	}
}

// TestControlHostilePeers: oversized lines, silent and slow peers and a
// flood of connections neither hang the server nor make it answer.
func TestControlHostilePeers(t *testing.T) {
	_, addr := startControl(t, 300*time.Millisecond)
	// Oversized request (no newline within the bound): closed, no answer.
	if got := exchange(t, addr, bytes.Repeat([]byte("x"), MaxControlRequest+100)); got != "" {
		t.Errorf("oversized: %q", got)
	}
	// Silent peer: closed after the timeout.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	c.Close()
	if len(b) != 0 || time.Since(start) > 5*time.Second {
		t.Errorf("silent peer: %q after %v", b, time.Since(start))
	}
	// Slowloris: one byte every 100 ms never completes a request in time.
	c, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	closed := false
	for i := 0; i < 50 && !closed; i++ {
		if _, err := c.Write([]byte("{")); err != nil {
			closed = true
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Close()
	if !closed {
		t.Errorf("slow peer still connected after %v", time.Since(start))
	}
	// Flood: more connections than MaxControlConns; the server keeps
	// answering once they are gone.
	var conns []net.Conn
	for i := 0; i < 2*MaxControlConns; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := controlCall(context.Background(), addr, testToken, controlRequest{Op: ctlHello}, time.Second)
		if err == nil && r.Hello != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer after the flood: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestControlReplyBound: a client does not read a reply beyond its bound.
func TestControlReplyBound(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := readLine(c, MaxControlRequest); err != nil {
			return
		}
		big := bytes.Repeat([]byte("a"), 64<<10)
		for i := 0; i < 40; i++ { // 2.5 MiB without a newline
			if _, err := c.Write(big); err != nil {
				return
			}
		}
	}()
	if _, err := controlCall(context.Background(), ln.Addr().String(), testToken, controlRequest{Op: ctlHello}, 5*time.Second); !errors.Is(err, errLineTooLong) {
		t.Fatalf("got %v, want %v", err, errLineTooLong)
	}
}

func TestTokenEqual(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		ok        bool
	}{
		{testToken, testToken, true},
		{testToken + "x", testToken, false},
		{"", testToken, false},
		{"", "", false}, // an empty token never authorises
	} {
		if tokenEqual(tc.got, tc.want) != tc.ok {
			t.Errorf("tokenEqual(%q, %q) != %v", tc.got, tc.want, tc.ok)
		}
	}
	a, err := NewToken()
	if err != nil || len(a) != 32 || CheckToken(a) != nil {
		t.Fatalf("NewToken %q %v", a, err)
	}
	if b, _ := NewToken(); a == b {
		t.Fatal("two equal random tokens")
	}
}

// FuzzControlRequest: any request line yields an answer without panic, and
// none but the exact token gets past "unauthorized".
func FuzzControlRequest(f *testing.F) {
	f.Add([]byte(`{"op":"hello","token":"` + testToken + `"}`))
	f.Add([]byte(`{"op":"mark","token":"` + testToken + `","worker":0}`))
	f.Add([]byte(`{"op":"mark","token":"x","worker":-1}`))
	f.Add([]byte(`{"token":null}`))
	f.Add([]byte("\xff\xfe"))
	s := &controlServer{token: testToken, h: fakeHandler{}, ctx: context.Background(), timeout: time.Second}
	f.Fuzz(func(t *testing.T, line []byte) {
		r := s.answer(line)
		req, err := parseControlRequest(line)
		authorised := err == nil && req.Token == testToken
		if !authorised && (r.Error != errUnauthorized || r.Hello != nil || r.Mark != nil) {
			t.Fatalf("%q got past the token: %+v", line, r)
		}
		if got, err := readLine(bytes.NewReader(line), 64); err == nil && (len(got) > 64 || !bytes.HasSuffix(got, []byte("\n"))) {
			t.Fatalf("readLine returned %q", got)
		}
	})
}

// helloHandler answers hello with a fixed ControlHello.
type helloHandler struct{ h ControlHello }

func (h helloHandler) hello() *ControlHello { c := h.h; return &c }
func (helloHandler) mark(context.Context, int) (*MarkReply, error) {
	return &MarkReply{}, nil
}

// TestRemoteConnectChecks: a client refuses a server-only process that
// serves another suite, another build or another control protocol, and
// accepts the same one.
func TestRemoteConnectChecks(t *testing.T) {
	suite, ok := competitors.Lookup("Echo (test)")
	other, ok2 := competitors.Lookup("Crash (test)")
	if !ok || !ok2 {
		t.Fatal("test suites not registered")
	}
	good := ControlHello{Control: ControlVersion, Version: ToolVersion(), Suite: suite.Name(), Contract: SuiteContract(suite), Workers: []ControlWorker{{PID: 9, GOMAXPROCS: 1}}}
	for name, tc := range map[string]struct {
		edit func(*ControlHello)
		ok   bool
	}{
		"same":       {func(*ControlHello) {}, true},
		"suite":      {func(h *ControlHello) { h.Suite = other.Name() }, false},
		"version":    {func(h *ControlHello) { h.Version = "v9.9.9" }, false},
		"contract":   {func(h *ControlHello) { h.Contract = SuiteContract(other) }, false},
		"protocol":   {func(h *ControlHello) { h.Control = ControlVersion + 1 }, false},
		"no workers": {func(h *ControlHello) { h.Workers = nil }, false},
	} {
		h := good
		tc.edit(&h)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := serveControl(ln, testToken, helloHandler{h})
		rt := &RemoteTarget{Host: "127.0.0.1", Port: 1, ControlAddr: ln.Addr().String(), Token: testToken}
		err = rt.Connect(context.Background(), suite)
		_ = s.Close()
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrRemoteMismatch)) {
			t.Errorf("%s: %v", name, err)
		}
		if tc.ok && (rt.Hello == nil || len(rt.endpoints()) != 1 || rt.endpoints()[0].PID() != 9) {
			t.Errorf("%s: hello %+v", name, rt.Hello)
		}
	}
	// No token: no control channel, no error, no endpoints.
	rt := &RemoteTarget{Host: "127.0.0.1", Port: 1, ControlAddr: "127.0.0.1:1"}
	if err := rt.Connect(context.Background(), suite); err != nil || rt.endpoints() != nil {
		t.Errorf("no token: %v", err)
	}
}
