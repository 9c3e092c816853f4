package rawtcp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// call is one request waiting for its reply.
type call struct {
	done chan struct{} // receives one value when the reply arrived
	kind byte          // reply kind
	code byte          // status code of a kindCode reply
	buf  []byte        // echo: where the reply payload goes (len = expected)
	n    int           // echo: reply payload length
	err  error
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// conn is one client connection: a write loop and a read loop matching
// replies to calls by id.
type conn struct {
	c      net.Conn
	w      *writer
	nextID atomic.Uint32

	mu    sync.Mutex
	calls map[uint32]*call
	err   error // set when the read loop ended

	exited chan struct{}
}

func dialConn(ctx context.Context, addr string) (*conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("rawtcp: dial %s: %w", addr, err)
	}
	cn := &conn{c: c, w: newWriter(c), calls: map[uint32]*call{}, exited: make(chan struct{})}
	go cn.readLoop()
	return cn, nil
}

func (cn *conn) close() {
	_ = cn.c.Close()
	cn.w.close(errClosed)
	<-cn.exited
}

func (cn *conn) readLoop() {
	defer close(cn.exited)
	r := bufio.NewReaderSize(cn.c, readBuf)
	err := func() error {
		for {
			kind, id, n, err := readHeader(r)
			if err != nil {
				return err
			}
			cn.mu.Lock()
			cl := cn.calls[id]
			delete(cn.calls, id)
			cn.mu.Unlock()
			switch {
			case cl == nil:
				// The caller gave up (context); drop the reply.
				if _, err := r.Discard(n); err != nil {
					return err
				}
				continue
			case kind == kindCode && n == 1:
				cl.code, err = r.ReadByte()
			case kind == kindResponse && n == 0:
			case kind == kindEchoReply && n <= len(cl.buf):
				cl.n = n
				_, err = io.ReadFull(r, cl.buf[:n])
			case kind == kindResponse || kind == kindEchoReply || kind == kindCode:
				cl.err = fmt.Errorf("%w: reply kind %d with %d bytes", ErrFrame, kind, n)
				_, err = r.Discard(n)
			default:
				err = fmt.Errorf("%w: unexpected kind %d from server", ErrFrame, kind)
			}
			cl.kind = kind
			if err != nil {
				cl.err = err
			}
			cl.done <- struct{}{}
			if err != nil {
				return err
			}
		}
	}()
	if err == nil || errors.Is(err, io.EOF) {
		err = errClosed
	}
	cn.mu.Lock()
	cn.err = fmt.Errorf("rawtcp: connection lost: %w", err)
	calls := cn.calls
	cn.calls = nil
	cn.mu.Unlock()
	for _, cl := range calls {
		cl.err = cn.err
		cl.done <- struct{}{}
	}
	_ = cn.c.Close()
}

// request sends a frame that expects a reply and waits for it. Done means
// the reply frame has been read.
func (cn *conn) request(ctx context.Context, kind byte, payload, into []byte) (*call, error) {
	cl := callPool.Get().(*call)
	cl.err, cl.kind, cl.code, cl.n, cl.buf = nil, 0, 0, 0, into
	id := cn.nextID.Add(1)
	for id == 0 {
		id = cn.nextID.Add(1)
	}
	cn.mu.Lock()
	if cn.err != nil {
		err := cn.err
		cn.mu.Unlock()
		callPool.Put(cl)
		return nil, err
	}
	cn.calls[id] = cl
	cn.mu.Unlock()
	if _, err := cn.w.send(kind, id, payload, nil, false); err != nil {
		cn.forget(id)
		return nil, err
	}
	select {
	case <-cl.done:
		return cl, nil
	case <-ctx.Done():
		if cn.forget(id) {
			return nil, ctx.Err()
		}
		// The read loop owns the call: wait for its signal (imminent).
		<-cl.done
		return cl, nil
	}
}

// forget removes a pending call; it reports whether it was still pending.
func (cn *conn) forget(id uint32) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if _, ok := cn.calls[id]; !ok {
		return false
	}
	delete(cn.calls, id)
	return true
}

// oneWay sends a frame without reply. A frame with a big payload (from
// bigPayload on, written from its own buffer) is done once the write that
// carried it returned: handed to the kernel. A small frame is done once
// queued for the write loop, which hands it to the kernel with the next
// batch; a full queue makes the sender wait for that write. These are the
// Sockety suite's meanings, so that this row is its floor.
func (cn *conn) oneWay(ctx context.Context, kind byte, payload []byte, release func()) error {
	b, err := cn.w.send(kind, 0, payload, release, len(payload) >= bigPayload)
	if err != nil {
		return err
	}
	return b.wait(ctx)
}

