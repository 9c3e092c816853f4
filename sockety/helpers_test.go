package sockety_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// checkLeaks fails t when goroutines started during the test are still
// running a few seconds after it (cleanups run in reverse order, so call it
// first).
func checkLeaks(t testing.TB) {
	t.Helper()
	before, clocked := runtime.NumGoroutine(), sockety.ClockConns()
	t.Cleanup(func() {
		n := runtime.NumGoroutine()
		for deadline := time.Now().Add(5 * time.Second); n > before && time.Now().Before(deadline); n = runtime.NumGoroutine() {
			time.Sleep(10 * time.Millisecond)
		}
		if n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, filterStacks(string(buf)))
		}
		// Every connection that ended left the clock (the goroutines
		// above are gone, so have their connections).
		if k := sockety.ClockConns(); k > clocked {
			t.Errorf("clock leak: %d connections checked before, %d after", clocked, k)
		}
	})
}

func filterStacks(s string) string {
	var out []string
	for _, g := range strings.Split(s, "\n\n") {
		if strings.Contains(g, "sockety") && !strings.Contains(g, "testing.tRunner") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

type testServer struct {
	srv  *sockety.Server
	addr string
	errc chan error
}

// startServer serves h on 127.0.0.1:0 (TLS when cfg is set) until the test ends.
func startServer(t testing.TB, h sockety.Handler, opts *sockety.Options, cfg *tls.Config) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: &sockety.Server{Handler: h, Options: opts}, addr: ln.Addr().String(), errc: make(chan error, 1)}
	go func() {
		if cfg != nil {
			ts.errc <- ts.srv.ServeTLS(ln, cfg)
		} else {
			ts.errc <- ts.srv.Serve(ln)
		}
	}()
	t.Cleanup(func() {
		_ = ts.srv.Close()
		<-ts.errc
	})
	return ts
}

