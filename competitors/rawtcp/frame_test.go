package rawtcp

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestParseHeader(t *testing.T) {
	var h [hdrLen]byte
	putHeader(&h, kindEcho, 7, 65536)
	k, id, n, err := parseHeader(h[:])
	if err != nil || k != kindEcho || id != 7 || n != 65536 {
		t.Fatalf("got %d %d %d %v", k, id, n, err)
	}
	for _, tc := range []struct {
		name string
		h    [hdrLen]byte
	}{
		{"kind 0", [hdrLen]byte{0}},
		{"kind past the last", [hdrLen]byte{kindEchoReply + 1}},
		{"length past the bound", [hdrLen]byte{kindData, 0, 0, 0, 1, 0x04, 0, 0, 1}},
		{"length 4 GiB", [hdrLen]byte{kindData, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}},
	} {
		if _, _, _, err := parseHeader(tc.h[:]); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: err = %v, want ErrFrame", tc.name, err)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{kindData, 0, 0, 0, 1, 0, 0, 0, 9})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < hdrLen {
			return
		}
		k, id, n, err := parseHeader(b)
		if err != nil {
			return
		}
		if n < 0 || n > maxLen || k < kindHeartbeat || k > kindEchoReply {
			t.Fatalf("accepted kind %d length %d", k, n)
		}
		var h [hdrLen]byte
		putHeader(&h, k, id, n)
		if string(h[:]) != string(b[:hdrLen]) {
			t.Fatalf("round trip %x != %x", h, b[:hdrLen])
		}
	})
}

// startRaw starts a verifying server and returns it with a raw connection.
func startRaw(t *testing.T) (*server, net.Conn) {
	t.Helper()
	p := scenarios.New(1)
	s, err := newServer(context.Background(), competitors.ServerConfig{Addr: "127.0.0.1:0", Payloads: p, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return s, c
}

func waitCounters(t *testing.T, s *server, ok func(competitors.ServerCounters) bool) competitors.ServerCounters {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c := s.Counters()
		if ok(c) || time.Now().After(deadline) {
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServerCountsCorruptPayload(t *testing.T) {
	s, c := startRaw(t)
	payload := append([]byte(nil), s.cfg.Payloads.Bytes(100<<10)...)
	payload[70000] ^= 1
	var h [hdrLen]byte
	putHeader(&h, kindData, 0, len(payload))
	if _, err := c.Write(append(h[:], payload...)); err != nil {
		t.Fatal(err)
	}
	got := waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.Messages == 1 })
	if got.Messages != 1 || got.Bytes != uint64(len(payload)) || got.VerifyErrors != 1 {
		t.Fatalf("counters %+v, want 1 message, %d bytes, 1 verify error", got, len(payload))
	}
}

func TestServerRejectsHugeLength(t *testing.T) {
	s, c := startRaw(t)
	if _, err := c.Write([]byte{kindEcho, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after a 4 GiB declaration: %v, want EOF (connection closed)", err)
	}
	if got := s.Counters(); got.Messages != 0 {
		t.Fatalf("counters %+v", got)
	}
}

func TestServerShortPayload(t *testing.T) {
	s, c := startRaw(t)
	var h [hdrLen]byte
	putHeader(&h, kindData, 0, 1000)
	if _, err := c.Write(append(h[:], s.cfg.Payloads.Bytes(10)...)); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	got := waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.VerifyErrors == 1 })
	if got.VerifyErrors != 1 || got.Messages != 0 {
		t.Fatalf("counters %+v, want 1 verify error and no message", got)
	}
}

func TestClientFailsWhenServerGoes(t *testing.T) {
	p := scenarios.New(2)
	s, err := newServer(context.Background(), competitors.ServerConfig{Addr: "127.0.0.1:0", Payloads: p})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := newClient(context.Background(), competitors.ClientConfig{Addr: s.Addr(), Connections: 2, Payloads: p})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sc, _ := scenarios.ByID(scenarios.IDShortResponse)
	op, err := cl.Prepare(context.Background(), competitors.Benchmark{Name: sc.Name, Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	if err := op(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 4; i++ {
		if err := op(ctx); err == nil {
			t.Fatal("operation succeeded after the server closed")
		} else if ctx.Err() != nil {
			t.Fatalf("operation hung until the deadline: %v", err)
		}
	}
}
