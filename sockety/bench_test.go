package sockety_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// The benchmarks run client and server in one process over loopback: 2
// connections with 100 operations in flight each, like the seed's load.
// Throughput is reported as msgs/s (or MB/s delivered at the server) next
// to a raw-TCP baseline of the same shape (BenchmarkRawTCP*): compare the
// two as ratios within one run, since the machine is noisy.

const benchConns = 2

// benchInFlight is the operations in flight per connection (100;
// SOCKETY_BENCH_INFLIGHT overrides it for exploration).
var benchInFlight = func() int {
	if n, err := strconv.Atoi(os.Getenv("SOCKETY_BENCH_INFLIGHT")); err == nil && n > 0 {
		return n
	}
	return 100
}()

// countingHandler counts what the contract server received.
type countingHandler struct {
	contract.Handler
	msgs  atomic.Int64
	bytes atomic.Int64
}

func (h *countingHandler) ServeSockety(m *sockety.Message) {
	if m.Action == "data" {
		n, _ := m.Data().Discard()
		h.bytes.Add(n)
		h.msgs.Add(1)
		return
	}
	h.msgs.Add(1)
	h.Handler.ServeSockety(m)
}

func (h *countingHandler) Inline(m *sockety.Message) bool { return h.Handler.Inline(m) }

// benchOptions are the benchmarks' connection options: the defaults, or
// with SOCKETY_BENCH_TIMERS=off no heartbeat, idle or write timeout (to
// measure what the timers cost), or with SOCKETY_BENCH_WQ=N a write queue
// of N bytes (WriteQueueBytes).
func benchOptions() *sockety.Options {
	if n, err := strconv.Atoi(os.Getenv("SOCKETY_BENCH_WQ")); err == nil {
		return &sockety.Options{WriteQueueBytes: n}
	}
	switch os.Getenv("SOCKETY_BENCH_TIMERS") {
	case "off":
		return &sockety.Options{HeartbeatInterval: -1, IdleTimeout: -1, WriteTimeout: -1}
	case "nowrite":
		return &sockety.Options{WriteTimeout: -1}
	case "notick":
		return &sockety.Options{HeartbeatInterval: -1, IdleTimeout: -1}
	}
	return nil
}

func benchSetup(b *testing.B) (*countingHandler, []*sockety.Conn) {
	h := &countingHandler{}
	ts := startServer(b, h, benchOptions(), nil)
	conns := make([]*sockety.Conn, benchConns)
	for i := range conns {
		conns[i] = dial(b, ts.addr, benchOptions())
	}
	return h, conns
}

// grain is how many operations a load goroutine takes from the shared
// counter at once (testing.PB does the same in RunParallel): one atomic add
// per operation made that counter's cache line bounce between the cores on
// every operation, a cost of the benchmark, not of what it measures.
const grain = 16

// take hands out the next operations of n in batches of grain: it returns
// how many the caller runs (0 when all are taken).
func take(next *atomic.Int64, n int) int {
	end := next.Add(grain)
	start := end - grain
	if start >= int64(n) {
		return 0
	}
	return int(min(end, int64(n)) - start)
}

// runLoad runs op b.N times from benchConns*benchInFlight goroutines.
func runLoad(b *testing.B, conns []*sockety.Conn, op func(c *sockety.Conn) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := 0; i < benchConns*benchInFlight; i++ {
		wg.Add(1)
		go func(c *sockety.Conn) {
			defer wg.Done()
			for k := take(&next, b.N); k > 0; k = take(&next, b.N) {
				for range k {
					if err := op(c); err != nil {
						failed.Add(1)
						return
					}
				}
			}
		}(conns[i%len(conns)])
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d operations failed", n)
	}
}

func waitCount(b *testing.B, c *atomic.Int64, n int64) {
	deadline := time.Now().Add(60 * time.Second)
	for c.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("server received %d of %d", c.Load(), n)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func writes(conns []*sockety.Conn) uint64 {
	var n uint64
	for _, c := range conns {
		n += c.Writes()
	}
	return n
}

func reads(conns []*sockety.Conn) uint64 {
	var n uint64
	for _, c := range conns {
		n += c.Reads()
	}
	return n
}

func report(b *testing.B, start time.Time, conns []*sockety.Conn, w0, r0 uint64, unit string) {
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/el, unit)
	b.ReportMetric(float64(writes(conns)-w0)/float64(b.N), "writes/op")
	b.ReportMetric(float64(reads(conns)-r0)/float64(b.N), "reads/op")
}