func dial(t testing.TB, addr string, opts *sockety.Options) *sockety.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := sockety.Dial(ctx, "tcp", addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// selfSigned returns a server config with a fresh certificate for
// 127.0.0.1 (from the project's one generator, tlsutil) and a client config
// trusting it.
func selfSigned(t testing.TB) (*tls.Config, *tls.Config) {
	t.Helper()
	material, err := tlsutil.SelfSignedFor("127.0.0.1", time.Hour, nil, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := tlsutil.Server(material)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := tlsutil.Client(material)
	if err != nil {
		t.Fatal(err)
	}
	return srv, cli
}

// pattern returns n deterministic bytes.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// Hostile peers (hostile_test.go, hostile2_test.go, limits_test.go).

// heapBound is the generous bound on heap growth for one hostile peer.
const heapBound = 64 << 20

func heapNow() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// checkHeap fails t when the heap grew by more than heapBound since before.
func checkHeap(t *testing.T, before int64) {
	t.Helper()
	checkHeapBound(t, before, heapBound)
}

// checkHeapBound fails t when the heap grew by more than bound since
// before; it returns the growth.
func checkHeapBound(t *testing.T, before, bound int64) int64 {
	t.Helper()
	grow := heapNow() - before
	if grow > bound {
		t.Fatalf("heap grew by %d bytes (bound %d)", grow, bound)
	}
	return grow
}

// readErrServer serves a handler for action "big" that reads the whole
// message; got receives the error its read ended with.
func readErrServer(t *testing.T) (ts *testServer, got <-chan error) {
	errs := make(chan error, 1)
	r := sockety.NewRouter()
	r.HandleFunc("big", func(m *sockety.Message) { _, err := m.Data().Discard(); errs <- err })
	return startServer(t, r, nil, nil), errs
}

// errServer serves the contract and reports every connection error.
func errServer(t *testing.T, opts *sockety.Options) (string, chan error) {
	return errServerWith(t, contract.NewContractHandler(), opts)
}

// errServerWith serves h and reports every connection error.
func errServerWith(t *testing.T, h sockety.Handler, opts *sockety.Options) (string, chan error) {
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
	ts := startServer(t, h, &o, nil)
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

// mustWrite writes b to nc.
func mustWrite(t *testing.T, nc net.Conn, b []byte) {
	t.Helper()
	if _, err := nc.Write(b); err != nil {
		t.Fatal(err)
	}
}

// recvWithin returns the next value from ch; after d it fails t with what.
func recvWithin[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatal(what)
	}
	var zero T
	return zero
}

func waitErr(t *testing.T, errs chan error) error {
	t.Helper()
	return recvWithin(t, errs, 5*time.Second, "no connection error reported")
}

// noErr fails t when errs already holds an error.
func noErr(t *testing.T, errs chan error, what string) {
	t.Helper()
	select {
	case err := <-errs:
		t.Fatalf("%s: %v", what, err)
	default:
	}
}

// endedWithin fails t when more than bound passed since start.
func endedWithin(t *testing.T, start time.Time, bound time.Duration, what string) {
	t.Helper()
	if d := time.Since(start); d > bound {
		t.Fatalf("%s after %v", what, d)
	}
}

// errWithin waits for the next error on errs, checks its class and that
// it came within bound.
func errWithin(t *testing.T, errs chan error, class error, bound time.Duration, what string) {
	t.Helper()
	start := time.Now()
	checkClass(t, waitErr(t, errs), class, false)
	endedWithin(t, start, bound, what)
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

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var syscallECONNRESET = syscall.ECONNRESET

// closedByPeer reads nc until the other side closes it (EOF or reset).
func closedByPeer(t *testing.T, nc net.Conn) {
	t.Helper()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, nc); err != nil && !errors.Is(err, syscallECONNRESET) {
		t.Fatalf("connection not closed by the other side: %v", err)
	}
}

// drainUntilClosed reads nc until it is closed or 10s passed.
func drainUntilClosed(nc net.Conn) {
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.Copy(io.Discard, nc)
}

// rst closes nc with a TCP reset.
func rst(nc net.Conn) {
	_ = nc.(*net.TCPConn).SetLinger(0)
	_ = nc.Close()
}

// healthy checks that a concurrent well-behaved connection is served.
func healthy(t *testing.T, c *sockety.Conn) {
	t.Helper()
	rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
	if err != nil || rep.Code != sockety.Accept {
		t.Fatalf("healthy connection: %+v %v", rep, err)
	}
}

// healthyTLS dials addr over TLS with cfg and checks that it is served.
func healthyTLS(t *testing.T, addr string, cfg *tls.Config) {
	t.Helper()
	c, err := sockety.DialTLS(tctx(t), "tcp", addr, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	healthy(t, c)
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

// hostilePeer is a fake peer that sends b (and half-closes after it with
// closeWrite), then reads until we close; it returns the address.
func hostilePeer(t *testing.T, b []byte, closeWrite bool) string {
	t.Helper()
	return fakePeer(t, func(nc net.Conn) {
		_, _ = nc.Write(b)
		if closeWrite {
			_ = nc.(*net.TCPConn).CloseWrite()
		}
		drainUntilClosed(nc)
	})
}

// deafPeer is a fake peer that sends its connection header and then never
// reads until the test ends; it returns our client connected to it.
func deafPeer(t *testing.T, opts *sockety.Options) *sockety.Conn {
	t.Helper()
	release := make(chan struct{})
	addr := fakePeer(t, func(nc net.Conn) {
		_, _ = nc.Write([]byte{0xE3})
		<-release
	})
	t.Cleanup(func() { close(release) }) // before fakePeer's cleanup
	c, err := sockety.Dial(tctx(t), "tcp", addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() }) // before the peer goes
	return c
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
	recvWithin(t, c.Done(), 10*time.Second, "client connection still open after the hostile input")
	return c.Err()
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

func newID() wire.UUID { return wire.UUID(sockety.NewUUID()) }

// pkt appends a complete Message packet for m.
func pkt(t *testing.T, m wire.MessageHeader) []byte {
	t.Helper()
	return encodeMsg(t, m, wire.AppendMessage)
}

// msgBytes is the Message packet of a fresh message.
func msgBytes(t *testing.T, action string, dataSize uint64, expects bool) []byte {
	t.Helper()
	return pkt(t, wire.MessageHeader{Action: action, DataSize: dataSize, Expects: expects})
}

// msgContent returns the content bytes (no packet header) of m.
func msgContent(t *testing.T, m wire.MessageHeader) []byte {
	t.Helper()
	return encodeMsg(t, m, wire.AppendMessageContent)
}

// encodeMsg encodes m with enc, with a fresh ID when m has none.
func encodeMsg(t *testing.T, m wire.MessageHeader, enc func([]byte, *wire.MessageHeader) ([]byte, error)) []byte {
	t.Helper()
	if m.ID == (wire.UUID{}) {
		m.ID = newID()
	}
	b, err := enc(nil, &m)
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
