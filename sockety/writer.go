package sockety

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// maxChannels is the protocol's channel limit.
const maxChannels = 4096

// yieldMore is how many more times the writer yields while the queue grows.
var yieldMore = 3

// copyThreshold is the payload piece size up to which the bytes are copied
// into the coalescing buffer instead of being written in place.
const copyThreshold = 4096

// A seg is a payload slice written in place (zero copy) after the first
// at bytes of the batch buffer.
type seg struct {
	at   int
	data []byte
	ack  chan struct{} // one token is taken back once data was written
}

// writer owns the write side of a connection. Packets are appended to buf
// under mu by the goroutine that sends them (so there is no per-packet
// allocation and the byte order is the order of the appends); one writer
// goroutine swaps buf out and writes it with as few system calls as possible.
// Large payload slices are referenced, not copied, and written with writev
// where the connection supports it.
//
// Multiplexing state (the current write channel and which channels are held
// by messages in progress) lives here too, because it must follow the byte
// order exactly.
type writer struct {
	nc  net.Conn
	vec bool // nc supports writev through net.Buffers
	// timeout, when positive, is the WriteTimeout: theClock watches
	// flushSeq and calls expire when one flush is stuck this long.
	timeout time.Duration
	// flushSeq counts flush starts and ends (odd: a flush is in
	// progress); expired is set when expire put a deadline in the past.
	flushSeq atomic.Uint64
	expired  atomic.Bool

	mu        sync.Mutex
	buf       []byte
	segs      []seg
	segBytes  int // bytes referenced by segs
	limit     int
	kicked    bool
	queued    atomic.Uint64  // unlock calls, to see the queue grow
	closing   bool           // graceful: flush the queue, then stop
	err       error          // sticky: no more writes
	spaceQ    []*spaceWaiter // senders waiting for room, in order
	chFree    chan struct{}
	cur       int // channel the peer's reader is on, in byte order
	maxCh     int // channels we may use: min(ours, peer's)
	busy      [maxChannels]bool
	nbusy     int
	spare     []byte
	spareSegs []seg

	vecs net.Buffers // writev vector, reused by flush
	iov  net.Buffers // the vector being written (consumed by WriteTo)

	wake   chan struct{}
	dead   chan struct{} // closed when the loop has stopped
	wrote  atomic.Bool   // something was written since the last heartbeat check
	writes atomic.Uint64 // Write / writev calls, for statistics
}

func newWriter(nc net.Conn, limit int) *writer {
	w := &writer{
		nc:    nc,
		limit: limit,
		maxCh: 1,
		wake:  make(chan struct{}, 1),
		dead:  make(chan struct{}),
		buf:   make([]byte, 0, 16<<10),
		spare: make([]byte, 0, 16<<10),
	}
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		w.vec = true
	}
	return w
}

// lock waits until n more bytes fit in the queue (an empty queue always
// accepts) and returns with mu held, or returns an error without it.
//
// Senders waiting for room queue up in order, and each flush wakes only as
// many of them as the room it made can take (see wakeSpaceLocked): waking
// them all, as a broadcast would, made hundreds of concurrent transfers
// race for every megabyte of room and go back to sleep.
func (w *writer) lock(ctx context.Context, n int) error {
	w.mu.Lock()
	for {
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			return err
		}
		if q := len(w.buf) + w.segBytes; q == 0 || q+n <= w.limit {
			return nil
		}
		sw := &spaceWaiter{n: n, ch: make(chan struct{})}
		w.spaceQ = append(w.spaceQ, sw)
		w.mu.Unlock()
		select {
		case <-sw.ch:
		case <-ctx.Done():
			w.mu.Lock()
			if sw.woken {
				// The room this waiter was woken for goes to the next.
				w.wakeSpaceLocked()
			} else {
				sw.gone = true
			}
			w.mu.Unlock()
			return ctx.Err()
		case <-w.dead:
		}
		w.mu.Lock()
	}
}

// A spaceWaiter is a sender waiting in lock for n bytes of room.
type spaceWaiter struct {
	n     int
	ch    chan struct{} // closed when woken
	woken bool
	gone  bool // gave up before it was woken
}