// measureOps runs op b.N times over conns (see runLoad), then done (which
// waits for the server's side when op does not), and reports ops per
// second as unit, writes per op and CPU per op.
func measureOps(b *testing.B, conns []*sockety.Conn, unit string, op func(c *sockety.Conn) error, done func()) {
	measure(b, conns, unit, func() {
		runLoad(b, conns, op)
		if done != nil {
			done()
		}
	})
}

// measure runs load (b.N operations) and reports them per second as unit,
// with writes, reads and CPU per operation.
func measure(b *testing.B, conns []*sockety.Conn, unit string, load func()) {
	b.ReportAllocs()
	b.ResetTimer()
	w0, r0 := writes(conns), reads(conns)
	start := time.Now()
	cpu0 := cpuTime()
	load()
	report(b, start, conns, w0, r0, unit)
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// callOp sends action and waits for its first reply.
func callOp(action string) func(c *sockety.Conn) error {
	ctx := context.Background()
	return func(c *sockety.Conn) error {
		_, err := c.Call(ctx, &sockety.Outgoing{Action: action})
		return err
	}
}

// BenchmarkCallFuncFast and BenchmarkCallFuncEcho are BenchmarkCallFast
// and BenchmarkCallEcho through CallFunc: the same 2 connections x 100
// calls in flight, kept by callbacks (each reply's function sends the next
// call, as a Node.js client does) instead of 200 goroutines parked in Call.
func BenchmarkCallFuncFast(b *testing.B) {
	_, conns := benchSetup(b)
	measureAsync(b, conns, "fast")
}

func BenchmarkCallFuncEcho(b *testing.B) {
	_, conns := benchSetup(b)
	measureAsync(b, conns, "echo")
}

func measureAsync(b *testing.B, conns []*sockety.Conn, action string) {
	measure(b, conns, "rt/s", func() { runAsync(b, conns, action) })
}

// runAsync makes b.N calls of action with CallFunc, benchInFlight at a
// time per connection: each call's function starts the next one of its
// chain, which takes its calls from the shared count in batches as
// runLoad's goroutines do.
func runAsync(b *testing.B, conns []*sockety.Conn, action string) {
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	ctx := context.Background()
	for i := 0; i < benchConns*benchInFlight; i++ {
		ch := &asyncChain{c: conns[i%len(conns)], o: &sockety.Outgoing{Action: action}, next: &next, n: b.N, wg: &wg, failed: &failed}
		ch.done = func(r sockety.Reply, err error) {
			if err != nil {
				ch.failed.Add(1)
				ch.wg.Done()
				return
			}
			if r.Response != nil {
				r.Response.Discard()
			}
			ch.call(ctx)
		}
		wg.Add(1)
		ch.call(ctx)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("calls still in flight after 5 minutes")
	}
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d calls failed", n)
	}
}

type asyncChain struct {
	c      *sockety.Conn
	o      *sockety.Outgoing
	next   *atomic.Int64
	n      int
	left   int
	wg     *sync.WaitGroup
	failed *atomic.Int64
	done   func(sockety.Reply, error)
}

// call starts the chain's next call, or ends the chain when the count is
// used up.
func (ch *asyncChain) call(ctx context.Context) {
	if ch.left == 0 {
		if ch.left = take(ch.next, ch.n); ch.left == 0 {
			ch.wg.Done()
			return
		}
	}
	ch.left--
	ch.c.CallFunc(ctx, ch.o, ch.done)
}

func BenchmarkPassPing(b *testing.B) {
	h, conns := benchSetup(b)
	o := &sockety.Outgoing{Action: "ping"}
	ctx := context.Background()
	measureOps(b, conns, "msgs/s", func(c *sockety.Conn) error { return c.Pass(ctx, o) },
		func() { waitCount(b, &h.msgs, int64(b.N)) })
}

func BenchmarkCallFast(b *testing.B) {
	_, conns := benchSetup(b)
	measureOps(b, conns, "rt/s", callOp("fast"), nil)
}

func BenchmarkCallEcho(b *testing.B) {
	_, conns := benchSetup(b)
	measureOps(b, conns, "rt/s", callOp("echo"), nil)
}

func benchData(b *testing.B, size int) {
	h, conns := benchSetup(b)
	data := make([]byte, size)
	ctx := context.Background()
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	runLoad(b, conns, func(c *sockety.Conn) error {
		return c.Pass(ctx, &sockety.Outgoing{Action: "data", Data: data})
	})
	waitCount(b, &h.msgs, int64(b.N))
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(h.bytes.Load())/el/1e6, "MB/s-delivered")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(h.bytes.Load())*1024, "cpu-ns/KiB")
}

