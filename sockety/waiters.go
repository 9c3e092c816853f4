package sockety

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
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
	// id and slotted are set by register, before w is published, and
	// read by the read loop only after it found w registered.
	id      UUID
	slotted bool // registered in a slot of waiters (else in the map)

	// A single-reply waiter gets one delivery at most per registration
	// (whoever unregisters it delivers): the reply is stored in first,
	// then published by full, without a lock.
	full atomic.Bool

	mu    sync.Mutex // multi-reply waiters: first, has, more
	first Reply
	has   bool
	more  []Reply
	multi bool // stays registered after the first reply
	sig   chan struct{}

	// An async waiter (CallFunc) calls fn with its one reply instead of
	// storing it; async and fn are set before it is registered. refs
	// counts the sender and the deliverer: the last to let go pools it.
	async bool
	fn    func(Reply, error)
	refs  atomic.Int32
}

// finish calls an async waiter's function and lets go of the deliverer's
// reference. Exactly one party calls it: whoever unregistered the waiter.
func (w *waiter) finish(r Reply, err error) {
	w.fn(r, err)
	w.release()
}

// release lets go of a reference to an async waiter.
func (w *waiter) release() {
	if w.refs.Add(-1) == 0 {
		w.async, w.fn = false, nil
		waiterPool.Put(w)
	}
}

