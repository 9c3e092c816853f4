package sockety

import "sync/atomic"

// lendMin is the smallest payload piece lent instead of copied: below it a
// copy is cheaper than holding a whole read buffer for it.
const lendMin = 4 << 10

// readBuf is a read buffer whose slices may be lent to payload pipes, so
// that payload bytes reach their consumer without being copied. refs counts
// its holders: the read loop while it reads into it, and every chunk lent
// from it; the last to let go sends it home, for the read loop to reuse.
type readBuf struct {
	b    []byte
	refs atomic.Int32
	home chan *readBuf
}

func (rb *readBuf) hold() { rb.refs.Add(1) }

func (rb *readBuf) release() {
	if rb.refs.Add(-1) == 0 {
		// home has room for every buffer of the connection, so this
		// never drops one while the read loop may want it.
		select {
		case rb.home <- rb:
		default:
		}
	}
}

// readBufs is the read loop's set of buffers (used by the read loop only).
// Lendable buffers add up to at most maxBytes; with all of them held by
// unread payloads the read loop reads into a private buffer and copies
// payload bytes, so lending adds at most maxBytes to a connection's memory.
type readBufs struct {
	size      int // bytes per read
	maxBytes  int
	home      chan *readBuf
	madeBytes int      // bytes of the lendable buffers alive
	cur       *readBuf // the lendable buffer being read into, or nil
	private   []byte   // read into when every lendable buffer is held
}

// newReadBufs makes the buffers of a read loop reading size bytes at first
// (growing up to 4x) that may lend up to maxBytes of buffers.
func newReadBufs(size, maxBytes int) *readBufs {
	// home has room for every lendable buffer, so release never blocks.
	return &readBufs{size: size, maxBytes: maxBytes, home: make(chan *readBuf, maxBytes/size+1)}
}

// next returns the buffer for the next Read and the readBuf its payload
// slices may be lent from (nil: copy them). The current buffer is reused
// when nothing lent from it is still held.
func (r *readBufs) next() ([]byte, *readBuf) {
	if cur := r.cur; cur != nil {
		// Only the read loop adds holders, so 1 means only we hold it.
		if cur.refs.Load() == 1 && len(cur.b) == r.size {
			return cur.b, cur
		}
		r.cur = nil
		cur.release()
	}
	for {
		select {
		case rb := <-r.home:
			if len(rb.b) != r.size {
				r.madeBytes -= len(rb.b) // made for an older size: let it go
				continue
			}
			rb.refs.Store(1)
			r.cur = rb
			return rb.b, rb
		default:
		}
		break
	}
	if r.madeBytes+r.size <= r.maxBytes {
		r.madeBytes += r.size
		rb := &readBuf{b: make([]byte, r.size), home: r.home}
		rb.refs.Store(1)
		r.cur = rb
		return rb.b, rb
	}
	if len(r.private) != r.size {
		r.private = make([]byte, r.size)
	}
	return r.private, nil
}

// grow doubles the read size (bulk transfers read in larger pieces).
func (r *readBufs) grow() { r.size *= 2 }
