package sockety_test

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// errServer serves the contract and reports every connection error.
func errServer(t *testing.T, opts *sockety.Options) (string, chan error) {
	errs := make(chan error, 16)
	o := sockety.Options{}
	if opts != nil {
		o = *opts
	}
	o.OnError = func(_ *sockety.Conn, err error) {
		select {
		case errs <- err:
		default:
		}
	}
	ts := startServer(t, contract.NewContractHandler(), &o, nil)
	return ts.addr, errs
}

func rawDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return nc
}

func waitErr(t *testing.T, errs chan error) error {
	t.Helper()
	select {
	case err := <-errs:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("no connection error reported")
	}
	return nil
}

func msgBytes(t *testing.T, action string, dataSize uint64, expects bool) []byte {
	b, err := wire.AppendMessage(nil, &wire.MessageHeader{ID: wire.UUID(sockety.NewUUID()), Action: action, DataSize: dataSize, Expects: expects})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHostilePeers(t *testing.T) {
	checkLeaks(t)
	cases := []struct {
		name  string
		input func(t *testing.T) []byte
		class error // wire error class expected, nil for any *ProtocolError
	}{
		{"unknown packet nibble", func(*testing.T) []byte { return []byte{0xE3, 0xF0} }, wire.ErrUnknownPacket},
		{"invalid control byte", func(*testing.T) []byte { return []byte{0x17} }, wire.ErrInvalidHeader},
		{"continue with nothing", func(*testing.T) []byte { return []byte{0xE3, 0x60, 0x01, 0x00} }, wire.ErrUnexpected},
		{"stream with no stream", func(*testing.T) []byte { return []byte{0xE3, 0x70, 0x01, 0x00} }, wire.ErrUnexpected},
		{"file end undeclared", func(*testing.T) []byte { return []byte{0xE3, 0xD0} }, wire.ErrUnexpected},
		{"data with no message", func(*testing.T) []byte { return []byte{0xE3, 0xE0, 0x01, 0x00} }, wire.ErrUnexpected},
		{"data beyond declared", func(t *testing.T) []byte {
			b := append([]byte{0xE3}, msgBytes(t, "x", 1, false)...)
			return append(b, 0xE0, 0x02, 1, 2)
		}, wire.ErrUnexpected},
		{"message on busy channel", func(t *testing.T) []byte {
			b := append([]byte{0xE3}, msgBytes(t, "x", 10, false)...)
			return append(b, msgBytes(t, "y", 0, false)...)
		}, wire.ErrUnexpected},
		{"invalid utf-8 action", func(t *testing.T) []byte {
			b := append([]byte{0xE3}, msgBytes(t, "ab", 0, false)...)
			b[len(b)-1] = 0xFF
			return b
		}, wire.ErrInvalidUTF8},
		{"switch beyond channels", func(*testing.T) []byte { return []byte{0xE3, 0x1F, 0xFF, 0x1F, 0xFF} }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, errs := errServer(t, &sockety.Options{Channels: 4095})
			nc := rawDial(t, addr)
			if _, err := nc.Write(tc.input(t)); err != nil {
				t.Fatal(err)
			}
			err := waitErr(t, errs)
			var pe *sockety.ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ProtocolError", err)
			}
			if tc.class != nil && !errors.Is(err, tc.class) {
				t.Fatalf("error %v, want class %v", err, tc.class)
			}
			// The server closed the connection.
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := io.Copy(io.Discard, nc); err != nil {
				t.Fatalf("connection not closed: %v", err)
			}
		})
	}
}

func TestGarbageFromServerReachesClient(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_, _ = nc.Write([]byte{0xE3, 0xFF, 0xFF})
		_, _ = io.Copy(io.Discard, nc)
	}()
	c, err := sockety.Dial(tctx(t), "tcp", ln.Addr().String(), nil)
	var pe *sockety.ProtocolError
	if err != nil {
		// The garbage can be read together with the header: then Dial
		// itself fails with the protocol error.
		if !errors.As(err, &pe) || !errors.Is(err, wire.ErrUnknownPacket) {
			t.Fatalf("dial error %v", err)
		}
		return
	}
	defer c.Close()
	_, err = c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
	if !errors.As(err, &pe) || !errors.Is(c.Err(), wire.ErrUnknownPacket) {
		t.Fatalf("call error %v, conn error %v", err, c.Err())
	}
}

