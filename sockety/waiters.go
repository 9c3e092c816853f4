package sockety

import (
	"context"
	"sync"
)

// Reply is one answer to a message or response that expected one: either a
// fast reply code (Response == nil) or a full Response.
type Reply struct {
	// Code is the fast reply code; meaningful when Response is nil.
	Code Code
	// Response is the full response, nil for a fast reply.
	Response *Response
}

// IsFast reports whether r is a fast reply.
func (r Reply) IsFast() bool { return r.Response == nil }

// waiter collects the replies to one outgoing message or response.
type waiter struct {
	mu    sync.Mutex
	first Reply
	has   bool
	more  []Reply
	multi bool // stays registered after the first reply
	sig   chan struct{}
}

// deliver stores a reply; it never blocks.
func (w *waiter) deliver(r Reply) {
	w.mu.Lock()
	if !w.has {
		w.first, w.has = r, true
	} else {
		w.more = append(w.more, r)
	}
	w.mu.Unlock()
	poke(w.sig)
}

func (w *waiter) take() (Reply, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.has {
		return Reply{}, false
	}
	r := w.first
	if len(w.more) > 0 {
		w.first = w.more[0]
		w.more[0] = Reply{}
		w.more = w.more[1:]
	} else {
		w.first, w.has = Reply{}, false
	}
	return r, true
}

func (w *waiter) wait(ctx context.Context, dead <-chan struct{}, connErr func() error) (Reply, error) {
	if ctx.Done() == nil {
		// Not cancellable: a plain receive is much cheaper than a select.
		// The connection's end pokes every registered waiter (see
		// waiters.wakeAll), so checking dead after each wakeup suffices.
		for {
			if r, ok := w.take(); ok {
				return r, nil
			}
			select {
			case <-dead:
				if r, ok := w.take(); ok {
					return r, nil
				}
				return Reply{}, connErr()
			default:
			}
			<-w.sig
		}
	}
	for {
		if r, ok := w.take(); ok {
			return r, nil
		}
		select {
		case <-w.sig:
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		case <-dead:
			if r, ok := w.take(); ok {
				return r, nil
			}
			return Reply{}, connErr()
		}
	}
}

func newWaiter(multi bool) *waiter { return &waiter{sig: make(chan struct{}, 1), multi: multi} }

var waiterPool = sync.Pool{New: func() any { return &waiter{sig: make(chan struct{}, 1)} }}

const waiterShards = 64

// waiters maps message UUIDs to the waiters of their replies. It is sharded
// by a random byte of the UUID so that senders and the read loop rarely
// contend.
type waiters struct {
	shards [waiterShards]struct {
		mu sync.Mutex
		m  map[UUID]*waiter
		_  [40]byte // keep shards on separate cache lines
	}
}

func newWaiters() *waiters {
	ws := &waiters{}
	for i := range ws.shards {
		ws.shards[i].m = make(map[UUID]*waiter)
	}
	return ws
}

func shardOf(id UUID) int { return int(id[15]) % waiterShards }

func (ws *waiters) add(id UUID, w *waiter) {
	s := &ws.shards[shardOf(id)]
	s.mu.Lock()
	s.m[id] = w
	s.mu.Unlock()
}

// remove unregisters w under id; once it returns no delivery to w is in
// progress.
func (ws *waiters) remove(id UUID, w *waiter) {
	s := &ws.shards[shardOf(id)]
	s.mu.Lock()
	if s.m[id] == w {
		delete(s.m, id)
	}
	s.mu.Unlock()
}

// deliver hands r to the waiter of id, unregistering single-reply waiters.
// It reports whether someone was waiting.
func (ws *waiters) deliver(id UUID, r Reply) bool {
	s := &ws.shards[shardOf(id)]
	s.mu.Lock()
	w := s.m[id]
	if w == nil {
		s.mu.Unlock()
		return false
	}
	if !w.multi {
		delete(s.m, id)
	}
	w.deliver(r)
	s.mu.Unlock()
	return true
}

// wakeAll pokes every registered waiter; the connection calls it once it
// has ended (after its writer stopped accepting packets, so no waiter can
// register later without its send failing).
func (ws *waiters) wakeAll() {
	for i := range ws.shards {
		s := &ws.shards[i]
		s.mu.Lock()
		for _, w := range s.m {
			poke(w.sig)
		}
		s.mu.Unlock()
	}
}

// count is the number of registered waiters (for tests).
func (ws *waiters) count() int {
	n := 0
	for i := range ws.shards {
		s := &ws.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
