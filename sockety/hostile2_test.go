package sockety_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// This file extends hostile_test.go: one table of hostile byte sequences
// (sent after a valid 0xE3 connection header) run against our server and,
// the protocol being symmetric, against our client; then behavioural
// hostile peers (timeouts, half-close, reset, TLS, backpressure) for both
// sides. Every case checks the typed error, that a concurrent healthy
// connection keeps working, that the heap stays bounded and (checkLeaks)
// that no goroutine is left.

// heapBound is the generous bound on heap growth for one hostile peer.
const heapBound = 64 << 20

func heapNow() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func checkHeap(t *testing.T, before int64) {
	t.Helper()
	if grow := heapNow() - before; grow > heapBound {
		t.Fatalf("heap grew by %d bytes (bound %d)", grow, heapBound)
	}
}

func newID() wire.UUID { return wire.UUID(sockety.NewUUID()) }

// pkt appends a complete Message packet for m.
func pkt(t *testing.T, m wire.MessageHeader) []byte {
	t.Helper()
	if m.ID == (wire.UUID{}) {
		m.ID = newID()
	}
	b, err := wire.AppendMessage(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// msgContent returns the content bytes (no packet header) of m.
func msgContent(t *testing.T, m wire.MessageHeader) []byte {
	t.Helper()
	if m.ID == (wire.UUID{}) {
		m.ID = newID()
	}
	b, err := wire.AppendMessageContent(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sized(t *testing.T, kind wire.Kind, low byte, content []byte) []byte {
	t.Helper()
	b, err := wire.AppendSized(nil, kind, low, content)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

type hostileInput struct {
	name       string
	opts       sockety.Options // limits of the side under test
	input      func(t *testing.T) []byte
	closeWrite bool  // half-close after the input
	class      error // errors.Is target for the connection's error
	protocol   bool  // the error must also be a *sockety.ProtocolError
}

// hostileInputs are byte sequences that follow a valid 0xE3 header. A
// message's action "x" is unknown to the contract handler, so a valid
// message would only be answered NotImplemented.
func hostileInputs() []hostileInput {
	oneFile := []wire.FileHeader{{Name: "f", Size: 4}}
	return []hostileInput{
		{name: "message size too short then data", input: func(t *testing.T) []byte {
			c := msgContent(t, wire.MessageHeader{Action: "x", DataSize: 2})
			return cat(sized(t, wire.KindMessage, 0, c[:5]), must(wire.AppendData(nil, []byte{1, 2})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "message size too short then close", input: func(t *testing.T) []byte {
			c := msgContent(t, wire.MessageHeader{Action: "x"})
			return sized(t, wire.KindMessage, 0, c[:5])
		}, closeWrite: true, class: wire.ErrTruncated, protocol: true},
		{name: "message size too long", input: func(t *testing.T) []byte {
			c := msgContent(t, wire.MessageHeader{Action: "x"})
			return sized(t, wire.KindMessage, 0, append(c, 0, 0, 0))
		}, class: wire.ErrMalformed, protocol: true},
		{name: "data size lies long then close", input: func(t *testing.T) []byte {
			h := must(wire.AppendDataHeader(nil, 10))
			return cat(pkt(t, wire.MessageHeader{Action: "x", DataSize: 10}), h, []byte{1, 2, 3})
		}, closeWrite: true, class: wire.ErrTruncated, protocol: true},
		{name: "data beyond declared in two packets", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", DataSize: 3}),
				must(wire.AppendData(nil, []byte{1, 2})), must(wire.AppendData(nil, []byte{3, 4})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "file packet for undeclared index", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", Files: oneFile}), must(wire.AppendFile(nil, 3, []byte{1})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "file packet in message without files", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", DataSize: 4}), must(wire.AppendFile(nil, 0, []byte{1})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "file bytes beyond file size", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", Files: oneFile}), must(wire.AppendFile(nil, 0, []byte{1, 2, 3, 4, 5})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "file end for undeclared index", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", Files: oneFile}), must(wire.AppendFileEnd(nil, 7)))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "file end before file complete", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", Files: oneFile}), must(wire.AppendFile(nil, 0, []byte{1})), must(wire.AppendFileEnd(nil, 0)))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "file end twice", input: func(t *testing.T) []byte {
			two := []wire.FileHeader{{Name: "a"}, {Name: "b", Size: 1}}
			return cat(pkt(t, wire.MessageHeader{Action: "x", Files: two}), must(wire.AppendFileEnd(nil, 0)), must(wire.AppendFileEnd(nil, 0)))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "stream packet in message without stream", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", DataSize: 4}), must(wire.AppendStream(nil, []byte{1})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "stream after stream end", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", HasStream: true, DataSize: 1}), wire.AppendStreamEnd(nil), must(wire.AppendStream(nil, []byte{1})))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "stream end with no message", input: func(*testing.T) []byte {
			return wire.AppendStreamEnd(nil)
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "continue on another channel", input: func(t *testing.T) []byte {
			c := msgContent(t, wire.MessageHeader{Action: "x"})
			return cat(sized(t, wire.KindMessage, 0, c[:5]), must(wire.AppendSwitchChannel(nil, 1)), must(wire.AppendContinue(nil, c[5:])))
		}, class: wire.ErrUnexpected, protocol: true},
		{name: "invalid utf-8 file name", input: func(t *testing.T) []byte {
			b := pkt(t, wire.MessageHeader{Action: "x", Files: []wire.FileHeader{{Name: "ab"}}})
			b[len(b)-1] = 0xFE
			return b
		}, class: wire.ErrInvalidUTF8, protocol: true},
		{name: "overlong utf-8 action", input: func(t *testing.T) []byte {
			b := pkt(t, wire.MessageHeader{Action: "ab"})
			b[len(b)-2], b[len(b)-1] = 0xC0, 0x80
			return b
		}, class: wire.ErrInvalidUTF8, protocol: true},
		{name: "surrogate utf-8 action", input: func(t *testing.T) []byte {
			b := pkt(t, wire.MessageHeader{Action: "abc"})
			copy(b[len(b)-3:], []byte{0xED, 0xA0, 0x80})
			return b
		}, class: wire.ErrInvalidUTF8, protocol: true},
		{name: "reserved bits in heartbeat", input: func(*testing.T) []byte { return []byte{0xA5} }, class: wire.ErrReservedBits, protocol: true},
		{name: "reserved bits in data packet", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", DataSize: 1}), []byte{0xE1, 1, 9})
		}, class: wire.ErrReservedBits, protocol: true},
		{name: "reserved bits in file end", input: func(*testing.T) []byte { return []byte{0xD4} }, class: wire.ErrReservedBits, protocol: true},
		{name: "action above MaxActionLength", opts: sockety.Options{MaxActionLength: 16}, input: func(t *testing.T) []byte {
			return pkt(t, wire.MessageHeader{Action: strings.Repeat("a", 17)})
		}, class: wire.ErrLimit, protocol: true},
		{name: "files above MaxFiles", opts: sockety.Options{MaxFiles: 4}, input: func(t *testing.T) []byte {
			return pkt(t, wire.MessageHeader{Action: "x", Files: make([]wire.FileHeader, 5)})
		}, class: wire.ErrLimit, protocol: true},
		{name: "switch beyond announced Channels", opts: sockety.Options{Channels: 16}, input: func(*testing.T) []byte {
			return must(wire.AppendSwitchChannel(nil, 16))
		}, class: wire.ErrChannelRange, protocol: true},
		{name: "headers in progress above MaxBufferedBytes", opts: sockety.Options{MaxBufferedBytes: 64 << 10}, input: func(t *testing.T) []byte {
			// 8 messages each waiting for 1 byte of data, with 16 KiB actions.
			var b []byte
			for ch := 0; ch < 8; ch++ {
				b = cat(b, must(wire.AppendSwitchChannel(nil, ch)), pkt(t, wire.MessageHeader{Action: strings.Repeat(string(rune('a'+ch)), 16<<10), DataSize: 1}))
			}
			return b
		}, class: sockety.ErrLimit, protocol: false},
		{name: "message on busy channel after switch back", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "x", DataSize: 5}), must(wire.AppendSwitchChannel(nil, 1)),
				must(wire.AppendSwitchChannel(nil, 0)), pkt(t, wire.MessageHeader{Action: "y"}))
		}, class: wire.ErrUnexpected, protocol: true},
	}
}

