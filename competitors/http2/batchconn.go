package http2

import (
	"context"
	"net"
	"runtime"
	"sync"
)

// maxBatch bounds the bytes a batchConn holds for its write loop; a Write
// that does not fit waits until the loop has taken the buffer (a Write into
// an empty buffer is always taken whole).
const maxBatch = 256 << 10

// batchConn coalesces the writes of an HTTP/2 client connection. The
// transport (x/net/http2) writes and flushes every request's HEADERS on its
// own, under the connection's write lock: with many streams in flight that
// is one write system call per request, which on loopback also delivers the
// bytes to the server (measured: about a quarter of the client's CPU per
// request; x/net/http2 notes that this flush is for latency, not
// bandwidth). Here Write appends to a buffer and one loop hands everything
// appended meanwhile to the kernel in one write, as h2load's event loop
// does. Nothing is reordered or delayed beyond the loop's next turn, and
// waitWritten lets an operation wait until its bytes are in the kernel, so
// "done when flushed to the kernel" keeps its meaning.
type batchConn struct {
	net.Conn

	mu      sync.Mutex
	space   *sync.Cond // broadcast when the loop takes the buffer or stops
	buf     []byte
	queued  uint64        // bytes accepted by Write so far
	written uint64        // of those, bytes handed to the kernel
	flushed chan struct{} // closed (and replaced) after each write
	kicked  bool          // the loop has been woken for what is buffered
	err     error         // sticky: the connection failed or was closed
	wake    chan struct{}
	exited  chan struct{}
}

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c, flushed: make(chan struct{}), wake: make(chan struct{}, 1), exited: make(chan struct{})}
	b.space = sync.NewCond(&b.mu)
	go b.loop()
	return b
}

// Write buffers p for the write loop and returns at once (it waits only
// while more than maxBatch bytes are buffered).
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	for b.err == nil && len(b.buf) > 0 && len(b.buf)+len(p) > maxBatch {
		b.space.Wait()
	}
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return 0, err
	}
	b.buf = append(b.buf, p...)
	b.queued += uint64(len(p))
	kick := !b.kicked
	b.kicked = true
	b.mu.Unlock()
	if kick {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// queuedBytes is the count of bytes accepted by Write so far: once
// waitWritten(queuedBytes()) returns, everything written before is in the
// kernel.
func (b *batchConn) queuedBytes() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queued
}

// waitWritten waits until the first seq bytes accepted by Write have been
// handed to the kernel, the connection failed (its error), or ctx ends.
func (b *batchConn) waitWritten(ctx context.Context, seq uint64) error {
	b.mu.Lock()
	for b.written < seq && b.err == nil {
		ch := b.flushed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.mu.Lock()
	}
	var err error
	if b.written < seq {
		err = b.err
	}
	b.mu.Unlock()
	return err
}

// Close closes the connection; buffered bytes not yet written are dropped
// (as a closed socket drops them) and the loop stops.
func (b *batchConn) Close() error {
	b.fail(net.ErrClosed)
	err := b.Conn.Close()
	<-b.exited
	return err
}

func (b *batchConn) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	ch := b.flushed
	b.flushed = make(chan struct{})
	b.mu.Unlock()
	close(ch) // wake waitWritten
	b.space.Broadcast()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *batchConn) loop() {
	defer close(b.exited)
	spare := make([]byte, 0, 16<<10)
	for range b.wake {
		// Let the goroutines that are ready to run (callers with their
		// requests, the read loop with its acknowledgements) write first:
		// one system call then carries all of them.
		runtime.Gosched()
		b.mu.Lock()
		buf, err := b.buf, b.err
		b.buf, b.kicked = spare[:0], false
		b.mu.Unlock()
		b.space.Broadcast()
		if err != nil {
			return
		}
		if len(buf) == 0 {
			spare = buf
			continue
		}
		if _, werr := b.Conn.Write(buf); werr != nil {
			b.fail(werr) // waiters get the error: these bytes are not written
			_ = b.Conn.Close()
			return
		}
		b.mu.Lock()
		b.written += uint64(len(buf))
		ch := b.flushed
		b.flushed = make(chan struct{})
		b.mu.Unlock()
		close(ch)
		if cap(buf) > 4*maxBatch {
			buf = make([]byte, 0, 16<<10) // do not keep a burst's buffer
		}
		spare = buf[:0]
	}
}
