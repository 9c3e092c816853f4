package http1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// connPool is the default HTTP/1 client: net/http's own HTTP/1.1 codec
// (Request.Write, http.ReadResponse) on exactly n keep-alive connections
// that the adapter dials and owns. An operation takes a free connection,
// writes its request, reads the response and gives the connection back once
// the body has been read to its end, all in the operation's goroutine.
//
// http.Transport (the other variant, transportClient) moves every request
// across three goroutines (the caller, the connection's write loop and its
// read loop) and wakes two of them per request. Driving the same pinned
// server as wrk, it needed 47 µs of client CPU per request at 4 connections
// and 36 µs at 32; this client 36 and 28 µs (medians of 8 rounds,
// results/harness-vs-wrk-h2load.md). What the transport adds
// beyond that, the benchmark does not use: a pool that dials on demand
// (this one never holds more than n connections), proxies, HTTP/2
// upgrades, retries of requests on a connection the server closed (the
// benchmark server never closes one; a failure here is reported, not
// retried).
type connPool struct {
	addr string
	tls  *tls.Config
	// free holds the n connection slots: a connection not in use, or nil
	// for a slot whose connection broke and is dialled by its next taker.
	free  chan *pconn
	dials atomic.Int64
	// watches holds one watch per operation context in use (keyed by its
	// Done channel), registered when an operation first brings the
	// context and dropped when the context ends (or at Close).
	watches sync.Map

	mu     sync.Mutex
	live   map[*pconn]struct{} // every open connection, for Close and interrupt
	closed bool
}

// pconn is one connection with its buffers.
type pconn struct {
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	// aw is nc as an awaitConn (plain TCP), nil over TLS.
	aw *awaitConn

	mu sync.Mutex
	// w is the watch of the context of the operation using the
	// connection, nil when idle or when that context cannot end.
	w *watch
	// interrupted is set when that context ended during the operation:
	// the connection's deadline was put in the past, it is not reused.
	interrupted bool
}

// watch interrupts the connections of the operations of one context when
// the context ends.
//
// Registering a context.AfterFunc per operation cost about 0.5 µs and three
// allocations, and the harness passes each of its load goroutines' operations
// the same context: a context is registered once, with its first
// operation, and an operation then only marks its connection with the
// watch (pconn.w) for its duration. When the context ends, interrupt puts
// the deadline of the connections so marked in the past. A context used
// by operations and never cancelled keeps its entry until Close; one
// created and cancelled per operation costs a registration per operation,
// as before.
type watch struct {
	done <-chan struct{}
	stop func() bool // set once registered; guarded by connPool.mu
}

// aLongTimeAgo is a deadline in the past: setting it makes the
// connection's blocked reads and writes return at once.
var aLongTimeAgo = time.Unix(1, 0)

// errPoolClosed is returned by operations after Close.
var errPoolClosed = errors.New("http1: client closed")

// newConnPool dials n connections to addr (over TLS when tcfg is not nil).
func newConnPool(ctx context.Context, addr string, tcfg *tls.Config, n int) (*connPool, error) {
	p := &connPool{addr: addr, tls: tcfg, free: make(chan *pconn, n), live: map[*pconn]struct{}{}}
	for range n {
		pc, err := p.dial(ctx)
		if err != nil {
			_ = p.Close()
			return nil, err
		}
		p.free <- pc
	}
	return p, nil
}

func (p *connPool) dial(ctx context.Context) (*pconn, error) {
	var d net.Dialer
	p.dials.Add(1)
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("http1: dial %s: %w", p.addr, err)
	}
	if p.tls != nil {
		tc := tls.Client(nc, p.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("http1: TLS handshake with %s: %w", p.addr, err)
		}
		if proto := tc.ConnectionState().NegotiatedProtocol; proto != "" && proto != "http/1.1" {
			_ = tc.Close()
			return nil, fmt.Errorf("http1: server %s negotiated %q, not http/1.1", p.addr, proto)
		}
		nc = tc
	}
	var aw *awaitConn
	if p.tls == nil {
		var ok bool
		if nc, ok = newAwaitConn(nc); ok {
			aw = nc.(*awaitConn)
		}
	}
	// bufSize buffers, as the transport variant's: an upload goes out in
	// 64 KiB writes.
	pc := &pconn{nc: nc, br: bufio.NewReaderSize(nc, bufSize), bw: bufio.NewWriterSize(nc, bufSize), aw: aw}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = nc.Close()
		return nil, errPoolClosed
	}
	p.live[pc] = struct{}{}
	return pc, nil
}

// watchFor returns the watch of ctx, registering it on ctx's first use;
// nil when ctx cannot end.
func (p *connPool) watchFor(ctx context.Context) *watch {
	done := ctx.Done()
	if done == nil {
		return nil
	}
	if v, ok := p.watches.Load(done); ok {
		return v.(*watch)
	}
	w := &watch{done: done}
	if v, loaded := p.watches.LoadOrStore(done, w); loaded {
		return v.(*watch)
	}
	stop := context.AfterFunc(ctx, func() { p.interrupt(w) })
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		stop()
		p.watches.CompareAndDelete(done, w)
	} else {
		w.stop = stop
	}
	return w
}