// closedByPeer reads nc until the other side closes it (EOF or reset).
func closedByPeer(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, nc); err != nil && !errors.Is(err, syscallECONNRESET) {
		t.Fatalf("connection not closed by the other side: %v", err)
	}
}

func checkClass(t *testing.T, err error, class error, protocol bool) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if protocol {
		var pe *sockety.ProtocolError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *sockety.ProtocolError", err)
		}
	}
	if class != nil && !errors.Is(err, class) {
		t.Fatalf("error %v, want class %v", err, class)
	}
}

// healthy checks that a concurrent well-behaved connection is served.
func healthy(t *testing.T, c *sockety.Conn) {
	t.Helper()
	rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
	if err != nil || rep.Code != sockety.Accept {
		t.Fatalf("healthy connection: %+v %v", rep, err)
	}
}

func TestHostileInputsServer(t *testing.T) {
	for _, tc := range hostileInputs() {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			o := tc.opts
			addr, errs := errServer(t, &o)
			good := dial(t, addr, nil)
			healthy(t, good)
			nc := rawDial(t, addr)
			if _, err := nc.Write(append([]byte{0xE3}, tc.input(t)...)); err != nil {
				t.Fatal(err)
			}
			if tc.closeWrite {
				_ = nc.(*net.TCPConn).CloseWrite()
			}
			checkClass(t, waitErr(t, errs), tc.class, tc.protocol)
			closedByPeer(t, nc)
			healthy(t, good)
			checkHeap(t, before)
		})
	}
}

