package sockety

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestWriterRoomInOrder fills a writer's queue while its peer does not
// read, blocks many senders on it (some giving up at random moments, also
// right when they are woken), then lets the peer read: every sender that
// did not give up gets its bytes written, whole and once, and nobody is left
// waiting (a wake-up lost to a sender that gave up would leave the others
// asleep with an empty queue).
func TestWriterRoomInOrder(t *testing.T) {
	for round := range 6 {
		a, b := net.Pipe()
		w := newWriter(a, 1000)
		loopDone := make(chan error, 1)
		go func() { loopDone <- w.loop() }()
		rng := rand.New(rand.NewPCG(uint64(round), 3))
		// Odd rounds: every sender needs the whole queue, so each flush
		// wakes exactly one, and one that gives up must hand its turn on.
		const senders = 60
		size := 300
		if round%2 == 1 {
			size = 1000
		}
		var sent atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, senders)
		for i := range senders {
			var ctx context.Context = context.Background()
			cancel := context.CancelFunc(func() {})
			if i%4 == 0 {
				ctx, cancel = context.WithTimeout(context.Background(), time.Duration(30+rng.IntN(60))*time.Millisecond)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cancel()
				if err := w.lock(ctx, size); err != nil {
					if i%4 != 0 || !errors.Is(err, context.DeadlineExceeded) {
						errs <- err
					}
					return
				}
				w.buf = append(w.buf, make([]byte, size)...)
				w.unlock()
				sent.Add(int64(size))
			}()
		}
		// The peer starts reading once the senders piled up.
		time.Sleep(40 * time.Millisecond)
		var got atomic.Int64
		readDone := make(chan struct{})
		go func() { // a slow peer: the senders wait for room for a while
			defer close(readDone)
			buf := make([]byte, 500)
			for {
				n, err := b.Read(buf)
				got.Add(int64(n))
				if err != nil {
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
		finished := make(chan struct{})
		go func() { wg.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: senders still waiting for room", round)
		}
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: sender: %v", round, err)
		}
		// Flush what is queued, then stop the writer and the peer.
		w.shutdown()
		if err := <-loopDone; err != nil {
			t.Fatalf("round %d: writer: %v", round, err)
		}
		_ = a.Close()
		<-readDone
		if got.Load() != sent.Load() {
			t.Fatalf("round %d: peer read %d bytes, senders queued %d", round, got.Load(), sent.Load())
		}
		if n := len(w.spaceQ); n != 0 {
			t.Fatalf("round %d: %d waiters left queued", round, n)
		}
	}
}

// TestWriterWokenSenderGivesUp wakes a waiting sender whose context ended
// at the same moment: when it gives up, the room it was woken for must go
// to the sender behind it, or that one sleeps with an empty queue. Each
// trial is decided by the woken sender's select (room or context: either
// may win), so the trials repeat until the give-up case happened often.
func TestWriterWokenSenderGivesUp(t *testing.T) {
	gaveUp := 0
	for trial := 0; trial < 200 && gaveUp < 5; trial++ {
		a, b := net.Pipe()
		w := newWriter(a, 1000)
		w.buf = append(w.buf, make([]byte, 1000)...) // full; no writer loop
		ctxA, cancelA := context.WithCancel(context.Background())
		resA, resB := make(chan error, 1), make(chan error, 1)
		take := func(ctx context.Context, res chan error) {
			err := w.lock(ctx, 1000)
			if err == nil {
				w.mu.Unlock()
			}
			res <- err
		}
		go take(ctxA, resA)
		waitQueued(t, w, 1)
		go take(context.Background(), resB)
		waitQueued(t, w, 2)
		// The writer's turn: the queue was written; A is woken as its
		// context ends.
		w.mu.Lock()
		w.buf = w.buf[:0]
		cancelA()
		w.wakeSpaceLocked()
		w.mu.Unlock()
		errA := <-resA
		if errA != nil {
			gaveUp++
			select {
			case err := <-resB:
				if err != nil {
					t.Fatalf("B: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("A gave up the room it was woken for, and B was not woken")
			}
		} else {
			w.stop(ErrClosed) // B is still waiting: end it
			<-resB
		}
		_, _ = a.Close(), b.Close()
	}
	if gaveUp == 0 {
		t.Skip("the woken sender never saw its context end first in 200 trials")
	}
}

func waitQueued(t *testing.T, w *writer, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		w.mu.Lock()
		q := len(w.spaceQ)
		w.mu.Unlock()
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d senders queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAcquireOnStoppedWriter: a transfer asking for an in-flight token
// once the writer has stopped gets an error even before the connection
// recorded its own (it does so just after the writer stops). A nil error
// there sent the transfer on without a token, to wait forever for one to
// give back (seen as a hang in TestServerWritesToPeerThatStopsReading).
func TestAcquireOnStoppedWriter(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	w := newWriter(a, 1000)
	done := make(chan error, 1)
	go func() { done <- w.loop() }()
	w.stop(errors.New("boom"))
	<-done
	c := &Conn{w: w} // c.err not recorded yet
	tr := &transfer{c: c, ack: make(chan struct{}, 2)}
	tr.ack <- struct{}{}
	tr.ack <- struct{}{} // both tokens in flight: only dead can answer
	if err := tr.acquire(context.Background()); err == nil {
		t.Fatal("acquire on a stopped writer returned no error")
	}
}