// cpuTime is the process's user+system CPU time in nanoseconds: on a noisy
// machine, CPU per byte compares implementations better than wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkData1MiB(b *testing.B) { benchData(b, 1<<20) }
func BenchmarkData4MiB(b *testing.B) { benchData(b, 4<<20) }

// --- raw TCP baseline: length-prefixed frames, batched writes ---
//
// Frame: uint32 length of what follows, 1 byte kind, 8 bytes id, payload.
// Kinds: 0 one-way (counted), 1 request (answered with an empty kind-2 frame).
//
// The baseline is meant to be strong, so that ratios against it mean
// something: senders append frames to a shared buffer under a lock; one
// flush goroutine per connection yields once (like the Sockety writer) so
// that ready senders add to the batch, then writes the whole batch with one
// system call; the server batches its replies the same way. A request's id
// is the index of its sender's slot, and each slot owns one reusable
// channel, so matching a reply is an array index and nothing is allocated
// per call.

type rawConn struct {
	nc     net.Conn
	mu     sync.Mutex
	buf    []byte
	kicked bool
	kick   chan struct{}
	slots  []chan struct{} // per in-flight caller, indexed by request id
	writes atomic.Uint64
	reads  atomic.Uint64
}

// Read counts the connection's Read calls (the reply reader's).
func (c *rawConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.nc.Read(p)
}

func newRawConn(nc net.Conn, slots int) *rawConn {
	c := &rawConn{nc: nc, kick: make(chan struct{}, 1), buf: make([]byte, 0, 16<<10)}
	c.slots = make([]chan struct{}, slots)
	for i := range c.slots {
		c.slots[i] = make(chan struct{}, 1)
	}
	return c
}

func (c *rawConn) flushLoop() {
	out := make([]byte, 0, 16<<10)
	for range c.kick {
		runtime.Gosched()
		c.mu.Lock()
		out, c.buf = c.buf, out[:0]
		c.kicked = false
		c.mu.Unlock()
		if len(out) > 0 {
			c.writes.Add(1)
			if _, err := c.nc.Write(out); err != nil {
				return
			}
		}
	}
}

func (c *rawConn) frame(kind byte, id uint64, payload []byte) {
	c.mu.Lock()
	c.buf = binary.LittleEndian.AppendUint32(c.buf, uint32(9+len(payload)))
	c.buf = append(c.buf, kind)
	c.buf = binary.LittleEndian.AppendUint64(c.buf, id)
	c.buf = append(c.buf, payload...)
	kick := !c.kicked
	c.kicked = true
	c.mu.Unlock()
	if kick {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// big writes a large frame in place (writev), serialized with the batches.
func (c *rawConn) big(payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var h [13]byte
	binary.LittleEndian.PutUint32(h[:], uint32(9+len(payload)))
	bufs := net.Buffers{c.buf, h[:], payload}
	c.buf = c.buf[:0]
	c.writes.Add(1)
	_, err := bufs.WriteTo(c.nc)
	return err
}

// call sends a request from slot and waits for its reply.
func (c *rawConn) call(slot int) error {
	c.frame(1, uint64(slot), nil)
	<-c.slots[slot]
	return nil
}

func (c *rawConn) readReplies() {
	r := bufio.NewReaderSize(c, 64<<10)
	var h [13]byte
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			for _, s := range c.slots {
				close(s) // unblock callers of a failed connection
			}
			return
		}
		if id := binary.LittleEndian.Uint64(h[5:]); id < uint64(len(c.slots)) {
			c.slots[id] <- struct{}{}
		}
	}
}

type rawServer struct {
	ln    net.Listener
	msgs  atomic.Int64
	bytes atomic.Int64
	wg    sync.WaitGroup
}

func startRaw(b *testing.B) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(nc)
			}()
		}
	}()
	b.Cleanup(func() {
		_ = ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) serve(nc net.Conn) {
	defer nc.Close()
	out := newRawConn(nc, 0)
	go out.flushLoop()
	defer close(out.kick)
	buf := make([]byte, 64<<10)
	var h [13]byte
	r := bufio.NewReaderSize(nc, 64<<10)
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(h[:])) - 9
		for n > 0 {
			k, err := r.Read(buf[:min(n, len(buf))])
			if err != nil {
				return
			}
			n -= k
			s.bytes.Add(int64(k))
		}
		s.msgs.Add(1)
		if h[4] == 1 {
			out.frame(2, binary.LittleEndian.Uint64(h[5:]), nil)
		}
	}
}