// fakePeer listens on loopback and runs script on the one connection it
// accepts (closing it afterwards); it returns the address.
func fakePeer(t *testing.T, script func(nc net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(nc)
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// drainUntilClosed reads nc until it is closed or 10s passed.
func drainUntilClosed(nc net.Conn) {
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.Copy(io.Discard, nc)
}

// clientErr dials addr and waits for the client connection to end; it
// returns the Dial error or the connection's error.
func clientErr(t *testing.T, addr string, opts *sockety.Options) error {
	t.Helper()
	c, err := sockety.Dial(tctx(t), "tcp", addr, opts)
	if err != nil {
		return err
	}
	defer c.Close()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("client connection still open after the hostile input")
	}
	return c.Err()
}

func TestHostileInputsClient(t *testing.T) {
	ref := startServer(t, contract.NewContractHandler(), nil, nil)
	for _, tc := range hostileInputs() {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			good := dial(t, ref.addr, nil)
			healthy(t, good)
			addr := fakePeer(t, func(nc net.Conn) {
				_, _ = nc.Write(append([]byte{0xE3}, tc.input(t)...))
				if tc.closeWrite {
					_ = nc.(*net.TCPConn).CloseWrite()
				}
				drainUntilClosed(nc)
			})
			o := tc.opts
			checkClass(t, clientErr(t, addr, &o), tc.class, tc.protocol)
			healthy(t, good)
			checkHeap(t, before)
		})
	}
}

// trickle writes b one byte every gap, stopping at the first write error
// or when stop is closed (bounded by len(b)).
func trickle(nc net.Conn, b []byte, gap time.Duration, stop <-chan struct{}) {
	for _, x := range b {
		select {
		case <-stop:
			return
		case <-time.After(gap):
		}
		if _, err := nc.Write([]byte{x}); err != nil {
			return
		}
	}
}

func TestHostileHeaderServer(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
		slow  bool // send one byte every 150ms
		class error
	}{
		{"header never sent", nil, false, sockety.ErrHeaderTimeout},
		{"slowloris header", []byte{0xE2, 0x00, 0x10}, true, sockety.ErrHeaderTimeout},
		{"header with zero channels", []byte{0xE2, 0x00, 0x00}, false, wire.ErrInvalidHeader},
		{"header with 4097 channels", []byte{0xE2, 0x01, 0x10}, false, wire.ErrInvalidHeader},
		{"header byte of another protocol", []byte("GET / HTTP/1.1\r\n\r\n"), false, wire.ErrInvalidHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			addr, errs := errServer(t, &sockety.Options{HeaderTimeout: 400 * time.Millisecond})
			good := dial(t, addr, nil)
			nc := rawDial(t, addr)
			stop := make(chan struct{})
			defer close(stop)
			if tc.slow {
				go trickle(nc, tc.input, 150*time.Millisecond, stop)
			} else if _, err := nc.Write(tc.input); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			checkClass(t, waitErr(t, errs), tc.class, false)
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("closed after %v", d)
			}
			closedByPeer(t, nc)
			healthy(t, good)
			checkHeap(t, before)
		})
	}
}

