package sockety_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// slowOpts makes the receive-rate rule quick to observe: 100 B/s averaged
// over 400 ms windows, with an idle timeout far away so that only the rate
// rule can end a trickling peer.
var slowOpts = sockety.Options{MinReceiveRate: 100, ReceiveRateWindow: 400 * time.Millisecond, IdleTimeout: 20 * time.Second}

// TestSlowPeerCut: a peer that owes bytes (inside a packet, or with a
// message whose content, data or files are incomplete) and sends them
// more slowly than MinReceiveRate is cut with ErrSlowPeer, while other
// connections are served.
func TestSlowPeerCut(t *testing.T) {
	msg := func(m wire.MessageHeader) []byte { m.ID = newID(); return must(wire.AppendMessage(nil, &m)) }
	content := must(wire.AppendMessageContent(nil, &wire.MessageHeader{ID: newID(), Action: "ping", DataSize: 4}))
	cases := []struct {
		name    string
		head    []byte // sent at once after the connection header
		trickle []byte // then one byte every 100 ms (10 B/s)
	}{
		{"data trickled", cat(msg(wire.MessageHeader{Action: "ping", DataSize: 1000}), must(wire.AppendDataHeader(nil, 1000))), make([]byte, 1000)},
		{"data packets of one byte", msg(wire.MessageHeader{Action: "ping", DataSize: 1000}), nil},
		{"file trickled", cat(msg(wire.MessageHeader{Action: "ping", Files: []wire.FileHeader{{Name: "f", Size: 500}}}), must(wire.AppendFileHeader(nil, 0, 500))), make([]byte, 500)},
		{"content over Continue packets", must(wire.AppendSized(nil, wire.KindMessage, 0, content[:3])), nil},
		{"message packet trickled", nil, msg(wire.MessageHeader{Action: "ping"})},
		{"stalled after the message start", msg(wire.MessageHeader{Action: "ping", DataSize: 10}), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			addr, errs := errServer(t, &slowOpts)
			good := dial(t, addr, &sockety.Options{HeartbeatInterval: 100 * time.Millisecond})
			nc := rawDial(t, addr)
			if _, err := nc.Write(cat([]byte{0xE3}, tc.head)); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			switch tc.name {
			case "data packets of one byte":
				// Valid one-byte Data packets (3 bytes each), slowly.
				go trickle(nc, repeat(must(wire.AppendData(nil, []byte{'x'})), 300), 30*time.Millisecond, stop)
			case "content over Continue packets":
				go trickle(nc, continues(content[3:]), 100*time.Millisecond, stop)
			default:
				go trickle(nc, tc.trickle, 100*time.Millisecond, stop)
			}
			start := time.Now()
			checkClass(t, waitErr(t, errs), sockety.ErrSlowPeer, false)
			if d := time.Since(start); d > 4*time.Second {
				t.Fatalf("cut after %v", d)
			}
			closedByPeer(t, nc)
			healthy(t, good)
		})
	}
}

// repeat returns n copies of b.
func repeat(b []byte, n int) []byte {
	var out []byte
	for range n {
		out = append(out, b...)
	}
	return out
}

// continues splits content into Continue packets of one content byte.
func continues(content []byte) []byte {
	var out []byte
	for _, b := range content {
		out = must(wire.AppendContinue(out, []byte{b}))
	}
	return out
}

// TestSlowPeerSpared: what is slow but not owed, or slow on our side, is
// not cut by the receive-rate rule: a stream trickled by its sender, an
// idle connection kept by heartbeats, and a peer held back because the
// handler does not read (backpressure).
func TestSlowPeerSpared(t *testing.T) {
	t.Run("stream trickled", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, &slowOpts)
		nc := rawDial(t, addr)
		m := wire.MessageHeader{ID: newID(), Action: "ping", HasStream: true}
		if _, err := nc.Write(cat([]byte{0xE3}, must(wire.AppendMessage(nil, &m)))); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		// 15 one-byte Stream packets over 1.5 s: ~4 rate windows at 10 B/s.
		trickle(nc, repeat(must(wire.AppendStream(nil, []byte{'s'})), 5), 100*time.Millisecond, stop)
		select {
		case err := <-errs:
			t.Fatalf("stream sender cut: %v", err)
		default:
		}
		if _, err := nc.Write(wire.AppendStreamEnd(nil)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("idle with heartbeats", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, &slowOpts)
		c := dial(t, addr, &sockety.Options{HeartbeatInterval: 100 * time.Millisecond})
		time.Sleep(1200 * time.Millisecond)
		select {
		case err := <-errs:
			t.Fatalf("idle connection cut: %v", err)
		default:
		}
		healthy(t, c)
	})
	t.Run("handler not reading", func(t *testing.T) {
		checkLeaks(t)
		// A high rate (1 MB/s) that only the network wait counts: the
		// handler sleeps before reading 16 MiB, so the read loop stops
		// reading (backpressure) for longer than several windows.
		const size = 16 << 20
		got := make(chan int64, 1)
		h := sockety.HandlerFunc(func(m *sockety.Message) {
			time.Sleep(1500 * time.Millisecond)
			n, _ := io.Copy(io.Discard, m.Data())
			got <- n
		})
		o := slowOpts
		o.MinReceiveRate = 1 << 20
		o.ReceiveRateWindow = 300 * time.Millisecond
		ts := startServer(t, h, &o, nil)
		c := dial(t, ts.addr, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.Pass(ctx, &sockety.Outgoing{Action: "data", DataReader: zeros{}, DataSize: size}); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n != size {
				t.Fatalf("handler read %d bytes, want %d", n, size)
			}
		case <-ctx.Done():
			t.Fatal("handler did not receive the payload")
		}
		if err := c.Err(); err != nil {
			t.Fatalf("connection ended: %v", err)
		}
	})
}

// TestSlowPeerClient: the client side applies the rule to a server that
// trickles a response.
func TestSlowPeerClient(t *testing.T) {
	checkLeaks(t)
	addr := fakePeer(t, func(nc net.Conn) {
		_, _ = nc.Write([]byte{0xE3})
		r := wire.ResponseHeader{MessageID: newID(), ID: newID(), DataSize: 100}
		_, _ = nc.Write(must(wire.AppendResponse(nil, &r)))
		stop := make(chan struct{})
		defer close(stop)
		go drainUntilClosed(nc)
		trickle(nc, cat(must(wire.AppendDataHeader(nil, 100)), make([]byte, 100)), 100*time.Millisecond, stop)
	})
	err := clientErr(t, addr, &slowOpts)
	if !errors.Is(err, sockety.ErrSlowPeer) {
		t.Fatalf("client error %v, want ErrSlowPeer", err)
	}
}
