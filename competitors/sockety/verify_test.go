package sockety

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// With Verify on, the benchmark server counts a corrupted or truncated
// data payload, file or stream as a verify error, and the client counts a
// corrupted or short stream echo as a failed operation. The hostile
// senders here are test code speaking to the adapter's server.

func verifyServer(t *testing.T, p *scenarios.Payloads) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := newServer(ctx, competitors.ServerConfig{Addr: "127.0.0.1:0", Payloads: p, Verify: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func vctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitMessages waits until the server counted n messages.
func waitMessages(t *testing.T, s *server, n uint64) competitors.ServerCounters {
	t.Helper()
	return waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.Messages >= n }, fmt.Sprintf("%d messages", n))
}

// waitCounters waits until the server's counters satisfy ok.
func waitCounters(t *testing.T, s *server, ok func(competitors.ServerCounters) bool, want string) competitors.ServerCounters {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := s.Counters()
		if ok(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("server counted %+v, want %s", c, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

// failAfter yields b[:n] then fails: the sender aborts its message.
type failAfter struct {
	b []byte
	n int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("sender broke")
	}
	k := copy(p, f.b[:min(f.n, len(p))])
	f.b, f.n = f.b[k:], f.n-k
	return k, nil
}

func TestVerifyServerCatchesCorruption(t *testing.T) {
	p := scenarios.New(7)
	const size = 200 << 10
	good := p.Bytes(size)
	cases := []struct {
		name string
		out  func() *sockety.Outgoing
		bad  bool
		cut  bool // the message never arrives whole: not counted as received
	}{
		{"data intact", func() *sockety.Outgoing { return &sockety.Outgoing{Action: "data", Data: good} }, false, false},
		{"data corrupted first byte", func() *sockety.Outgoing { return &sockety.Outgoing{Action: "data", Data: flip(good, 0)} }, true, false},
		{"data corrupted last byte", func() *sockety.Outgoing { return &sockety.Outgoing{Action: "data", Data: flip(good, size-1)} }, true, false},
		{"data of another seed", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", Data: scenarios.New(8).Bytes(size)}
		}, true, false},
		{"data truncated (sender aborts)", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", DataReader: &failAfter{b: good, n: size / 2}, DataSize: size}
		}, true, true},
		{"file intact", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", Files: []sockety.OutFile{{Name: "f", Data: good}}}
		}, false, false},
		{"file corrupted", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", Files: []sockety.OutFile{{Name: "f", Data: flip(good, size/3)}}}
		}, true, false},
		{"file truncated (sender aborts)", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", Files: []sockety.OutFile{{Name: "f", Reader: &failAfter{b: good, n: 1000}, Size: size}}}
		}, true, true},
		{"stream intact", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", StreamReader: strings.NewReader(string(good))}
		}, false, false},
		{"stream corrupted", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", StreamReader: strings.NewReader(string(flip(good, 5)))}
		}, true, false},
		{"stream truncated (sender aborts)", func() *sockety.Outgoing {
			return &sockety.Outgoing{Action: "data", StreamReader: &failAfter{b: good, n: 4096}}
		}, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := verifyServer(t, p)
			c, err := sockety.Dial(vctx(t), "tcp", s.Addr(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.Pass(vctx(t), tc.out()) // an aborting sender gets its reader's error
			var got competitors.ServerCounters
			if tc.bad {
				// A whole message is counted before its verify error.
				got = waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.VerifyErrors >= 1 }, "a verify error")
			} else {
				got = waitMessages(t, s, 1)
			}
			wantVE, wantMsgs := uint64(0), uint64(1)
			if tc.bad {
				wantVE = 1
			}
			if tc.cut {
				wantMsgs = 0
			}
			if got.VerifyErrors != wantVE || got.Messages != wantMsgs {
				t.Fatalf("counters %+v, want %d verify errors and %d messages", got, wantVE, wantMsgs)
			}
		})
	}
}