func TestHostileHeaderClient(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
		slow  bool
		class error
	}{
		{"header never sent", nil, false, sockety.ErrHeaderTimeout},
		{"slowloris header", []byte{0xE2, 0x00, 0x10}, true, sockety.ErrHeaderTimeout},
		{"header with zero channels", []byte{0xE2, 0x00, 0x00}, false, wire.ErrInvalidHeader},
		{"header with 4097 channels", []byte{0xE2, 0x01, 0x10}, false, wire.ErrInvalidHeader},
		{"http answer instead of header", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false, wire.ErrInvalidHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			addr := fakePeer(t, func(nc net.Conn) {
				stop := make(chan struct{})
				defer close(stop)
				if tc.slow {
					go trickle(nc, tc.input, 150*time.Millisecond, stop)
				} else {
					_, _ = nc.Write(tc.input)
				}
				drainUntilClosed(nc)
			})
			start := time.Now()
			_, err := sockety.Dial(tctx(t), "tcp", addr, &sockety.Options{HeaderTimeout: 400 * time.Millisecond})
			checkClass(t, err, tc.class, false)
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("dial ended after %v", d)
			}
			checkHeap(t, before)
		})
	}
}

// TestSlowlorisBody: a peer that sends a message body one byte every
// 200ms is not idle, so it is not cut while it trickles (there is no
// per-message deadline; its cost is one channel and a few bytes), other
// connections are served meanwhile, and once it stops the idle timeout
// closes it.
func TestSlowlorisBody(t *testing.T) {
	checkLeaks(t)
	before := heapNow()
	addr, errs := errServer(t, &sockety.Options{IdleTimeout: time.Second})
	good := dial(t, addr, &sockety.Options{HeartbeatInterval: 200 * time.Millisecond})
	nc := rawDial(t, addr)
	head := cat([]byte{0xE3}, pkt(t, wire.MessageHeader{Action: "ping", DataSize: 100}), must(wire.AppendDataHeader(nil, 100)))
	if _, err := nc.Write(head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	trickle(nc, make([]byte, 10), 200*time.Millisecond, stop) // 2s, above IdleTimeout
	select {
	case err := <-errs:
		t.Fatalf("trickling connection cut: %v", err)
	default:
	}
	healthy(t, good)
	start := time.Now()
	checkClass(t, waitErr(t, errs), sockety.ErrIdleTimeout, false)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("idle timeout after %v", d)
	}
	closedByPeer(t, nc)
	healthy(t, good)
	checkHeap(t, before)
}

func TestIdleTimeoutClient(t *testing.T) {
	checkLeaks(t)
	addr := fakePeer(t, func(nc net.Conn) {
		_, _ = nc.Write([]byte{0xE3})
		drainUntilClosed(nc)
	})
	err := clientErr(t, addr, &sockety.Options{IdleTimeout: 300 * time.Millisecond, HeartbeatInterval: -1})
	checkClass(t, err, sockety.ErrIdleTimeout, false)
}

// TestHalfClosedMidMessage: a peer that half-closes with a message whose
// packets are complete but whose data is missing ends with ErrPeerClosed,
// on both sides.
func TestHalfClosedMidMessage(t *testing.T) {
	input := func(t *testing.T) []byte {
		return cat([]byte{0xE3}, pkt(t, wire.MessageHeader{Action: "ping", DataSize: 10}), must(wire.AppendData(nil, []byte{1, 2})))
	}
	t.Run("server", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, nil)
		good := dial(t, addr, nil)
		nc := rawDial(t, addr)
		if _, err := nc.Write(input(t)); err != nil {
			t.Fatal(err)
		}
		_ = nc.(*net.TCPConn).CloseWrite()
		checkClass(t, waitErr(t, errs), sockety.ErrPeerClosed, false)
		closedByPeer(t, nc)
		healthy(t, good)
	})
	t.Run("client", func(t *testing.T) {
		checkLeaks(t)
		addr := fakePeer(t, func(nc net.Conn) {
			_, _ = nc.Write(input(t))
			_ = nc.(*net.TCPConn).CloseWrite()
			drainUntilClosed(nc)
		})
		checkClass(t, clientErr(t, addr, nil), sockety.ErrPeerClosed, false)
	})
	t.Run("client right after header", func(t *testing.T) {
		checkLeaks(t)
		addr := fakePeer(t, func(nc net.Conn) {
			_, _ = nc.Write([]byte{0xE3})
			_ = nc.(*net.TCPConn).CloseWrite()
			drainUntilClosed(nc)
		})
		checkClass(t, clientErr(t, addr, &sockety.Options{HeaderTimeout: time.Second}), sockety.ErrPeerClosed, false)
	})
}