// wakeSpaceLocked wakes the senders waiting for room, in order, as many as
// the room left in the queue takes (at least one); after an error, all of
// them. mu must be held.
func (w *writer) wakeSpaceLocked() {
	room := w.limit - len(w.buf) - w.segBytes
	i, woke := 0, 0
	for ; i < len(w.spaceQ); i++ {
		sw := w.spaceQ[i]
		if sw.gone {
			continue
		}
		if room <= 0 && woke > 0 && w.err == nil {
			break
		}
		sw.woken = true
		close(sw.ch)
		room -= sw.n
		woke++
	}
	n := copy(w.spaceQ, w.spaceQ[i:])
	clear(w.spaceQ[n:])
	w.spaceQ = w.spaceQ[:n]
}

// unlock releases mu and wakes the writer goroutine if it is not awake yet.
func (w *writer) unlock() {
	w.queued.Add(1)
	kick := !w.kicked
	w.kicked = true
	w.mu.Unlock()
	if kick {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// lockChannel is lock plus a channel to start a message on: the current
// channel when it is free (no switch needed), else any free one. With
// hold, the channel is marked busy until release. It returns with mu held.
func (w *writer) lockChannel(ctx context.Context, n int, hold bool) (int, error) {
	if err := w.lock(ctx, n); err != nil {
		return 0, err
	}
	for {
		if w.closing {
			w.mu.Unlock()
			return 0, ErrClosed
		}
		ch := w.freeChannel(hold)
		if ch >= 0 {
			if hold {
				w.busy[ch] = true
				w.nbusy++
			}
			return ch, nil
		}
		if w.chFree == nil {
			w.chFree = make(chan struct{})
		}
		cf := w.chFree
		w.mu.Unlock()
		select {
		case <-cf:
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-w.dead:
		}
		if err := w.lock(ctx, n); err != nil {
			return 0, err
		}
	}
}

// freeChannel finds a channel that is not held, starting at the current one.
// A held (long) transfer prefers a channel other than the current one, so
// that short messages keep using the current channel without switching.
func (w *writer) freeChannel(hold bool) int {
	if w.nbusy >= w.maxCh {
		return -1
	}
	start := w.cur
	if hold && w.maxCh > 1 {
		start = (w.cur + 1) % w.maxCh
	}
	for i := 0; i < w.maxCh; i++ {
		ch := (start + i) % w.maxCh
		if !w.busy[ch] {
			return ch
		}
	}
	return -1
}

// release frees a held channel; mu must be held.
func (w *writer) release(ch int) {
	if !w.busy[ch] {
		return
	}
	w.busy[ch] = false
	w.nbusy--
	if w.chFree != nil {
		close(w.chFree)
		w.chFree = nil
	}
}

// switchTo appends a Switch Channel packet when needed; mu must be held.
func (w *writer) switchTo(ch int) {
	if w.cur != ch {
		w.buf = appendSwitch(w.buf, ch)
		w.cur = ch
	}
}

// addSeg queues data to be written in place after the bytes appended so far;
// the writer takes one token from ack once it is written. mu must be held.
func (w *writer) addSeg(data []byte, ack chan struct{}) {
	w.segs = append(w.segs, seg{at: len(w.buf), data: data, ack: ack})
	w.segBytes += len(data)
}

// failure is the error the writer stopped with (ErrClosed when it has
// not stopped): it is set before dead is closed.
func (w *writer) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return ErrClosed
}

// stop makes the writer fail with err: queued bytes are dropped and every
// waiter is woken.
func (w *writer) stop(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.wakeWaitersLocked()
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// shutdown makes the writer flush what is queued and then stop.
func (w *writer) shutdown() {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) wakeWaitersLocked() {
	w.wakeSpaceLocked()
	if w.chFree != nil {
		close(w.chFree)
		w.chFree = nil
	}
}

// loop is the writer goroutine: it waits for queued bytes, takes the whole
// queue at once and writes it.
func (w *writer) loop() error {
	defer close(w.dead)
	for {
		<-w.wake
		// Let the goroutines that are ready to run (senders woken by the
		// replies just read, handlers) queue their packets first: one
		// yield turns many small writes into one.
		runtime.Gosched()
		for range yieldMore {
			// Yield again while the queue keeps growing: senders are
			// still running.
			n := w.queued.Load()
			runtime.Gosched()
			if w.queued.Load() == n {
				break
			}
		}
		w.mu.Lock()
		if w.err != nil {
			err := w.err
			w.mu.Unlock()
			w.releaseSegs(w.segs)
			return err
		}
		buf, segs := w.buf, w.segs
		closing := w.closing
		w.buf, w.segs = w.spare[:0], w.spareSegs[:0]
		w.segBytes = 0
		w.kicked = false
		w.wakeWaitersLocked()
		w.mu.Unlock()
		if len(buf) == 0 && len(segs) == 0 {
			if closing {
				w.stop(ErrClosed)
				return nil
			}
			w.spare, w.spareSegs = buf, segs
			continue
		}
		err := w.flush(buf, segs)
		w.releaseSegs(segs)
		w.wrote.Store(true)
		clear(segs)
		if cap(buf) > 4*w.limit {
			buf = make([]byte, 0, 16<<10)
		}
		w.spare, w.spareSegs = buf[:0], segs[:0]
		if err != nil {
			err = fmt.Errorf("sockety: write: %w", err)
			w.stop(err)
			return err
		}
		if closing {
			// Keep going until a pass finds the queue empty.
			select {
			case w.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (w *writer) releaseSegs(segs []seg) {
	for _, s := range segs {
		if s.ack != nil {
			select {
			case <-s.ack:
			default:
			}
		}
	}
}

// flush writes buf with segs spliced in at their offsets, under WriteTimeout.
func (w *writer) flush(buf []byte, segs []seg) error {
	if w.timeout <= 0 {
		return w.write(buf, segs)
	}
	w.flushSeq.Add(1)
	if w.expired.Swap(false) {
		// The clock gave up on the previous flush just as it finished.
		_ = w.nc.SetWriteDeadline(time.Time{})
	}
	err := w.write(buf, segs)
	w.flushSeq.Add(1)
	return err
}

// expire makes the flush in progress fail with a timeout (theClock calls
// it when the flush seq made no progress for WriteTimeout). A flush that
// started since the clock looked must not inherit the deadline: the one
// that starts after expired is set clears it itself, and one that started
// before is seen here by its new flushSeq. (Only a flush that started in
// the microseconds between the two, right as a batch stuck for
// WriteTimeout went through, can still see the timeout.)
func (w *writer) expire(seq uint64) {
	_ = w.nc.SetWriteDeadline(aLongTimeAgo)
	w.expired.Store(true)
	if w.flushSeq.Load() != seq && w.expired.Swap(false) {
		_ = w.nc.SetWriteDeadline(time.Time{})
	}
}

// aLongTimeAgo is a deadline in the past: it makes a blocked call fail now.
var aLongTimeAgo = time.Unix(1, 0)

// write writes buf with segs spliced in at their offsets.
func (w *writer) write(buf []byte, segs []seg) error {
	if len(segs) == 0 {
		w.writes.Add(1)
		_, err := w.nc.Write(buf)
		return err
	}
	if w.vec {
		// The vector's array is kept between flushes (flush runs on the
		// writer goroutine only); WriteTo consumes w.iov, not bufs.
		bufs := w.vecs[:0]
		off := 0
		for _, s := range segs {
			if s.at > off {
				bufs = append(bufs, buf[off:s.at])
				off = s.at
			}
			bufs = append(bufs, s.data)
		}
		if off < len(buf) {
			bufs = append(bufs, buf[off:])
		}
		w.writes.Add(1)
		w.iov = bufs
		_, err := w.iov.WriteTo(w.nc)
		clear(bufs) // keep no payload reachable
		w.vecs, w.iov = bufs[:0], nil
		return err
	}
	// No writev (TLS, pipes, wrappers): copy into one staging buffer and
	// write it in pieces of at most 256 KiB, so TLS makes full records.
	const stage = 256 << 10
	out := make([]byte, 0, min(stage, len(buf)+w.segLen(segs)))
	off := 0
	put := func(p []byte) error {
		for len(p) > 0 {
			n := min(len(p), stage-len(out))
			out = append(out, p[:n]...)
			p = p[n:]
			if len(out) == stage {
				w.writes.Add(1)
				if _, err := w.nc.Write(out); err != nil {
					return err
				}
				out = out[:0]
			}
		}
		return nil
	}
	for _, s := range segs {
		if err := put(buf[off:s.at]); err != nil {
			return err
		}
		off = s.at
		if err := put(s.data); err != nil {
			return err
		}
	}
	if err := put(buf[off:]); err != nil {
		return err
	}
	if len(out) > 0 {
		w.writes.Add(1)
		_, err := w.nc.Write(out)
		return err
	}
	return nil
}

func (w *writer) segLen(segs []seg) int {
	n := 0
	for _, s := range segs {
		n += len(s.data)
	}
	return n
}