func rawSetup(b *testing.B) (*rawServer, []*rawConn) {
	s := startRaw(b)
	conns := make([]*rawConn, benchConns)
	for i := range conns {
		nc, err := net.Dial("tcp", s.ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		_ = nc.(*net.TCPConn).SetNoDelay(true)
		b.Cleanup(func() { _ = nc.Close() })
		conns[i] = newRawConn(nc, benchInFlight)
		go conns[i].flushLoop()
		go conns[i].readReplies()
		b.Cleanup(func() { close(conns[i].kick) })
	}
	return s, conns
}

// runRaw runs op b.N times from benchConns*benchInFlight goroutines; each
// goroutine has its own slot on its connection.
func runRaw(b *testing.B, conns []*rawConn, op func(c *rawConn, slot int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := 0; i < benchConns*benchInFlight; i++ {
		wg.Add(1)
		go func(c *rawConn, slot int) {
			defer wg.Done()
			for k := take(&next, b.N); k > 0; k = take(&next, b.N) {
				for range k {
					if err := op(c, slot); err != nil {
						failed.Add(1)
						return
					}
				}
			}
		}(conns[i%len(conns)], i/len(conns))
	}
	wg.Wait()
	if failed.Load() > 0 {
		b.Fatal("raw operations failed")
	}
}

func rawWrites(conns []*rawConn) uint64 {
	var n uint64
	for _, c := range conns {
		n += c.writes.Load()
	}
	return n
}

func rawReads(conns []*rawConn) uint64 {
	var n uint64
	for _, c := range conns {
		n += c.reads.Load()
	}
	return n
}

func BenchmarkRawTCPPing(b *testing.B) {
	s, conns := rawSetup(b)
	payload := make([]byte, 8) // about the size of a Sockety "ping" message's content
	b.ReportAllocs()
	b.ResetTimer()
	w0 := rawWrites(conns)
	start := time.Now()
	cpu0 := cpuTime()
	runRaw(b, conns, func(c *rawConn, _ int) error { c.frame(0, 0, payload); return nil })
	waitCount(b, &s.msgs, int64(b.N))
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(rawWrites(conns)-w0)/float64(b.N), "writes/op")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkRawTCPCall(b *testing.B) {
	_, conns := rawSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	w0, r0 := rawWrites(conns), rawReads(conns)
	start := time.Now()
	cpu0 := cpuTime()
	runRaw(b, conns, func(c *rawConn, slot int) error { return c.call(slot) })
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rt/s")
	b.ReportMetric(float64(rawWrites(conns)-w0)/float64(b.N), "writes/op")
	b.ReportMetric(float64(rawReads(conns)-r0)/float64(b.N), "reads/op")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func benchRawData(b *testing.B, size int) {
	s, conns := rawSetup(b)
	data := make([]byte, size)
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	runRaw(b, conns, func(c *rawConn, _ int) error { return c.big(data) })
	waitCount(b, &s.msgs, int64(b.N))
	b.ReportMetric(float64(s.bytes.Load())/time.Since(start).Seconds()/1e6, "MB/s-delivered")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(s.bytes.Load())*1024, "cpu-ns/KiB")
}

func BenchmarkRawTCPData1MiB(b *testing.B) { benchRawData(b, 1<<20) }
func BenchmarkRawTCPData4MiB(b *testing.B) { benchRawData(b, 4<<20) }

// BenchmarkFastDuringTransfer measures fast-reply round trips on a
// connection that carries 64 MiB transfers at the same time: the reported
// rt/s and the ns/op (latency, one round trip at a time) show what the
// channel interleaving costs small requests.
func BenchmarkFastDuringTransfer(b *testing.B) {
	_, conns := benchSetup(b)
	c := conns[0]
	big := make([]byte, 64<<20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := c.Pass(ctx, &sockety.Outgoing{Action: "data", Data: big}); err != nil {
				return
			}
		}
	}()
	time.Sleep(10 * time.Millisecond)
	o := &sockety.Outgoing{Action: "fast"}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := c.Call(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rt/s")
	b.StopTimer()
	cancel()
	<-done
}

// goroutineHandler hides Inline: every message gets its own goroutine, for
// comparison with the inline dispatch of BenchmarkCallFast.
type goroutineHandler struct{ h sockety.Handler }

func (g goroutineHandler) ServeSockety(m *sockety.Message) { g.h.ServeSockety(m) }

func BenchmarkCallFastNoInline(b *testing.B) {
	ts := startServer(b, goroutineHandler{contract.NewContractHandler()}, nil, nil)
	conns := []*sockety.Conn{dial(b, ts.addr, nil), dial(b, ts.addr, nil)}
	measureOps(b, conns, "rt/s", callOp("fast"), nil)
}