func rst(nc net.Conn) {
	_ = nc.(*net.TCPConn).SetLinger(0)
	_ = nc.Close()
}

func TestResetMidMessage(t *testing.T) {
	input := func(t *testing.T) []byte {
		return cat([]byte{0xE3}, pkt(t, wire.MessageHeader{Action: "ping", DataSize: 1 << 20}), must(wire.AppendDataHeader(nil, 1000)), make([]byte, 10))
	}
	t.Run("server mid-packet", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, nil)
		good := dial(t, addr, nil)
		nc := rawDial(t, addr)
		if _, err := nc.Write(input(t)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		rst(nc)
		checkClass(t, waitErr(t, errs), syscallECONNRESET, false)
		healthy(t, good)
	})
	t.Run("client mid-packet", func(t *testing.T) {
		checkLeaks(t)
		addr := fakePeer(t, func(nc net.Conn) {
			_, _ = nc.Write(input(t))
			time.Sleep(50 * time.Millisecond)
			rst(nc)
		})
		checkClass(t, clientErr(t, addr, nil), syscallECONNRESET, false)
	})
	t.Run("client call in flight", func(t *testing.T) {
		checkLeaks(t)
		addr := fakePeer(t, func(nc net.Conn) {
			_, _ = nc.Write([]byte{0xE3})
			b := make([]byte, 64)
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = nc.Read(b) // the client's header and message
			rst(nc)
		})
		c, err := sockety.Dial(tctx(t), "tcp", addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, err = c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
		if err == nil {
			t.Fatal("call answered by a peer that reset")
		}
		<-c.Done()
		if c.Err() == nil {
			t.Fatal("no connection error")
		}
	})
}

