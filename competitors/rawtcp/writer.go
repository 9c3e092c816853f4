package rawtcp

import (
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

// entry is one queued frame.
type entry struct {
	hdr     [hdrLen]byte
	payload []byte
	release func() // called once the frame has been written (or dropped)
}

// batch is the set of frames written by one writev; done is closed after the
// write returned, with err set.
type batch struct {
	done chan struct{}
	err  error
}

// writer is a connection's write loop: frames queued from any goroutine are
// coalesced into one writev per loop turn (headers and small payloads are
// copied into one buffer, big payloads are referenced), so that many small
// operations cost few syscalls, like a bufio.Writer flushed when the queue
// runs empty.
type writer struct {
	conn net.Conn

	mu     sync.Mutex
	queue  []entry
	queued int    // bytes queued or being written (released after the write)
	cur    *batch // batch the queued frames belong to, made by the first waiter
	err    error  // sticky: set when the connection failed or closed
	wake   chan struct{}
	exited chan struct{}
}

func newWriter(c net.Conn) *writer {
	w := &writer{conn: c, wake: make(chan struct{}, 1), exited: make(chan struct{})}
	go w.loop()
	return w
}

// send queues a frame. When wait is true, or when the queue is full, it
// returns the batch whose done channel is closed once the frame has been
// handed to the kernel; otherwise it returns nil.
func (w *writer) send(e entry, wait bool) (*batch, error) {
	w.mu.Lock()
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		if e.release != nil {
			e.release()
		}
		return nil, err
	}
	w.queue = append(w.queue, e)
	w.queued += hdrLen + len(e.payload)
	if w.queued > maxQueued {
		wait = true
	}
	var b *batch
	if wait {
		if w.cur == nil {
			w.cur = &batch{done: make(chan struct{})}
		}
		b = w.cur
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
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
	var spare []entry
	var scratch []byte
	var bufs net.Buffers
	for range w.wake {
		for {
			// Yield once so that goroutines already runnable (callers woken
			// by replies, the read loop) queue their frames first: one
			// writev then carries many of them.
			runtime.Gosched()
			w.mu.Lock()
			q, b, err := w.queue, w.cur, w.err
			w.queue, w.cur = spare[:0], nil
			w.mu.Unlock()
			if err != nil {
				finish(q, b, err)
				return
			}
			if len(q) == 0 {
				spare = q
				break
			}
			// Size the copy buffer first so that slices into it stay valid.
			small := 0
			for i := range q {
				small += hdrLen
				if len(q[i].payload) < bigPayload {
					small += len(q[i].payload)
				}
			}
			if cap(scratch) < small {
				scratch = make([]byte, 0, small)
			}
			scratch = scratch[:0]
			bufs = bufs[:0]
			start := 0
			for i := range q {
				scratch = append(scratch, q[i].hdr[:]...)
				if p := q[i].payload; len(p) < bigPayload {
					scratch = append(scratch, p...)
				} else {
					bufs = append(bufs, scratch[start:], p)
					start = len(scratch)
				}
			}
			if start < len(scratch) {
				bufs = append(bufs, scratch[start:])
			}
			all := bufs // WriteTo consumes its receiver
			_, werr := all.WriteTo(w.conn)
			clear(bufs[:cap(bufs)])
			finish(q, b, werr)
			written := 0
			for i := range q {
				written += hdrLen + len(q[i].payload)
			}
			clear(q)
			spare = q
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
}

// finish releases the frames of a batch and wakes its waiters.
func finish(q []entry, b *batch, err error) {
	for i := range q {
		if q[i].release != nil {
			q[i].release()
		}
	}
	if b != nil {
		b.err = err
		close(b.done)
	}
}
