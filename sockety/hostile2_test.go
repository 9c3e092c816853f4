package sockety_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
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

type hostileInput struct {
	name       string
	opts       sockety.Options // limits of the side under test
	input      func(t *testing.T) []byte
	closeWrite bool   // half-close after the input
	class      error  // errors.Is target for the connection's error
	protocol   bool   // the error must also be a *sockety.ProtocolError
	noHeader   bool   // input is sent instead of the 0xE3 header, not after it
	limit      string // the Options limit the input exceeds by one, if any
}

// bytes is what the hostile peer sends.
func (h hostileInput) bytes(t *testing.T) []byte {
	if h.noHeader {
		return h.input(t)
	}
	return append([]byte{0xE3}, h.input(t)...)
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
		}, class: wire.ErrLimit, protocol: true, limit: "MaxActionLength"},
		{name: "files above MaxFiles", opts: sockety.Options{MaxFiles: 4}, input: func(t *testing.T) []byte {
			return pkt(t, wire.MessageHeader{Action: "x", Files: make([]wire.FileHeader, 5)})
		}, class: wire.ErrLimit, protocol: true, limit: "MaxFiles"},
		{name: "switch beyond announced Channels", opts: sockety.Options{Channels: 16}, input: func(*testing.T) []byte {
			return must(wire.AppendSwitchChannel(nil, 16))
		}, class: wire.ErrChannelRange, protocol: true, limit: "Channels"},
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

// attackServer runs one hostile input against our contract server (with
// tc's limits) beside a healthy connection: the server must report an error
// of tc's class and close the hostile connection, while it keeps serving
// the healthy one within the heap bound. It returns the server's error.
func attackServer(t *testing.T, tc hostileInput) error {
	t.Helper()
	checkLeaks(t)
	before := heapNow()
	o := tc.opts
	addr, errs := errServer(t, &o)
	good := dial(t, addr, nil)
	healthy(t, good)
	nc := rawDial(t, addr)
	mustWrite(t, nc, tc.bytes(t))
	if tc.closeWrite {
		_ = nc.(*net.TCPConn).CloseWrite()
	}
	err := waitErr(t, errs)
	checkClass(t, err, tc.class, tc.protocol)
	closedByPeer(t, nc)
	healthy(t, good)
	checkHeap(t, before)
	return err
}

func TestHostileInputsServer(t *testing.T) {
	for _, tc := range hostileInputs() {
		t.Run(tc.name, func(t *testing.T) { attackServer(t, tc) })
	}
}

func TestHostileInputsClient(t *testing.T) {
	ref := startServer(t, contract.NewContractHandler(), nil, nil)
	for _, tc := range hostileInputs() {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			good := dial(t, ref.addr, nil)
			healthy(t, good)
			addr := hostilePeer(t, tc.bytes(t), tc.closeWrite)
			o := tc.opts
			checkClass(t, clientErr(t, addr, &o), tc.class, tc.protocol)
			healthy(t, good)
			checkHeap(t, before)
		})
	}
}

type hostileHeader struct {
	name  string
	input []byte
	slow  bool // send one byte every 150ms
	class error
}

// hostileHeaders are connection headers that never come or are invalid,
// for both sides; other is the side's own case of another protocol's bytes.
func hostileHeaders(other hostileHeader) []hostileHeader {
	return []hostileHeader{
		{"header never sent", nil, false, sockety.ErrHeaderTimeout},
		{"slowloris header", []byte{0xE2, 0x00, 0x10}, true, sockety.ErrHeaderTimeout},
		{"header with zero channels", []byte{0xE2, 0x00, 0x00}, false, wire.ErrInvalidHeader},
		{"header with 4097 channels", []byte{0xE2, 0x01, 0x10}, false, wire.ErrInvalidHeader},
		other,
	}
}