// interrupt runs when w's context has ended: every connection in use by an
// operation of that context gets a past deadline (its blocked write or
// read returns at once) and is not reused.
func (p *connPool) interrupt(w *watch) {
	p.watches.CompareAndDelete(w.done, w)
	p.mu.Lock()
	defer p.mu.Unlock()
	for pc := range p.live {
		pc.mu.Lock()
		if pc.w == w {
			pc.interrupted = true
			_ = pc.nc.SetDeadline(aLongTimeAgo)
		}
		pc.mu.Unlock()
	}
}

// RoundTrip sends req on a free connection and returns its response. The
// connection is given back when the response body has been closed (read to
// its end, as net/http's body Close does); a connection that failed, was
// interrupted by req's context, or that the server asked to close is
// closed, and its slot dialled again by the next operation, so that never
// more than n connections are open. req's body is closed, also on errors
// (http.RoundTripper's contract).
func (p *connPool) RoundTrip(req *http.Request) (*http.Response, error) {
	return p.RoundTripContext(req.Context(), req)
}

// RoundTripContext is RoundTrip under ctx instead of req's context, which
// only Request.Write sees (it reads a client trace from it, if any). A
// request without body is only read here, so concurrent operations may
// share one (Requests.RoundTripContext).
func (p *connPool) RoundTripContext(ctx context.Context, req *http.Request) (*http.Response, error) {
	var pc *pconn
	select {
	case pc = <-p.free:
	default:
		select {
		case pc = <-p.free:
		case <-ctx.Done():
			closeBody(req)
			return nil, ctx.Err()
		}
	}
	if pc == nil {
		if err := ctx.Err(); err != nil {
			p.free <- nil
			closeBody(req)
			return nil, err
		}
		var err error
		if pc, err = p.dial(ctx); err != nil {
			p.free <- nil
			closeBody(req)
			return nil, err
		}
	}
	// The context interrupts a blocked write or read by putting the
	// connection's deadline in the past (watch); the connection is not
	// reused then. The mark is set before ctx is checked: a context ending
	// after the check finds the mark.
	if w := p.watchFor(ctx); w != nil {
		pc.mu.Lock()
		pc.w = w
		pc.mu.Unlock()
		if err := ctx.Err(); err != nil {
			p.release(pc, true)
			closeBody(req)
			return nil, err
		}
	}
	err := req.Write(pc.bw) // closes req.Body
	if err == nil {
		err = pc.flushAwait()
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(pc.br, req)
	}
	if err != nil {
		p.release(pc, false)
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w (%w)", cerr, err)
		}
		return nil, err
	}
	if resp.Body == http.NoBody {
		// Nothing more to read (Content-Length: 0, as the short
		// response's): the connection goes back now.
		p.release(pc, !resp.Close)
		return resp, nil
	}
	resp.Body = &pooledBody{rc: resp.Body, p: p, pc: pc, closing: resp.Close}
	return resp, nil
}

// flushAwait writes out the rest of a request; over plain TCP it returns
// once the response is readable (awaitConn), which saves the read that
// would find nothing. Only the request's final write waits: the server may
// answer only once the whole request has arrived.
func (pc *pconn) flushAwait() error {
	if pc.aw == nil || pc.bw.Buffered() == 0 {
		return pc.bw.Flush()
	}
	pc.aw.armed = true
	err := pc.bw.Flush()
	pc.aw.armed = false // also when Flush wrote nothing
	return err
}

// release gives pc's slot back: pc itself when reusable and its context
// did not interrupt it, otherwise an empty slot (pc is closed).
func (p *connPool) release(pc *pconn, reusable bool) {
	pc.mu.Lock()
	if pc.interrupted {
		reusable = false // the deadline has been set
	}
	pc.w = nil
	pc.mu.Unlock()
	if reusable {
		p.free <- pc
		return
	}
	_ = pc.nc.Close()
	p.mu.Lock()
	delete(p.live, pc)
	p.mu.Unlock()
	p.free <- nil
}

// Close closes every connection, also those in use (their operations fail).
func (p *connPool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for pc := range p.live {
		_ = pc.nc.Close()
		delete(p.live, pc)
	}
	p.watches.Range(func(k, v any) bool {
		if w := v.(*watch); w.stop != nil {
			w.stop()
		}
		p.watches.Delete(k)
		return true
	})
	return nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// pooledBody is a response body whose Close gives its connection back.
type pooledBody struct {
	rc      io.ReadCloser
	p       *connPool
	pc      *pconn
	closing bool // the server asked to close the connection
	done    bool
}

func (b *pooledBody) Read(q []byte) (int, error) {
	if b.done {
		return 0, errors.New("http1: read on closed response body")
	}
	return b.rc.Read(q)
}

// Close reads what is left of the body (net/http's response body does on
// Close) and gives the connection back if the whole body arrived.
func (b *pooledBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	err := b.rc.Close()
	b.p.release(b.pc, err == nil && !b.closing)
	return err
}