// TestVerifyServerCatchesCutConnection: a sender whose connection dies in
// the middle of a payload (TCP close or reset after half of it) leaves a
// verify error, for data, file and stream.
func TestVerifyServerCatchesCutConnection(t *testing.T) {
	p := scenarios.New(9)
	const size = 100 << 10
	half := p.Bytes(size / 2)
	id := wire.UUID(sockety.NewUUID())
	msg := func(m wire.MessageHeader) []byte {
		m.ID, m.Action = id, "data"
		b, err := wire.AppendMessage([]byte{0xE3}, &m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	appendOK := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name  string
		input []byte
	}{
		{"data", appendOK(wire.AppendData(msg(wire.MessageHeader{DataSize: size}), half))},
		{"file", appendOK(wire.AppendFile(msg(wire.MessageHeader{Files: []wire.FileHeader{{Name: "f", Size: size}}}), 0, half))},
		{"stream", appendOK(wire.AppendStream(msg(wire.MessageHeader{HasStream: true}), half))},
	}
	for _, tc := range cases {
		for _, reset := range []bool{false, true} {
			name := tc.name + " close"
			if reset {
				name = tc.name + " reset"
			}
			t.Run(name, func(t *testing.T) {
				s := verifyServer(t, p)
				nc, err := net.Dial("tcp", s.Addr())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := nc.Write(tc.input); err != nil {
					t.Fatal(err)
				}
				time.Sleep(50 * time.Millisecond)
				if reset {
					_ = nc.(*net.TCPConn).SetLinger(0)
				}
				_ = nc.Close()
				got := waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.VerifyErrors >= 1 }, "a verify error")
				if got.VerifyErrors != 1 || got.Bytes != size/2 || got.Messages != 0 {
					t.Fatalf("counters %+v, want 1 verify error, %d bytes and no message received", got, size/2)
				}
			})
		}
	}
}

// badEchoServer answers "echo" with a stream that differs from the one
// received: mutate changes what is echoed.
func badEchoServer(t *testing.T, mutate func([]byte) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &sockety.Server{Handler: sockety.HandlerFunc(func(m *sockety.Message) {
		b, err := io.ReadAll(m.Stream())
		if err != nil {
			return
		}
		_ = m.Respond(context.Background(), &sockety.Outgoing{StreamReader: strings.NewReader(string(mutate(b)))})
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestVerifyClientCatchesBadEcho(t *testing.T) {
	p := scenarios.New(11)
	var sc scenarios.Scenario
	for _, s := range scenarios.Catalogue() {
		if s.Kind == scenarios.StreamEcho {
			sc = s
			break
		}
	}
	if sc.Kind != scenarios.StreamEcho {
		t.Fatal("no stream echo scenario in the catalogue")
	}
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		verify bool
		fails  bool
	}{
		{"intact echo", func(b []byte) []byte { return b }, true, false},
		{"corrupted echo", func(b []byte) []byte { return flip(b, len(b)/2) }, true, true},
		{"corrupted echo without verify", func(b []byte) []byte { return flip(b, len(b)/2) }, false, false},
		{"short echo", func(b []byte) []byte { return b[:len(b)-1] }, true, true},
		{"short echo without verify", func(b []byte) []byte { return b[:len(b)-1] }, false, true},
		{"long echo", func(b []byte) []byte { return append(b, 0) }, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := badEchoServer(t, tc.mutate)
			c, err := newClient(vctx(t), competitors.ClientConfig{Addr: addr, Connections: 1, Payloads: p, Verify: tc.verify}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			op, err := c.Prepare(vctx(t), competitors.Benchmark{Name: sc.Name, Scenario: sc})
			if err != nil {
				t.Fatal(err)
			}
			err = op(vctx(t))
			if tc.fails && err == nil {
				t.Fatal("bad echo accepted")
			}
			if !tc.fails && err != nil {
				t.Fatalf("op failed: %v", err)
			}
		})
	}
}