// writeTo writes the header to nc, or with slow trickles it in the
// background until stop is closed.
func (h hostileHeader) writeTo(nc net.Conn, stop <-chan struct{}) error {
	if h.slow {
		go trickle(nc, h.input, 150*time.Millisecond, stop)
		return nil
	}
	_, err := nc.Write(h.input)
	return err
}

func TestHostileHeaderServer(t *testing.T) {
	for _, tc := range hostileHeaders(hostileHeader{"header byte of another protocol", []byte("GET / HTTP/1.1\r\n\r\n"), false, wire.ErrInvalidHeader}) {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			addr, errs := errServer(t, &sockety.Options{HeaderTimeout: 400 * time.Millisecond})
			good := dial(t, addr, nil)
			nc := rawDial(t, addr)
			stop := make(chan struct{})
			defer close(stop)
			if err := tc.writeTo(nc, stop); err != nil {
				t.Fatal(err)
			}
			errWithin(t, errs, tc.class, 3*time.Second, "closed")
			closedByPeer(t, nc)
			healthy(t, good)
			checkHeap(t, before)
		})
	}
}

func TestHostileHeaderClient(t *testing.T) {
	for _, tc := range hostileHeaders(hostileHeader{"http answer instead of header", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false, wire.ErrInvalidHeader}) {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			addr := fakePeer(t, func(nc net.Conn) {
				stop := make(chan struct{})
				defer close(stop)
				_ = tc.writeTo(nc, stop)
				drainUntilClosed(nc)
			})
			start := time.Now()
			_, err := sockety.Dial(tctx(t), "tcp", addr, &sockety.Options{HeaderTimeout: 400 * time.Millisecond})
			checkClass(t, err, tc.class, false)
			endedWithin(t, start, 3*time.Second, "dial ended")
			checkHeap(t, before)
		})
	}
}

// TestSlowlorisBody: with the receive-rate rule disabled (MinReceiveRate
// negative), a peer that sends a message body one byte every 200ms is not
// idle, so it is not cut while it trickles (its cost is one channel and a
// few bytes), other connections are served meanwhile, and once it stops
// the idle timeout closes it. With the rule on (the default), such a peer
// is cut with ErrSlowPeer: see TestSlowPeerCut.
func TestSlowlorisBody(t *testing.T) {
	checkLeaks(t)
	before := heapNow()
	addr, errs := errServer(t, &sockety.Options{IdleTimeout: time.Second, MinReceiveRate: -1, ReceiveRateWindow: 300 * time.Millisecond})
	good := dial(t, addr, &sockety.Options{HeartbeatInterval: 200 * time.Millisecond})
	nc := rawDial(t, addr)
	mustWrite(t, nc, cat([]byte{0xE3}, pkt(t, wire.MessageHeader{Action: "ping", DataSize: 100}), must(wire.AppendDataHeader(nil, 100))))
	stop := make(chan struct{})
	defer close(stop)
	trickle(nc, make([]byte, 10), 200*time.Millisecond, stop) // 2s, above IdleTimeout
	noErr(t, errs, "trickling connection cut")
	healthy(t, good)
	errWithin(t, errs, sockety.ErrIdleTimeout, 3*time.Second, "idle timeout")
	closedByPeer(t, nc)
	healthy(t, good)
	checkHeap(t, before)
}

func TestIdleTimeoutClient(t *testing.T) {
	checkLeaks(t)
	addr := hostilePeer(t, []byte{0xE3}, false)
	err := clientErr(t, addr, &sockety.Options{IdleTimeout: 300 * time.Millisecond, HeartbeatInterval: -1})
	checkClass(t, err, sockety.ErrIdleTimeout, false)
}

