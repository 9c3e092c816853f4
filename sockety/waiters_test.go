package sockety

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// sameSlot returns an id other than id that maps to id's slot.
func sameSlot(id UUID) UUID {
	other := NewUUID()
	other[0], other[1] = id[0], id[1]
	return other
}

func TestWaitersRouting(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, ws *waiters)
	}{
		{"drawn id takes a slot; one reply, then gone", func(t *testing.T, ws *waiters) {
			w := newWaiter(false)
			id := ws.register(UUID{}, w)
			if id.IsZero() || !w.slotted {
				t.Fatalf("id %v slotted %v", id, w.slotted)
			}
			if id[6]>>4 != 4 || id[8]>>6 != 2 {
				t.Fatalf("not a version-4 UUID: %v", id)
			}
			if !ws.deliver(id, Reply{Code: 7}) {
				t.Fatal("reply not delivered")
			}
			if ws.deliver(id, Reply{Code: 8}) {
				t.Fatal("second reply delivered to a single-reply waiter")
			}
			if r, ok := w.take(); !ok || r.Code != 7 {
				t.Fatalf("took %+v %v", r, ok)
			}
		}},
		{"caller id on a taken slot goes to the map", func(t *testing.T, ws *waiters) {
			a, b := newWaiter(false), newWaiter(false)
			ida := ws.register(UUID{}, a)
			idb := ws.register(sameSlot(ida), b)
			if b.slotted || ws.mapped.Load() != 1 {
				t.Fatalf("b slotted %v, mapped %d", b.slotted, ws.mapped.Load())
			}
			if !ws.deliver(idb, Reply{Code: 2}) || !ws.deliver(ida, Reply{Code: 1}) {
				t.Fatal("a reply was not delivered")
			}
			ra, _ := a.take()
			rb, _ := b.take()
			if ra.Code != 1 || rb.Code != 2 {
				t.Fatalf("a got %d, b got %d", ra.Code, rb.Code)
			}
			if ws.count() != 0 || ws.mapped.Load() != 0 {
				t.Fatalf("%d still registered", ws.count())
			}
		}},
		{"unknown id on a taken slot is not delivered", func(t *testing.T, ws *waiters) {
			w := newWaiter(false)
			id := ws.register(UUID{}, w)
			if ws.deliver(sameSlot(id), Reply{}) {
				t.Fatal("delivered to the wrong waiter")
			}
			if _, ok := w.take(); ok {
				t.Fatal("waiter got a reply")
			}
		}},
		{"multi-reply waiter stays until removed", func(t *testing.T, ws *waiters) {
			w := newWaiter(true)
			id := ws.register(UUID{}, w)
			for i := range 3 {
				if !ws.deliver(id, Reply{Code: Code(i)}) {
					t.Fatalf("reply %d not delivered", i)
				}
			}
			for i := range 3 {
				if r, ok := w.take(); !ok || r.Code != Code(i) {
					t.Fatalf("reply %d: %+v %v", i, r, ok)
				}
			}
			if !ws.remove(id, w) || ws.deliver(id, Reply{}) {
				t.Fatal("removed multi-reply waiter still registered")
			}
		}},
		{"removed before the reply", func(t *testing.T, ws *waiters) {
			w := newWaiter(false)
			id := ws.register(UUID{}, w)
			if !ws.remove(id, w) {
				t.Fatal("remove failed")
			}
			if ws.deliver(id, Reply{}) {
				t.Fatal("delivered after remove")
			}
		}},
		{"removed after the reply reports it", func(t *testing.T, ws *waiters) {
			w := newWaiter(false)
			id := ws.register(UUID{}, w)
			ws.deliver(id, Reply{Code: 5})
			if ws.remove(id, w) {
				t.Fatal("remove claims a waiter the read loop cleared")
			}
			w.abandon(ws, id, nil) // takes the delivered reply without blocking
			if _, ok := w.take(); ok {
				t.Fatal("abandon left a reply")
			}
		}},
		{"a full table falls back to the map", func(t *testing.T, ws *waiters) {
			var ids []UUID
			var all []*waiter
			for range 3 * waiterSlots {
				w := newWaiter(false)
				ids = append(ids, ws.register(UUID{}, w))
				all = append(all, w)
			}
			if ws.count() != len(ids) || ws.mapped.Load() == 0 {
				t.Fatalf("count %d mapped %d", ws.count(), ws.mapped.Load())
			}
			for i, id := range ids {
				if !ws.deliver(id, Reply{Code: Code(i % 4096)}) {
					t.Fatalf("reply %d not delivered", i)
				}
				if r, _ := all[i].take(); r.Code != Code(i%4096) {
					t.Fatalf("waiter %d got %d", i, r.Code)
				}
			}
			if ws.count() != 0 {
				t.Fatalf("%d left", ws.count())
			}
		}},
		{"wakeAll pokes slots and map", func(t *testing.T, ws *waiters) {
			a, b := newWaiter(false), newWaiter(true)
			ws.register(UUID{}, a)
			ws.register(UUID{}, b)
			ws.wakeAll(nil)
			for _, w := range []*waiter{a, b} {
				select {
				case <-w.sig:
				default:
					t.Fatal("waiter not poked")
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newWaiters()) })
	}
}

// TestWaitersConcurrent races registrations, give-ups (abandon) and one
// delivering goroutine, like senders and the read loop: every waiter ends
// with exactly one outcome, replies reach only their own waiter, pooled
// waiters are reused safely, and nothing stays registered.
func TestWaitersConcurrent(t *testing.T) {
	ws := newWaiters()
	const senders, rounds = 8, 2000
	ids := make(chan UUID, 1024)
	stop := make(chan struct{})
	var delivered atomic.Int64
	var readerDone sync.WaitGroup
	readerDone.Add(1)
	go func() { // the read loop
		defer readerDone.Done()
		for {
			select {
			case id := <-ids:
				// The reply's code names its request.
				if ws.deliver(id, Reply{Code: Code(id[15])}) {
					delivered.Add(1)
				}
			case <-stop:
				return
			}
		}
	}()
	var got, abandoned atomic.Int64
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(s), 1))
			pool := []*waiter{}
			for range rounds {
				var w *waiter
				if n := len(pool); n > 0 {
					w, pool = pool[n-1], pool[:n-1]
				} else {
					w = newWaiter(false)
				}
				id := ws.register(UUID{}, w)
				if rng.IntN(4) == 0 {
					w.abandon(ws, id, nil) // gave up before the reply was sent
					abandoned.Add(1)
					continue
				}
				ids <- id
				if rng.IntN(4) == 0 {
					w.abandon(ws, id, nil) // gave up while the reply may be under way
					abandoned.Add(1)
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				r, err := w.wait(ctx, nil, func() error { return nil })
				cancel()
				if err != nil {
					t.Errorf("wait: %v", err)
					return
				}
				if r.Code != Code(id[15]) {
					t.Errorf("reply for %v went to the waiter of another id (code %d)", id, r.Code)
					return
				}
				got.Add(1)
				select {
				case <-w.sig:
				default:
				}
				w.slotted = false
				pool = append(pool, w) // reused, like Call's waiterPool
			}
		}()
	}
	wg.Wait()
	close(stop)
	readerDone.Wait()
	if n := got.Load() + abandoned.Load(); n != senders*rounds {
		t.Fatalf("%d outcomes for %d waiters", n, senders*rounds)
	}
	if d := delivered.Load(); d < got.Load() {
		t.Fatalf("%d delivered but %d received", d, got.Load())
	}
	if n := ws.count(); n != 0 {
		t.Fatalf("%d waiters still registered", n)
	}
}