// deliver stores a reply; it never blocks.
func (w *waiter) deliver(r Reply) {
	if w.async {
		w.finish(r, nil)
		return
	}
	if !w.multi {
		w.first = r
		w.full.Store(true)
		poke(w.sig)
		return
	}
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
	if !w.multi {
		if !w.full.Load() {
			return Reply{}, false
		}
		r := w.first
		w.first = Reply{}
		w.full.Store(false)
		return r, true
	}
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

// waiterSlots is the size of a connection's slot table (8 KiB of
// pointers): a few hundred replies awaited at once rarely need the map.
const waiterSlots = 1024

// slotDraws is how many UUIDs register draws at most looking for a free
// slot before it falls back to the map.
const slotDraws = 4

const waiterShards = 16

// waiters routes replies to the waiters of the messages (and responses)
// that expect them.
//
// A single-reply waiter lives in a slot chosen by its UUID's first bytes:
// register draws random UUIDs until one lands on a free slot (the UUID
// stays random; only its first two bytes avoid the slots in use), so a
// reply is found by one index and one
// comparison, and the slot is cleared with one compare-and-swap instead of
// a lock and a map. Whoever clears the slot owns the waiter's fate: the
// read loop (the reply is delivered) or the sender giving up (nothing will
// be). Waiters with a caller-chosen UUID whose slot is taken, and
// multi-reply waiters, go to a small sharded map under mutexes.
type waiters struct {
	slots [waiterSlots]atomic.Pointer[waiter]
	// mapped counts the waiters in shards, so that a lookup skips the
	// map when it is empty (the common case).
	mapped atomic.Int64
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

func slotOf(id UUID) int { return int(binary.LittleEndian.Uint16(id[:2])) % waiterSlots }

func shardOf(id UUID) int { return int(id[15]) % waiterShards }

// register makes w the waiter of the replies to id and returns id; a zero
// id is replaced by a fresh random UUID. It is called before the message
// is queued, so that the reply cannot arrive first.
func (ws *waiters) register(id UUID, w *waiter) UUID {
	w.slotted = false
	if !w.multi {
		if id.IsZero() {
			for range slotDraws {
				id = NewUUID()
				if ws.claim(id, w) {
					return id
				}
			}
		} else if ws.claim(id, w) {
			return id
		}
	}
	if id.IsZero() {
		id = NewUUID()
	}
	w.id = id
	s := &ws.shards[shardOf(id)]
	s.mu.Lock()
	if _, dup := s.m[id]; !dup {
		ws.mapped.Add(1)
	}
	s.m[id] = w
	s.mu.Unlock()
	return id
}

// claim puts w in id's slot when the slot is free.
func (ws *waiters) claim(id UUID, w *waiter) bool {
	w.id, w.slotted = id, true
	if ws.slots[slotOf(id)].CompareAndSwap(nil, w) {
		return true
	}
	w.slotted = false
	return false
}

// remove unregisters w, registered under id, and reports whether it did.
// When w was in a slot and remove reports false, the read loop cleared the
// slot first and a reply is being delivered to w. Either way, the read
// loop may still be looking at w: a removed waiter must not be pooled.
func (ws *waiters) remove(id UUID, w *waiter) bool {
	if w.slotted {
		return ws.slots[slotOf(id)].CompareAndSwap(w, nil)
	}
	if ws.mapped.Load() == 0 {
		return false
	}
	s := &ws.shards[shardOf(id)]
	s.mu.Lock()
	found := s.m[id] == w
	if found {
		delete(s.m, id)
		ws.mapped.Add(-1)
	}
	s.mu.Unlock()
	return found
}

// abandon unregisters w (registered under id, or not registered at all)
// and drops the replies it holds or is about to get, discarding their
// payloads: nobody will read them, and an unread payload would hold the
// connection's read loop. w must not be reused afterwards.
func (w *waiter) abandon(ws *waiters, id UUID, err error) {
	if w.async {
		// Whoever unregisters it reports: here the error, else the read
		// loop the reply that came anyway.
		if ws.remove(id, w) {
			w.finish(Reply{}, err)
		}
		return
	}
	if !ws.remove(id, w) && w.slotted {
		// The read loop cleared the slot: its delivery is under way and
		// takes no longer than a mutex.
		for {
			if r, ok := w.take(); ok {
				r.drop()
				break
			}
			<-w.sig
		}
	}
	for {
		r, ok := w.take()
		if !ok {
			return
		}
		r.drop()
	}
}

// drop discards the payloads of a full response nobody will read.
func (r Reply) drop() {
	if r.Response != nil {
		r.Response.discard()
	}
}

// deliver hands r to the waiter of id, unregistering single-reply waiters.
// It reports whether someone was waiting. Only the read loop calls it.
func (ws *waiters) deliver(id UUID, r Reply) bool {
	slot := &ws.slots[slotOf(id)]
	if w := slot.Load(); w != nil && w.id == id && slot.CompareAndSwap(w, nil) {
		w.deliver(r)
		return true
	}
	if ws.mapped.Load() == 0 {
		return false
	}
	s := &ws.shards[shardOf(id)]
	s.mu.Lock()
	w := s.m[id]
	if w == nil {
		s.mu.Unlock()
		return false
	}
	if !w.multi {
		delete(s.m, id)
		ws.mapped.Add(-1)
	}
	if w.async {
		// Its function may send (and register) again: not under the lock.
		s.mu.Unlock()
		w.deliver(r)
		return true
	}
	w.deliver(r)
	s.mu.Unlock()
	return true
}

// wakeAll pokes every registered waiter, and unregisters the async ones
// and calls them with err (from a goroutine of its own: the connection
// calls wakeAll while it ends, and their functions may use it). The
// connection calls it once it has ended (after its writer stopped
// accepting packets, so no waiter can register later without its send
// failing).
func (ws *waiters) wakeAll(err error) {
	var async []*waiter
	for i := range ws.slots {
		if w := ws.slots[i].Load(); w != nil {
			if !w.async {
				poke(w.sig)
			} else if ws.slots[i].CompareAndSwap(w, nil) {
				async = append(async, w)
			}
		}
	}
	for i := range ws.shards {
		s := &ws.shards[i]
		s.mu.Lock()
		for id, w := range s.m {
			if !w.async {
				poke(w.sig)
				continue
			}
			delete(s.m, id)
			ws.mapped.Add(-1)
			async = append(async, w)
		}
		s.mu.Unlock()
	}
	if len(async) > 0 {
		go func() {
			for _, w := range async {
				w.finish(Reply{}, err)
			}
		}()
	}
}

// count is the number of registered waiters (for tests).
func (ws *waiters) count() int {
	n := 0
	for i := range ws.slots {
		if ws.slots[i].Load() != nil {
			n++
		}
	}
	for i := range ws.shards {
		s := &ws.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}