func TestPeerClosesMidMessage(t *testing.T) {
	checkLeaks(t)
	got := make(chan error, 1)
	r := sockety.NewRouter()
	r.HandleFunc("big", func(m *sockety.Message) {
		_, err := io.Copy(io.Discard, m.Data())
		got <- err
	})
	ts := startServer(t, r, nil, nil)
	nc := rawDial(t, ts.addr)
	b := append([]byte{0xE3}, msgBytes(t, "big", 1<<20, false)...)
	b = append(b, 0xE0, 0x10)
	b = append(b, make([]byte, 16)...)
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	_ = nc.Close()
	select {
	case err := <-got:
		if err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("reader saw %v, want an error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler still blocked")
	}
}

func TestHeaderTimeout(t *testing.T) {
	checkLeaks(t)
	addr, errs := errServer(t, &sockety.Options{HeaderTimeout: 100 * time.Millisecond})
	nc := rawDial(t, addr)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	// The server sends its header, then closes us.
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Fatalf("not closed: %v", err)
	}
	_ = errs
}

func TestDeclared256TiBIsBounded(t *testing.T) {
	checkLeaks(t)
	r := sockety.NewRouter()
	started := make(chan struct{}, 1)
	r.HandleFunc("big", func(m *sockety.Message) {
		started <- struct{}{}
		_, _ = io.Copy(io.Discard, m.Data())
	})
	ts := startServer(t, r, nil, nil)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	nc := rawDial(t, ts.addr)
	b := append([]byte{0xE3}, msgBytes(t, "big", wire.MaxSize48, false)...)
	b = append(b, 0xE0, 0x04, 1, 2, 3, 4)
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("handler not started")
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 64<<20 {
		t.Fatalf("heap grew by %d bytes", grow)
	}
}

