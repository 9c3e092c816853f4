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
// read loop to its consumer. The read loop copies payload bytes into pooled
// blocks; write blocks while the payload already has its limit buffered (or
// the connection its budget), which stops the read loop: that is the
// backpressure towards the peer.
type pipe struct {
	mu     sync.Mutex
	blocks []*[]byte
	r, w   int // read offset in blocks[0], write offset in the last block
	n      int // buffered bytes
	limit  int
	err    error // set when the writer side ended (io.EOF on success)
	gone   bool  // the consumer stopped reading: discard
	rsig   chan struct{}
	wsig   chan struct{}
	budget *budget
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

// write copies b into the pipe, blocking while it is full. It returns early
// with errClosing when done is closed.
func (p *pipe) write(b []byte, done <-chan struct{}) error {
	for len(b) > 0 {
		p.mu.Lock()
		if p.gone {
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
		written := 0
		for written < k {
			if len(p.blocks) == 0 || p.w == blockSize {
				p.blocks = append(p.blocks, blockPool.Get().(*[]byte))
				p.w = 0
			}
			last := *p.blocks[len(p.blocks)-1]
			c := copy(last[p.w:], b[written:k])
			p.w += c
			written += c
		}
		p.n += k
		p.budget.used.Add(int64(k))
		p.mu.Unlock()
		poke(p.rsig)
		b = b[k:]
	}
	return nil
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
				blk := *p.blocks[0]
				end := blockSize
				if len(p.blocks) == 1 {
					end = p.w
				}
				c := copy(b[k:], blk[p.r:end])
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

// advance consumes k bytes from the first block, freeing it once it is used
// up; mu must be held. Block boundaries are read fresh here, because the
// writer may have added bytes and blocks since the caller looked.
func (p *pipe) advance(k int) {
	p.r += k
	p.n -= k
	if p.r == blockSize || (len(p.blocks) == 1 && p.r == p.w) {
		blockPool.Put(p.blocks[0])
		// Shift the (short) list down instead of reslicing from the
		// front, so that its array is reused: appending to a list
		// consumed from the front reallocated it every few blocks (20
		// allocations per 1 MiB payload).
		n := copy(p.blocks, p.blocks[1:])
		p.blocks[n] = nil
		p.blocks = p.blocks[:n]
		p.r = 0
		if n == 0 {
			p.w = 0
		}
	}
}

// WriteTo writes the payload to w as it arrives, straight from the
// buffered blocks (no intermediate copy), until it is complete.
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
		blk := *p.blocks[0]
		end := blockSize
		if len(p.blocks) == 1 {
			end = p.w
		}
		chunk := blk[p.r:end]
		p.mu.Unlock()
		// Only the consumer frees blocks, so chunk stays valid unlocked.
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

// discard drops what is buffered and makes later writes vanish; it is
// used when the consumer is gone (its handler returned).
func (p *pipe) discard() {
	p.mu.Lock()
	p.gone = true
	for _, b := range p.blocks {
		blockPool.Put(b)
	}
	p.budget.used.Add(-int64(p.n))
	p.blocks, p.n, p.r, p.w = nil, 0, 0, 0
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
	n, err := io.Copy(io.Discard, pl)
	return n, err
}
