package rawtcp

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
)

// bigPayload is the size from which a payload is written from its own
// buffer (writev) instead of being copied next to the headers.
const bigPayload = 16 << 10

// maxQueued bounds the bytes a connection queues for its write loop: a
// sender that does not wait for its frame to be written still waits when
// this much is queued (backpressure, bounded memory).
const maxQueued = 256 << 10

// errClosed is returned for frames queued on a closed connection.
var errClosed = errors.New("rawtcp: connection closed")

// seg is a big payload written from its own buffer after the first at
// bytes of the batch buffer.
type seg struct {
	at      int
	data    []byte
	release func() // called once data has been written (or dropped)
}

// batch is the set of frames written by one write; done is closed after the
// write returned, with err set.
type batch struct {
	done chan struct{}
	err  error
}

// wait waits until the batch has been written and returns its error; a
// nil batch (nothing to wait for) returns nil at once.
func (b *batch) wait(ctx context.Context) error {
	if b == nil {
		return nil
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writer is a connection's write loop. A sender appends its frame's header
// and small payload to one buffer under mu (no allocation, no queue entry:
// a heartbeat costs one appended byte, as a Sockety heartbeat does) and big
// payloads are referenced; the loop swaps the buffer out and writes it with
// one write or writev per turn, so that many small operations cost few
// syscalls, like a bufio.Writer flushed when the queue runs empty.
type writer struct {
	conn net.Conn

	mu     sync.Mutex
	buf    []byte
	segs   []seg
	queued int    // bytes queued or being written (released after the write)
	cur    *batch // batch the queued frames belong to, made by the first waiter
	kicked bool   // the loop has been woken for what is queued
	err    error  // sticky: set when the connection failed or closed
	wake   chan struct{}
	exited chan struct{}
}

func newWriter(c net.Conn) *writer {
	w := &writer{conn: c, wake: make(chan struct{}, 1), exited: make(chan struct{}),
		buf: make([]byte, 0, 16<<10)}
	go w.loop()
	return w
}

// send queues a frame; a small payload is copied (release, if set, is
// called before send returns), a big one is referenced until written. When
// wait is true, or when more than maxQueued bytes are queued, send returns
// the batch whose done channel is closed once the frame has been handed to
// the kernel; otherwise it returns nil.
func (w *writer) send(kind byte, id uint32, payload []byte, release func(), wait bool) (*batch, error) {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		if release != nil {
			release()
		}
		return nil, err
	}
	start := len(w.buf)
	w.buf = appendHeader(w.buf, kind, id, len(payload))
	if len(payload) < bigPayload {
		w.buf = append(w.buf, payload...)
	} else {
		w.segs = append(w.segs, seg{at: len(w.buf), data: payload, release: release})
		w.queued += len(payload)
		release = nil
	}
	w.queued += len(w.buf) - start
	var b *batch
	if wait || w.queued > maxQueued {
		if w.cur == nil {
			w.cur = &batch{done: make(chan struct{})}
		}
		b = w.cur
	}
	kick := !w.kicked
	w.kicked = true
	w.mu.Unlock()
	if release != nil {
		release()
	}
	if kick {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return b, nil
}

// heartbeat queues a heartbeat frame (one byte): send's path without
// payload or release, as short as Sockety's heartbeat. It returns a batch to
// wait for only when more than maxQueued bytes are queued.
func (w *writer) heartbeat() (*batch, error) {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return nil, err
	}
	w.buf = append(w.buf, kindHeartbeat)
	w.queued += heartbeatLen
	var b *batch
	if w.queued > maxQueued {
		if w.cur == nil {
			w.cur = &batch{done: make(chan struct{})}
		}
		b = w.cur
	}
	kick := !w.kicked
	w.kicked = true
	w.mu.Unlock()
	if kick {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return b, nil
}

// close stops the loop with err (frames still queued are dropped and their
// waiters get err) and waits for it.
func (w *writer) close(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	<-w.exited
}

func (w *writer) loop() {
	defer close(w.exited)
	spare := make([]byte, 0, 16<<10)
	var spareSegs []seg
	var vec net.Buffers
	for range w.wake {
		// Yield once so that goroutines already runnable (callers woken by
		// replies, the read loop) queue their frames first: one write then
		// carries many of them.
		runtime.Gosched()
		w.mu.Lock()
		buf, segs, b, err := w.buf, w.segs, w.cur, w.err
		w.buf, w.segs, w.cur, w.kicked = spare[:0], spareSegs[:0], nil, false
		w.mu.Unlock()
		if err != nil {
			finish(segs, b, err)
			return
		}
		if len(buf) == 0 && len(segs) == 0 {
			spare, spareSegs = buf, segs
			continue
		}
		written := len(buf)
		var werr error
		if len(segs) == 0 {
			_, werr = w.conn.Write(buf)
		} else {
			vec = vec[:0]
			off := 0
			for _, s := range segs {
				if s.at > off {
					vec = append(vec, buf[off:s.at])
					off = s.at
				}
				vec = append(vec, s.data)
				written += len(s.data)
			}
			if off < len(buf) {
				vec = append(vec, buf[off:])
			}
			all := vec // WriteTo consumes its receiver
			_, werr = all.WriteTo(w.conn)
			clear(vec[:cap(vec)]) // keep no payload reachable
		}
		finish(segs, b, werr)
		clear(segs)
		if cap(buf) > 4*maxQueued {
			buf = make([]byte, 0, 16<<10) // do not keep a burst's buffer
		}
		spare, spareSegs = buf[:0], segs[:0]
		// The bytes of a batch count against maxQueued until its write
		// returned: a peer that stops reading holds at most maxQueued
		// bytes, not one queue being written plus a full second one.
		w.mu.Lock()
		w.queued -= written
		if werr != nil && w.err == nil {
			w.err = werr
		}
		w.mu.Unlock()
		if werr != nil {
			_ = w.conn.Close()
		}
	}
}

// finish releases the big payloads of a batch and wakes its waiters.
func finish(segs []seg, b *batch, err error) {
	for i := range segs {
		if segs[i].release != nil {
			segs[i].release()
		}
	}
	if b != nil {
		b.err = err
		close(b.done)
	}
}
