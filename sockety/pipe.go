package sockety

import (
	"io"
	"sync"
	"sync/atomic"
)

// blockSize is the size of the pooled blocks incoming payload bytes are
// buffered in.
const blockSize = 32 << 10

var blockPool = sync.Pool{New: func() any { b := make([]byte, blockSize); return &b }}

// budget is the per-connection bound on buffered incoming payload bytes.
type budget struct {
	used  atomic.Int64
	limit int64
	// waiting is set while the read loop waits for a consumer: the
	// connection is not idle then, only held back.
	waiting atomic.Bool
}

// overCommit is what one payload may still buffer while the connection's
// budget is exhausted. It keeps a consumer that waits for a later payload
// from deadlocking against other payloads holding the budget, and keeps
// many concurrent transfers moving in large pieces. So the bound on
// buffered incoming bytes per connection is MaxBufferedBytes plus 32 KiB
// per payload arriving concurrently.
const overCommit = 32 << 10

// pipe carries one incoming payload (data, a file or a stream) from the
// read loop to its consumer. Payload bytes are either lent (a slice of the
// read loop's buffer, held until the consumer has read it, see readBuf) or
// copied into pooled blocks when no buffer can be lent. write blocks while
// the payload already has its limit buffered (or the connection its
// budget), which stops the read loop: that is the backpressure towards the
// peer.
type pipe struct {
	mu     sync.Mutex
	chunks []chunk // unread bytes in order
	n      int     // buffered bytes
	limit  int
	err    error // set when the writer side ended (io.EOF on success)
	gone   bool  // the consumer stopped reading: discard
	// draining: the consumer discards the rest (Payload.Discard) and
	// waits only for the end; the read loop counts what it drops in
	// dropped instead of buffering it and waking the consumer.
	draining bool
	dropped  int64
	rsig     chan struct{}
	wsig     chan struct{}
	budget   *budget
}

// chunk is a run of unread payload bytes: in a pooled block (blk) that
// later writes may fill further, or lent from a read buffer (rb).
type chunk struct {
	b   []byte
	blk *[]byte
	rb  *readBuf
}

// free gives the chunk's memory back once its bytes were read or dropped.
func (c *chunk) free() {
	if c.blk != nil {
		blockPool.Put(c.blk)
	}
	if c.rb != nil {
		c.rb.release()
	}
	*c = chunk{}
}

func newPipe(limit int, b *budget) *pipe {
	return &pipe{limit: limit, budget: b, rsig: make(chan struct{}, 1), wsig: make(chan struct{}, 1)}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// write adds b to the pipe, blocking while it is full. With rb, b is a
// slice of rb, which is lent to the pipe (held until read) instead of
// copied. It returns early with ErrClosed when done is closed.
func (p *pipe) write(b []byte, rb *readBuf, done <-chan struct{}) error {
	for len(b) > 0 {
		p.mu.Lock()
		if p.gone {
			p.mu.Unlock()
			return nil
		}
		if p.draining {
			p.dropped += int64(len(b))
			p.mu.Unlock()
			return nil
		}
		room := p.limit - p.n
		if over := p.budget.used.Load() >= p.budget.limit; over {
			room = min(room, overCommit-p.n)
		}
		if room <= 0 {
			p.mu.Unlock()
			p.budget.waiting.Store(true)
			select {
			case <-p.wsig:
			case <-done:
				p.budget.waiting.Store(false)
				return ErrClosed
			}
			p.budget.waiting.Store(false)
			continue
		}
		k := min(room, len(b))
		if rb != nil {
			rb.hold()
			p.chunks = append(p.chunks, chunk{b: b[:k:k], rb: rb})
		} else {
			p.copyIn(b[:k])
		}
		p.n += k
		p.budget.used.Add(int64(k))
		p.mu.Unlock()
		poke(p.rsig)
		b = b[k:]
	}
	return nil
}

// copyIn copies b into blocks, filling the last one first; mu must be held.
func (p *pipe) copyIn(b []byte) {
	for len(b) > 0 {
		n := len(p.chunks)
		if n == 0 || p.chunks[n-1].blk == nil || len(p.chunks[n-1].b) == cap(p.chunks[n-1].b) {
			blk := blockPool.Get().(*[]byte)
			p.chunks = append(p.chunks, chunk{b: (*blk)[:0], blk: blk})
			n++
		}
		c := &p.chunks[n-1]
		k := copy(c.b[len(c.b):cap(c.b)], b)
		c.b = c.b[:len(c.b)+k]
		b = b[k:]
	}
}

// end finishes the writer side: err is io.EOF for a complete payload.
func (p *pipe) end(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	poke(p.rsig)
}

// Read reads buffered bytes, waiting for more while the payload is not complete.
func (p *pipe) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	for {
		p.mu.Lock()
		if p.n > 0 {
			k := 0
			for k < len(b) && p.n > 0 {
				c := copy(b[k:], p.chunks[0].b)
				k += c
				p.advance(c)
			}
			p.budget.used.Add(-int64(k))
			p.mu.Unlock()
			poke(p.wsig)
			return k, nil
		}
		if p.err != nil {
			err := p.err
			p.mu.Unlock()
			return 0, err
		}
		p.mu.Unlock()
		<-p.rsig
	}
}