func TestTLSHostile(t *testing.T) {
	scfg, ccfg := selfSigned(t)
	t.Run("server: handshake never sent", func(t *testing.T) {
		checkLeaks(t)
		ts := startServer(t, contract.NewContractHandler(), &sockety.Options{HeaderTimeout: 300 * time.Millisecond}, scfg)
		nc := rawDial(t, ts.addr)
		start := time.Now()
		closedByPeer(t, nc)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("silent TLS peer closed after %v", d)
		}
		c, err := sockety.DialTLS(tctx(t), "tcp", ts.addr, ccfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		healthy(t, c)
	})
	t.Run("server: TLS 1.1 client refused", func(t *testing.T) {
		checkLeaks(t)
		ts := startServer(t, contract.NewContractHandler(), nil, scfg)
		old := ccfg.Clone()
		old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		if c, err := sockety.DialTLS(tctx(t), "tcp", ts.addr, old, nil); err == nil {
			c.Close()
			t.Fatal("TLS 1.1 handshake accepted")
		}
		c, err := sockety.DialTLS(tctx(t), "tcp", ts.addr, ccfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		healthy(t, c)
	})
	t.Run("client: TLS 1.1 server refused", func(t *testing.T) {
		checkLeaks(t)
		old := scfg.Clone()
		old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		for _, cfg := range []*tls.Config{ccfg, {RootCAs: ccfg.RootCAs}} { // ours, and one with Go's default minimum
			addr := fakePeer(t, func(nc net.Conn) {
				tc := tls.Server(nc, old)
				_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
				_ = tc.Handshake()
				drainUntilClosed(nc)
			})
			if c, err := sockety.DialTLS(tctx(t), "tcp", addr, cfg, nil); err == nil {
				c.Close()
				t.Fatal("client accepted a TLS 1.1 server")
			}
		}
	})
	t.Run("client: garbage instead of server hello", func(t *testing.T) {
		checkLeaks(t)
		addr := fakePeer(t, func(nc net.Conn) {
			_, _ = nc.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			drainUntilClosed(nc)
		})
		_, err := sockety.DialTLS(tctx(t), "tcp", addr, ccfg, nil)
		var rh tls.RecordHeaderError
		if !errors.As(err, &rh) {
			t.Fatalf("dial error %v, want a tls.RecordHeaderError", err)
		}
	})
	t.Run("client: server never answers hello", func(t *testing.T) {
		checkLeaks(t)
		addr := fakePeer(t, drainUntilClosed)
		start := time.Now()
		_, err := sockety.DialTLS(tctx(t), "tcp", addr, ccfg, &sockety.Options{HeaderTimeout: 300 * time.Millisecond})
		if err == nil {
			t.Fatal("handshake with a silent server succeeded")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("dial ended after %v", d)
		}
	})
}

// TestServerWritesToPeerThatStopsReading: a client asks for a 64 MiB
// response and never reads; the server's write timeout ends that
// connection, memory stays bounded, others are served.
func TestServerWritesToPeerThatStopsReading(t *testing.T) {
	checkLeaks(t)
	before := heapNow()
	errs := make(chan error, 4)
	r := sockety.NewRouter()
	r.Code("fast", sockety.Accept)
	r.HandleFunc("big", func(m *sockety.Message) {
		_ = m.Respond(context.Background(), &sockety.Outgoing{DataReader: zeros{}, DataSize: 64 << 20})
	})
	ts := startServer(t, r, &sockety.Options{WriteTimeout: 300 * time.Millisecond, OnError: func(_ *sockety.Conn, err error) {
		select {
		case errs <- err:
		default:
		}
	}}, nil)
	good := dial(t, ts.addr, nil)
	nc := rawDial(t, ts.addr)
	if _, err := nc.Write(cat([]byte{0xE3}, pkt(t, wire.MessageHeader{Action: "big", Expects: true}))); err != nil {
		t.Fatal(err)
	}
	err := waitErr(t, errs)
	if !isTimeout(err) {
		t.Fatalf("error %v, want a write timeout", err)
	}
	healthy(t, good)
	checkHeap(t, before)
}

// TestClientHostileFloods: a hostile server's floods reach our client:
// 4096 half-sent messages, 256 TiB declared, a million Switch Channel
// packets. The client stays within the heap bound, then fails with the
// typed error of the byte that follows (or ErrPeerClosed).
func TestClientHostileFloods(t *testing.T) {
	cases := []struct {
		name  string
		input func(t *testing.T) []byte
		class error
	}{
		{"4096 channels each half-sent", func(t *testing.T) []byte {
			var b []byte
			for ch := 0; ch < 4096; ch++ {
				b = cat(b, must(wire.AppendSwitchChannel(nil, ch)), pkt(t, wire.MessageHeader{Action: "ping", DataSize: 60000}), must(wire.AppendData(nil, make([]byte, 10))))
			}
			return b
		}, sockety.ErrPeerClosed},
		{"256 TiB declared", func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "ping", DataSize: wire.MaxSize48}), must(wire.AppendData(nil, make([]byte, 1000))))
		}, sockety.ErrPeerClosed},
		{"switch channel flood", func(t *testing.T) []byte {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte(i & 15)
			}
			return append(b, 0xF0)
		}, wire.ErrUnknownPacket},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			sent := make(chan struct{})
			release := make(chan struct{})
			addr := fakePeer(t, func(nc net.Conn) {
				_, _ = nc.Write(append([]byte{0xE3}, tc.input(t)...))
				close(sent)
				select {
				case <-release:
				case <-time.After(10 * time.Second):
				}
				_ = nc.(*net.TCPConn).CloseWrite()
				drainUntilClosed(nc)
			})
			c, err := sockety.Dial(tctx(t), "tcp", addr, nil)
			if err != nil {
				checkClass(t, err, tc.class, false)
				return
			}
			defer c.Close()
			<-sent
			time.Sleep(100 * time.Millisecond)
			checkHeap(t, before)
			close(release)
			select {
			case <-c.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("client not closed")
			}
			checkClass(t, c.Err(), tc.class, false)
		})
	}
}