func TestBackpressureSlowReader(t *testing.T) {
	checkLeaks(t)
	// A peer that completes the header and then never reads.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = nc.Write([]byte{0xE3})
		accepted <- nc
	}()
	c, err := sockety.Dial(tctx(t), "tcp", ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	defer peer.Close()
	defer c.Close()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = c.Pass(ctx, &sockety.Outgoing{Action: "ping", DataReader: zeros{}, DataSize: 64 << 20})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("pass to a peer that does not read: %v", err)
	}
	// Small messages also block instead of queueing without bound.
	n := 0
	for ; n < 1_000_000; n++ {
		if err := c.Pass(ctx, &sockety.Outgoing{Action: "ping", Data: make([]byte, 1000)}); err != nil {
			break
		}
	}
	if n == 1_000_000 {
		t.Fatal("a million 1 KB messages queued for a peer that does not read")
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 32<<20 {
		t.Fatalf("heap grew by %d bytes", grow)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestHeartbeatKeepsIdleConnection(t *testing.T) {
	checkLeaks(t)
	addr, errs := errServer(t, &sockety.Options{IdleTimeout: time.Second, HeartbeatInterval: -1})
	c := dial(t, addr, &sockety.Options{HeartbeatInterval: 100 * time.Millisecond, IdleTimeout: -1})
	time.Sleep(2500 * time.Millisecond)
	if c.Err() != nil {
		t.Fatalf("connection ended: %v", c.Err())
	}
	select {
	case err := <-errs:
		t.Fatalf("server error: %v", err)
	default:
	}
	// Without heartbeats the server's idle timeout closes it.
	c2 := dial(t, addr, &sockety.Options{HeartbeatInterval: -1, IdleTimeout: -1})
	if err := waitErr(t, errs); !errors.Is(err, sockety.ErrIdleTimeout) {
		t.Fatalf("server error %v, want idle timeout", err)
	}
	select {
	case <-c2.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("idle client not closed")
	}
}

func TestManyHalfSentMessagesBounded(t *testing.T) {
	checkLeaks(t)
	addr, _ := errServer(t, nil)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	nc := rawDial(t, addr)
	b := []byte{0xE3}
	for ch := 0; ch < 4096; ch++ {
		b, _ = wire.AppendSwitchChannel(b, ch)
		b = append(b, msgBytes(t, "ping", 60000, false)...)
		b = append(b, 0xE0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	}
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	// Other connections are served meanwhile.
	c := dial(t, addr, nil)
	rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
	if err != nil || rep.Code != sockety.Accept {
		t.Fatalf("other connection: %+v %v", rep, err)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grow := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap growth with 4096 half-sent 60 KB messages: %d KiB", grow>>10)
	if grow > 64<<20 {
		t.Fatalf("heap grew by %d bytes", grow)
	}
}

func TestSwitchChannelFlood(t *testing.T) {
	checkLeaks(t)
	addr, _ := errServer(t, nil)
	nc := rawDial(t, addr)
	b := []byte{0xE3}
	for i := 0; i < 1<<20; i++ {
		b = append(b, byte(i&15))
	}
	b = append(b, msgBytes(t, "fast", 0, true)...)
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	// Header (1 byte) then a 17-byte fast reply.
	got := make([]byte, 18)
	if _, err := io.ReadFull(nc, got); err != nil {
		t.Fatalf("no fast reply after the flood: %v", err)
	}
	if got[0] != 0xE3 || got[1] != 0x30 {
		t.Fatalf("got % x", got[:2])
	}
}

func TestHandlerPanicClosesOnlyThatConnection(t *testing.T) {
	checkLeaks(t)
	r := sockety.NewRouter()
	r.HandleFunc("boom", func(*sockety.Message) { panic("boom") })
	r.Code("fast", sockety.Accept)
	ts := startServer(t, r, nil, nil)
	c1 := dial(t, ts.addr, nil)
	c2 := dial(t, ts.addr, nil)
	_, err := c1.Call(tctx(t), &sockety.Outgoing{Action: "boom"})
	if err == nil {
		t.Fatal("call to a panicking handler succeeded")
	}
	rep, err := c2.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
	if err != nil || rep.Code != sockety.Accept {
		t.Fatalf("other connection: %+v %v", rep, err)
	}
}

func TestWriteTimeoutOnPeerThatStopsReading(t *testing.T) {
	checkLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = nc.Write([]byte{0xE3})
		accepted <- nc
	}()
	c, err := sockety.Dial(tctx(t), "tcp", ln.Addr().String(), &sockety.Options{WriteTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	defer peer.Close()
	defer c.Close()
	err = c.Pass(tctx(t), &sockety.Outgoing{Action: "ping", DataReader: zeros{}, DataSize: 1 << 30})
	if err == nil {
		t.Fatal("1 GiB passed to a peer that does not read")
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection not ended by the write timeout")
	}
	if !isTimeout(c.Err()) {
		t.Fatalf("connection error %v, want a timeout", c.Err())
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestHalfClosedPeerGetsItsReply(t *testing.T) {
	checkLeaks(t)
	r := sockety.NewRouter()
	r.HandleFunc("slowfast", func(m *sockety.Message) {
		time.Sleep(50 * time.Millisecond)
		_ = m.FastReply(context.Background(), 7)
	})
	ts := startServer(t, r, nil, nil)
	nc := rawDial(t, ts.addr)
	if _, err := nc.Write(append([]byte{0xE3}, msgBytes(t, "slowfast", 0, true)...)); err != nil {
		t.Fatal(err)
	}
	if err := nc.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(nc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 18 || got[0] != 0xE3 || got[1] != 0x37 {
		t.Fatalf("got % x, want the header and a fast reply 7", got)
	}
}

func TestTLSHandshakeGarbage(t *testing.T) {
	checkLeaks(t)
	scfg, ccfg := selfSigned(t)
	ts := startServer(t, contract.NewContractHandler(), &sockety.Options{HeaderTimeout: 500 * time.Millisecond}, scfg)
	nc := rawDial(t, ts.addr)
	if _, err := nc.Write([]byte("GET / HTTP/1.1\r\n\r\n\x16\x03\x01\xff\xff garbage")); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, nc); err != nil && !errors.Is(err, syscallECONNRESET) {
		t.Fatalf("not closed: %v", err)
	}
	// A proper TLS client is still served.
	c, err := sockety.DialTLS(tctx(t), "tcp", ts.addr, ccfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "fast"}); err != nil || rep.Code != sockety.Accept {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestPeerResetMidMessage(t *testing.T) {
	checkLeaks(t)
	got := make(chan error, 1)
	r := sockety.NewRouter()
	r.HandleFunc("big", func(m *sockety.Message) {
		_, err := io.Copy(io.Discard, m.Data())
		got <- err
	})
	ts := startServer(t, r, nil, nil)
	nc := rawDial(t, ts.addr)
	b := append([]byte{0xE3}, msgBytes(t, "big", 1<<20, false)...)
	b = append(b, 0xE0, 0x10)
	b = append(b, make([]byte, 16)...)
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	_ = nc.(*net.TCPConn).SetLinger(0) // close with RST
	_ = nc.Close()
	select {
	case err := <-got:
		if err == nil {
			t.Fatal("reader saw a complete payload")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler still blocked")
	}
}

var syscallECONNRESET = syscall.ECONNRESET