// advance consumes k bytes of the first chunk, freeing it once it is read
// up; mu must be held. A block that is read up is freed too, even if the
// writer could still fill it: the next write takes a fresh one.
func (p *pipe) advance(k int) {
	c := &p.chunks[0]
	c.b = c.b[k:]
	p.n -= k
	if len(c.b) > 0 {
		return
	}
	c.free()
	// Shift the (short) list down instead of reslicing from the front, so
	// that its array is reused: appending to a list consumed from the front
	// reallocated it every few chunks.
	n := copy(p.chunks, p.chunks[1:])
	p.chunks[n] = chunk{}
	p.chunks = p.chunks[:n]
}

// WriteTo writes the payload to w as it arrives, straight from the
// buffered chunks (no intermediate copy), until it is complete.
func (p *pipe) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		p.mu.Lock()
		if p.n == 0 {
			err := p.err
			p.mu.Unlock()
			if err != nil {
				if err == io.EOF {
					return total, nil
				}
				return total, err
			}
			<-p.rsig
			continue
		}
		chunk := p.chunks[0].b
		p.mu.Unlock()
		// Only the consumer frees chunks, and the writer only appends
		// after len(chunk), so chunk stays valid unlocked.
		k, werr := w.Write(chunk)
		p.mu.Lock()
		p.advance(k)
		p.mu.Unlock()
		p.budget.used.Add(-int64(k))
		poke(p.wsig)
		total += int64(k)
		if werr != nil {
			return total, werr
		}
	}
}

// drain drops what is buffered and, counting them, the bytes that arrive
// later, until the payload ends: a discarding consumer is not woken for
// every piece, and nothing is copied or lent for it. It returns the bytes
// dropped and the payload's end (nil when complete).
func (p *pipe) drain() (int64, error) {
	p.mu.Lock()
	p.draining = true
	n := int64(p.dropBufferedLocked())
	p.mu.Unlock()
	poke(p.wsig) // the read loop may be waiting for room
	for {
		p.mu.Lock()
		n += p.dropped
		p.dropped = 0
		err := p.err
		p.mu.Unlock()
		if err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		<-p.rsig
	}
}

// dropBufferedLocked frees the buffered bytes and returns how many there
// were; mu must be held.
func (p *pipe) dropBufferedLocked() int {
	n := p.n
	for i := range p.chunks {
		p.chunks[i].free()
	}
	p.budget.used.Add(-int64(n))
	p.chunks, p.n = nil, 0
	return n
}

// discard drops what is buffered and makes later writes vanish; it is
// used when the consumer is gone (its handler returned).
func (p *pipe) discard() {
	p.mu.Lock()
	p.gone = true
	p.dropBufferedLocked()
	if p.err == nil {
		p.err = ErrHandlerDone
	}
	p.mu.Unlock()
	poke(p.wsig)
	poke(p.rsig)
}

// Payload is an incoming payload: the data of a message or response, the
// content of one file, or an attached stream. It is an io.Reader that yields
// bytes while they arrive and io.EOF once the payload is complete; if the
// sender aborts, Read returns ErrAborted; if the connection fails, the
// connection's error.
type Payload struct {
	size int64 // declared size; -1 for streams
	b    []byte
	off  int
	p    *pipe
}

// Size is the declared size in bytes, or -1 for a stream.
func (pl *Payload) Size() int64 {
	if pl == nil {
		return 0
	}
	return pl.size
}

// Read implements io.Reader.
func (pl *Payload) Read(b []byte) (int, error) {
	if pl == nil {
		return 0, io.EOF
	}
	if pl.p != nil {
		return pl.p.Read(b)
	}
	if pl.off >= len(pl.b) {
		return 0, io.EOF
	}
	n := copy(b, pl.b[pl.off:])
	pl.off += n
	return n, nil
}

// WriteTo implements io.WriterTo: it writes the rest of the payload to w
// without an intermediate buffer.
func (pl *Payload) WriteTo(w io.Writer) (int64, error) {
	if pl == nil {
		return 0, nil
	}
	if pl.p != nil {
		return pl.p.WriteTo(w)
	}
	n, err := w.Write(pl.b[pl.off:])
	pl.off += n
	return int64(n), err
}

// Bytes reads the rest of the payload into memory. It is meant for small
// payloads: the result is as large as the payload. For a payload that was
// received whole before the handler ran it returns the buffered bytes
// without copying; they must not be modified.
func (pl *Payload) Bytes() ([]byte, error) {
	if pl == nil {
		return nil, nil
	}
	if pl.p == nil {
		b := pl.b[pl.off:]
		pl.off = len(pl.b)
		return b, nil
	}
	n := 512
	if pl.size >= 0 && pl.size < 64<<20 {
		n = int(pl.size)
	}
	buf := make([]byte, 0, n)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		k, err := pl.p.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// Discard reads and drops the rest of the payload, returning how many bytes
// that was.
func (pl *Payload) Discard() (int64, error) {
	if pl == nil {
		return 0, nil
	}
	if pl.p == nil {
		n := len(pl.b) - pl.off
		pl.off = len(pl.b)
		return int64(n), nil
	}
	return pl.p.drain()
}