// TestHalfClosedMidMessage: a peer that half-closes with a message whose
// packets are complete but whose data is missing ends with ErrPeerClosed,
// on both sides.
func TestHalfClosedMidMessage(t *testing.T) {
	input := func(t *testing.T) []byte {
		return cat(pkt(t, wire.MessageHeader{Action: "ping", DataSize: 10}), must(wire.AppendData(nil, []byte{1, 2})))
	}
	t.Run("server", func(t *testing.T) {
		attackServer(t, hostileInput{input: input, closeWrite: true, class: sockety.ErrPeerClosed})
	})
	t.Run("client", func(t *testing.T) {
		checkLeaks(t)
		addr := hostilePeer(t, append([]byte{0xE3}, input(t)...), true)
		checkClass(t, clientErr(t, addr, nil), sockety.ErrPeerClosed, false)
	})
	t.Run("client right after header", func(t *testing.T) {
		checkLeaks(t)
		addr := hostilePeer(t, []byte{0xE3}, true)
		checkClass(t, clientErr(t, addr, &sockety.Options{HeaderTimeout: time.Second}), sockety.ErrPeerClosed, false)
	})
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
		mustWrite(t, nc, input(t))
		time.Sleep(50 * time.Millisecond)
		rst(nc)
		checkClass(t, waitErr(t, errs), syscallECONNRESET, false)
		healthy(t, good)
	})
	t.Run("client mid-packet", func(t *testing.T) {
		checkLeaks(t)
		b := input(t)
		addr := fakePeer(t, func(nc net.Conn) {
			_, _ = nc.Write(b)
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
		endedWithin(t, start, 3*time.Second, "silent TLS peer closed")
		healthyTLS(t, ts.addr, ccfg)
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
		healthyTLS(t, ts.addr, ccfg)
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
		addr := hostilePeer(t, []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false)
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
		endedWithin(t, start, 3*time.Second, "dial ended")
	})
}

// TestServerWritesToPeerThatStopsReading: a client asks for a 64 MiB
// response and never reads; the server's write timeout ends that
// connection, memory stays bounded, others are served.
func TestServerWritesToPeerThatStopsReading(t *testing.T) {
	checkLeaks(t)
	before := heapNow()
	r := sockety.NewRouter()
	r.Code("fast", sockety.Accept)
	r.HandleFunc("big", func(m *sockety.Message) {
		_ = m.Respond(context.Background(), &sockety.Outgoing{DataReader: zeros{}, DataSize: 64 << 20})
	})
	addr, errs := errServerWith(t, r, &sockety.Options{WriteTimeout: 300 * time.Millisecond})
	good := dial(t, addr, nil)
	nc := rawDial(t, addr)
	mustWrite(t, nc, cat([]byte{0xE3}, pkt(t, wire.MessageHeader{Action: "big", Expects: true})))
	if err := waitErr(t, errs); !isTimeout(err) {
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
	cases := []hostileInput{
		{name: "4096 channels each half-sent", input: func(t *testing.T) []byte {
			var b []byte
			for ch := 0; ch < 4096; ch++ {
				b = cat(b, must(wire.AppendSwitchChannel(nil, ch)), pkt(t, wire.MessageHeader{Action: "ping", DataSize: 60000}), must(wire.AppendData(nil, make([]byte, 10))))
			}
			return b
		}, class: sockety.ErrPeerClosed},
		{name: "256 TiB declared", input: func(t *testing.T) []byte {
			return cat(pkt(t, wire.MessageHeader{Action: "ping", DataSize: wire.MaxSize48}), must(wire.AppendData(nil, make([]byte, 1000))))
		}, class: sockety.ErrPeerClosed},
		{name: "switch channel flood", input: func(*testing.T) []byte {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = byte(i & 15)
			}
			return append(b, 0xF0)
		}, class: wire.ErrUnknownPacket},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			before := heapNow()
			sent := make(chan struct{})
			release := make(chan struct{})
			b := tc.bytes(t)
			addr := fakePeer(t, func(nc net.Conn) {
				_, _ = nc.Write(b)
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
			recvWithin(t, c.Done(), 10*time.Second, "client not closed")
			checkClass(t, c.Err(), tc.class, false)
		})
	}
}
