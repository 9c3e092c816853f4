package sockety_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

func TestHostilePeers(t *testing.T) {
	checkLeaks(t)
	four := sockety.Options{Channels: 4095}
	lit := func(b ...byte) func(*testing.T) []byte { return func(*testing.T) []byte { return b } }
	cases := []hostileInput{
		{name: "unknown packet nibble", input: lit(0xF0), class: wire.ErrUnknownPacket},
		{name: "invalid control byte", input: lit(0x17), noHeader: true, class: wire.ErrInvalidHeader},
		{name: "continue with nothing", input: lit(0x60, 0x01, 0x00), class: wire.ErrUnexpected},
		{name: "stream with no stream", input: lit(0x70, 0x01, 0x00), class: wire.ErrUnexpected},
		{name: "file end undeclared", input: lit(0xD0), class: wire.ErrUnexpected},
		{name: "data with no message", input: lit(0xE0, 0x01, 0x00), class: wire.ErrUnexpected},
		{name: "data beyond declared", input: func(t *testing.T) []byte {
			return append(msgBytes(t, "x", 1, false), 0xE0, 0x02, 1, 2)
		}, class: wire.ErrUnexpected},
		{name: "message on busy channel", input: func(t *testing.T) []byte {
			return cat(msgBytes(t, "x", 10, false), msgBytes(t, "y", 0, false))
		}, class: wire.ErrUnexpected},
		{name: "invalid utf-8 action", input: func(t *testing.T) []byte {
			b := msgBytes(t, "ab", 0, false)
			b[len(b)-1] = 0xFF
			return b
		}, class: wire.ErrInvalidUTF8},
		{name: "switch beyond channels", input: lit(0x1F, 0xFF, 0x1F, 0xFF)}, // any *ProtocolError
	}
	for _, tc := range cases {
		tc.opts, tc.protocol = four, true
		t.Run(tc.name, func(t *testing.T) { attackServer(t, tc) })
	}
}

func TestGarbageFromServerReachesClient(t *testing.T) {
	checkLeaks(t)
	addr := hostilePeer(t, []byte{0xE3, 0xFF, 0xFF}, false)
	c, err := sockety.Dial(tctx(t), "tcp", addr, nil)
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

// cutMidMessage sends the first 16 bytes of a 1 MiB message to a handler
// that reads it, ends the connection with cut and returns the error the
// handler's read ended with.
func cutMidMessage(t *testing.T, cut func(nc net.Conn)) error {
	t.Helper()
	checkLeaks(t)
	ts, got := readErrServer(t)
	nc := rawDial(t, ts.addr)
	mustWrite(t, nc, cat([]byte{0xE3}, msgBytes(t, "big", 1<<20, false), []byte{0xE0, 0x10}, make([]byte, 16)))
	time.Sleep(20 * time.Millisecond)
	cut(nc)
	return recvWithin(t, got, 5*time.Second, "handler still blocked")
}

func TestPeerClosesMidMessage(t *testing.T) {
	if err := cutMidMessage(t, func(nc net.Conn) { _ = nc.Close() }); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("reader saw %v, want an error", err)
	}
}

func TestPeerResetMidMessage(t *testing.T) {
	if err := cutMidMessage(t, rst); err == nil {
		t.Fatal("reader saw a complete payload")
	}
}

func TestHeaderTimeout(t *testing.T) {
	checkLeaks(t)
	addr, _ := errServer(t, &sockety.Options{HeaderTimeout: 100 * time.Millisecond})
	// The server sends its header, then closes us.
	closedByPeer(t, rawDial(t, addr))
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
	before := heapNow()
	nc := rawDial(t, ts.addr)
	mustWrite(t, nc, cat([]byte{0xE3}, msgBytes(t, "big", wire.MaxSize48, false), []byte{0xE0, 0x04, 1, 2, 3, 4}))
	recvWithin(t, started, 5*time.Second, "handler not started")
	checkHeap(t, before)
}

func TestBackpressureSlowReader(t *testing.T) {
	checkLeaks(t)
	// A peer that completes the header and then never reads.
	c := deafPeer(t, nil)
	before := heapNow()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err := c.Pass(ctx, &sockety.Outgoing{Action: "ping", DataReader: zeros{}, DataSize: 64 << 20})
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
	checkHeapBound(t, before, 32<<20)
}

func TestHeartbeatKeepsIdleConnection(t *testing.T) {
	checkLeaks(t)
	addr, errs := errServer(t, &sockety.Options{IdleTimeout: time.Second, HeartbeatInterval: -1})
	c := dial(t, addr, &sockety.Options{HeartbeatInterval: 100 * time.Millisecond, IdleTimeout: -1})
	time.Sleep(2500 * time.Millisecond)
	if c.Err() != nil {
		t.Fatalf("connection ended: %v", c.Err())
	}
	noErr(t, errs, "server error")
	// Without heartbeats the server's idle timeout closes it.
	c2 := dial(t, addr, &sockety.Options{HeartbeatInterval: -1, IdleTimeout: -1})
	if err := waitErr(t, errs); !errors.Is(err, sockety.ErrIdleTimeout) {
		t.Fatalf("server error %v, want idle timeout", err)
	}
	recvWithin(t, c2.Done(), 5*time.Second, "idle client not closed")
}

func TestManyHalfSentMessagesBounded(t *testing.T) {
	checkLeaks(t)
	addr, _ := errServer(t, nil)
	before := heapNow()
	nc := rawDial(t, addr)
	b := []byte{0xE3}
	for ch := 0; ch < 4096; ch++ {
		b, _ = wire.AppendSwitchChannel(b, ch)
		b = append(b, msgBytes(t, "ping", 60000, false)...)
		b = append(b, 0xE0, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	}
	mustWrite(t, nc, b)
	// Other connections are served meanwhile.
	healthy(t, dial(t, addr, nil))
	grow := checkHeapBound(t, before, heapBound)
	t.Logf("heap growth with 4096 half-sent 60 KB messages: %d KiB", grow>>10)
}

func TestSwitchChannelFlood(t *testing.T) {
	checkLeaks(t)
	addr, _ := errServer(t, nil)
	nc := rawDial(t, addr)
	b := []byte{0xE3}
	for i := 0; i < 1<<20; i++ {
		b = append(b, byte(i&15))
	}
	mustWrite(t, nc, append(b, msgBytes(t, "fast", 0, true)...))
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
	if _, err := c1.Call(tctx(t), &sockety.Outgoing{Action: "boom"}); err == nil {
		t.Fatal("call to a panicking handler succeeded")
	}
	healthy(t, c2)
}

func TestWriteTimeoutOnPeerThatStopsReading(t *testing.T) {
	checkLeaks(t)
	c := deafPeer(t, &sockety.Options{WriteTimeout: 300 * time.Millisecond})
	err := c.Pass(tctx(t), &sockety.Outgoing{Action: "ping", DataReader: zeros{}, DataSize: 1 << 30})
	if err == nil {
		t.Fatal("1 GiB passed to a peer that does not read")
	}
	recvWithin(t, c.Done(), 10*time.Second, "connection not ended by the write timeout")
	if !isTimeout(c.Err()) {
		t.Fatalf("connection error %v, want a timeout", c.Err())
	}
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
	mustWrite(t, nc, append([]byte{0xE3}, msgBytes(t, "slowfast", 0, true)...))
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
	mustWrite(t, nc, []byte("GET / HTTP/1.1\r\n\r\n\x16\x03\x01\xff\xff garbage"))
	closedByPeer(t, nc)
	// A proper TLS client is still served.
	healthyTLS(t, ts.addr, ccfg)
}