// heartbeat sends a heartbeat frame; done as a small oneWay frame.
func (cn *conn) heartbeat(ctx context.Context) error {
	b, err := cn.w.heartbeat()
	if err != nil {
		return err
	}
	return b.wait(ctx)
}

// client spreads operations over its connections round-robin.
type client struct {
	cfg   competitors.ClientConfig
	conns []*conn
	next  atomic.Uint32
}

func newClient(ctx context.Context, cfg competitors.ClientConfig) (*client, error) {
	n := max(cfg.Connections, 1)
	cl := &client{cfg: cfg}
	for range n {
		c, err := dialConn(ctx, cfg.Addr)
		if err != nil {
			_ = cl.Close()
			return nil, err
		}
		cl.conns = append(cl.conns, c)
	}
	return cl, nil
}

func (cl *client) pick() *conn {
	return cl.conns[int(cl.next.Add(1)-1)%len(cl.conns)]
}

func (cl *client) Close() error {
	for _, c := range cl.conns {
		c.close()
	}
	cl.conns = nil
	return nil
}

// ErrReply reports a reply that is not what the scenario expects.
var ErrReply = errors.New("rawtcp: unexpected reply")

func (cl *client) Prepare(_ context.Context, b competitors.Benchmark) (competitors.Op, error) {
	sc := b.Scenario
	switch sc.Kind {
	case scenarios.Heartbeat:
		return func(ctx context.Context) error { return cl.pick().heartbeat(ctx) }, nil
	case scenarios.OneWay:
		return func(ctx context.Context) error { return cl.pick().oneWay(ctx, kindOneWay, nil, nil) }, nil
	case scenarios.FastReply:
		return cl.replyOp(kindFast, func(r *call) bool { return r.kind == kindCode && r.code == codeAccept }), nil
	case scenarios.Regular:
		return cl.replyOp(kindRegular, func(r *call) bool { return r.kind == kindResponse }), nil
	case scenarios.Data, scenarios.File:
		if sc.Source == scenarios.FS {
			return cl.fsOp(sc.Size)
		}
		payload := cl.cfg.Payloads.Bytes(sc.Size)
		return func(ctx context.Context) error { return cl.pick().oneWay(ctx, kindData, payload, nil) }, nil
	case scenarios.StreamEcho:
		payload := cl.cfg.Payloads.Bytes(sc.Size)
		bufs := sync.Pool{New: func() any { b := make([]byte, sc.Size); return &b }}
		return func(ctx context.Context) error {
			bp := bufs.Get().(*[]byte)
			r, err := cl.pick().request(ctx, kindEcho, payload, *bp)
			if err != nil {
				// The buffer may still be written by the read loop only if the
				// call stayed registered, which request rules out.
				bufs.Put(bp)
				return err
			}
			defer callPool.Put(r)
			defer bufs.Put(bp)
			if r.err != nil {
				return r.err
			}
			if r.kind != kindEchoReply || r.n != len(payload) {
				return fmt.Errorf("%w: kind %d, %d bytes echoed of %d", ErrReply, r.kind, r.n, len(payload))
			}
			if cl.cfg.Verify && !bytes.Equal((*bp)[:r.n], payload) {
				return fmt.Errorf("%w: echo differs from what was sent", ErrReply)
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("rawtcp: scenario %q is not supported", sc.ID)
}

// replyOp is a request without payload, done when its reply was read; ok
// says whether the reply is the expected one.
func (cl *client) replyOp(kind byte, ok func(*call) bool) competitors.Op {
	return func(ctx context.Context) error {
		r, err := cl.pick().request(ctx, kind, nil, nil)
		if err != nil {
			return err
		}
		defer callPool.Put(r)
		if r.err != nil {
			return r.err
		}
		if !ok(r) {
			return fmt.Errorf("%w: kind %d code %d", ErrReply, r.kind, r.code)
		}
		return nil
	}
}

// fsOp reads the payload file from disk for every operation into a pooled
// buffer, which the write loop releases once written.
func (cl *client) fsOp(size int) (competitors.Op, error) {
	path, err := cl.cfg.Payloads.Path(size)
	if err != nil {
		return nil, fmt.Errorf("rawtcp: %w", err)
	}
	bufs := &sync.Pool{New: func() any { b := make([]byte, size); return &b }}
	return func(ctx context.Context) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("rawtcp: open payload: %w", err)
		}
		bp := bufs.Get().(*[]byte)
		_, err = io.ReadFull(f, *bp)
		_ = f.Close()
		if err != nil {
			bufs.Put(bp)
			return fmt.Errorf("rawtcp: read payload: %w", err)
		}
		return cl.pick().oneWay(ctx, kindData, *bp, func() { bufs.Put(bp) })
	}, nil
}
