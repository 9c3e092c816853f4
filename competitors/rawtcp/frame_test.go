package rawtcp

import (
	"bufio"
	"bytes"
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
	for _, tc := range []struct {
		name     string
		kind     byte
		id       uint32
		n        int
		wantSize int
	}{
		{"heartbeat", kindHeartbeat, 0, 0, heartbeatLen},
		{"echo", kindEcho, 7, 65536, hdrLen},
		{"one way, no payload", kindOneWay, 0, 0, hdrLen},
		{"reply at the bound", kindEchoReply, 1<<32 - 1, maxLen, hdrLen},
	} {
		b := appendHeader([]byte{0xaa}, tc.kind, tc.id, tc.n)[1:]
		if len(b) != tc.wantSize {
			t.Errorf("%s: header of %d bytes, want %d", tc.name, len(b), tc.wantSize)
		}
		// Bytes after the header (the payload, the next frame) are not read.
		k, id, n, size, err := parseHeader(append(b, kindHeartbeat, 0xff))
		if err != nil || k != tc.kind || id != tc.id || n != tc.n || size != tc.wantSize {
			t.Errorf("%s: got kind %d id %d n %d size %d err %v", tc.name, k, id, n, size, err)
		}
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"kind 0", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"kind past the last", []byte{kindEchoReply + 1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"header cut short", []byte{kindData, 0, 0, 0, 1, 0, 0, 0}},
		{"kind alone, not a heartbeat", []byte{kindFast}},
		{"length past the bound", []byte{kindData, 0, 0, 0, 1, 0x04, 0, 0, 1}},
		{"length 4 GiB", []byte{kindData, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff}},
	} {
		if _, _, _, _, err := parseHeader(tc.b); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: err = %v, want ErrFrame", tc.name, err)
		}
	}
}

// TestReadHeader reads a stream of frames of both header sizes: a
// heartbeat is taken without waiting for more bytes, and a stream that ends
// inside a header is an unexpected EOF.
func TestReadHeader(t *testing.T) {
	var stream []byte
	stream = appendHeader(stream, kindHeartbeat, 0, 0)
	stream = appendHeader(stream, kindData, 0, 3)
	stream = append(stream, 1, 2, 3)
	stream = appendHeader(stream, kindHeartbeat, 0, 0)
	stream = appendHeader(stream, kindFast, 9, 0)
	stream = appendHeader(stream, kindHeartbeat, 0, 0) // the last byte: nothing follows
	r := bufio.NewReader(bytes.NewReader(stream))
	want := []struct {
		kind byte
		id   uint32
		n    int
	}{{kindHeartbeat, 0, 0}, {kindData, 0, 3}, {kindHeartbeat, 0, 0}, {kindFast, 9, 0}, {kindHeartbeat, 0, 0}}
	for i, w := range want {
		k, id, n, err := readHeader(r)
		if err != nil || k != w.kind || id != w.id || n != w.n {
			t.Fatalf("frame %d: got %d %d %d %v, want %+v", i, k, id, n, err, w)
		}
		if _, err := r.Discard(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := readHeader(r); err != io.EOF {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
	cut := bufio.NewReader(bytes.NewReader(appendHeader(nil, kindEcho, 1, 2)[:5]))
	if _, _, _, err := readHeader(cut); err != io.ErrUnexpectedEOF {
		t.Fatalf("cut header: %v, want unexpected EOF", err)
	}
	bad := bufio.NewReader(bytes.NewReader([]byte{0x7f}))
	if _, _, _, err := readHeader(bad); !errors.Is(err, ErrFrame) {
		t.Fatalf("unknown kind: %v, want ErrFrame", err)
	}
}

// FuzzParseHeader checks that whatever the bytes, parseHeader either
// rejects them or accepts a header that fits in them, has a known kind and
// a bounded length, and that appendHeader writes back byte for byte.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{kindData, 0, 0, 0, 1, 0, 0, 0, 9})
	f.Add([]byte{kindHeartbeat})
	f.Add([]byte{kindHeartbeat, kindEcho, 0, 0, 0, 2, 0, 1, 0, 0})
	f.Add([]byte{kindFast, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, id, n, size, err := parseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrFrame) {
				t.Fatalf("error %v is not an ErrFrame", err)
			}
			return
		}
		want, herr := headerLen(k)
		if herr != nil || size != want || size > len(b) || n < 0 || n > maxLen {
			t.Fatalf("accepted kind %d length %d header size %d of %d bytes", k, n, size, len(b))
		}
		if k == kindHeartbeat && (id != 0 || n != 0) {
			t.Fatalf("heartbeat with id %d length %d", id, n)
		}
		if h := appendHeader(nil, k, id, n); !bytes.Equal(h, b[:size]) {
			t.Fatalf("round trip %x != %x", h, b[:size])
		}
		// The stream reader agrees with the slice parser.
		rk, rid, rn, rerr := readHeader(bufio.NewReader(bytes.NewReader(b)))
		if rerr != nil || rk != k || rid != id || rn != n {
			t.Fatalf("readHeader: %d %d %d %v, parseHeader: %d %d %d", rk, rid, rn, rerr, k, id, n)
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
	deadline := time.Now().Add(30 * time.Second)
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
	if _, err := c.Write(append(appendHeader(nil, kindData, 0, len(payload)), payload...)); err != nil {
		t.Fatal(err)
	}
	got := waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.Messages == 1 })
	if got.Messages != 1 || got.Bytes != uint64(len(payload)) || got.VerifyErrors != 1 {
		t.Fatalf("counters %+v, want 1 message, %d bytes, 1 verify error", got, len(payload))
	}
}

// TestServerCountsHeartbeats sends 1-byte heartbeats in runs and between
// other frames, split across writes at odd places: every one counts as a
// message, and a request in the middle is still answered.
func TestServerCountsHeartbeats(t *testing.T) {
	s, c := startRaw(t)
	var stream []byte
	for i := 0; i < 1000; i++ {
		stream = appendHeader(stream, kindHeartbeat, 0, 0)
		if i%97 == 0 {
			stream = appendHeader(stream, kindOneWay, 0, 0)
		}
	}
	stream = appendHeader(stream, kindRegular, 5, 0)
	for i := 0; i < 500; i++ {
		stream = appendHeader(stream, kindHeartbeat, 0, 0)
	}
	for off := 0; off < len(stream); off += 13 {
		if _, err := c.Write(stream[off:min(off+13, len(stream))]); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	k, id, n, err := readHeader(r)
	if err != nil || k != kindResponse || id != 5 || n != 0 {
		t.Fatalf("reply %d %d %d %v, want kindResponse for id 5", k, id, n, err)
	}
	const want = 1000 + 11 + 1 + 500 // heartbeats, one-way frames (i%97 == 0), the request
	got := waitCounters(t, s, func(c competitors.ServerCounters) bool { return c.Messages >= want })
	if got.Messages != want || got.VerifyErrors != 0 {
		t.Fatalf("counters %+v, want %d messages", got, want)
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
	if _, err := c.Write(append(appendHeader(nil, kindData, 0, 1000), s.cfg.Payloads.Bytes(10)...)); err != nil {
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
