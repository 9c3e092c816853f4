package sockety_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// TestCallsGivenUp gives up calls at random moments while their replies
// (fast replies and streamed 200 KB responses, more than the read loop
// collects whole) are under way. A reply nobody waits for any more must be
// discarded, not left to hold the read loop: afterwards the connection
// still carries large responses, and no goroutine is left behind.
func TestCallsGivenUp(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	c := dial(t, ts.addr, &sockety.Options{MaxMessageBuffer: 64 << 10})
	big := bytes.Repeat([]byte("sockety!"), 25000) // 200,000 bytes
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for i := range 40 {
				o := &sockety.Outgoing{Action: "fast"}
				if i%2 == 1 {
					o = &sockety.Outgoing{Action: "echo", Data: big}
				}
				ctx, cancel := context.WithTimeout(tctx(t), time.Duration(rng.IntN(20000))*time.Microsecond)
				r, err := c.Call(ctx, o)
				cancel()
				key := "replied"
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					key = "given up"
				case err != nil:
					t.Errorf("call %d: %v", i, err)
					return
				case r.Response != nil:
					if i%2 == 1 && rng.IntN(2) == 0 {
						r.Response.Discard() // read half of them
					} else if b, err := r.Response.Data().Bytes(); err != nil || !bytes.Equal(b, big) {
						t.Errorf("echo %d: %d bytes, %v", i, len(b), err)
						return
					}
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("outcomes: %v", outcomes)
	// The connection still works for large responses.
	for i := range 3 {
		r, err := c.Call(tctx(t), &sockety.Outgoing{Action: "echo", Data: big})
		if err != nil || r.Response == nil {
			t.Fatalf("echo after the give-ups %d: %+v %v", i, r, err)
		}
		if b, err := r.Response.Data().Bytes(); err != nil || !bytes.Equal(b, big) {
			t.Fatalf("echo after the give-ups %d: %d bytes, %v", i, len(b), err)
		}
	}
}

// TestClosedRequestDropsResponse closes requests whose large responses
// arrived but were never read: closing must discard them, or the unread
// payloads would stop the connection's read loop (each may buffer only
// MaxMessageBuffer bytes).
func TestClosedRequestDropsResponse(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	c := dial(t, ts.addr, &sockety.Options{MaxMessageBuffer: 16 << 10})
	big := bytes.Repeat([]byte("unread.."), 25000)
	var reqs []*sockety.Request
	for range 3 {
		req, err := c.Send(tctx(t), &sockety.Outgoing{Action: "echo", Data: big})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, req)
	}
	// Let the responses arrive (the first fills its buffer and holds the
	// read loop), then give up on all of them without reading.
	time.Sleep(200 * time.Millisecond)
	for _, req := range reqs {
		req.Close()
	}
	ctx, cancel := context.WithTimeout(tctx(t), 20*time.Second)
	defer cancel()
	r, err := c.Call(ctx, &sockety.Outgoing{Action: "echo", Data: big})
	if err != nil || r.Response == nil {
		t.Fatalf("echo after closing unread requests: %+v %v", r, err)
	}
	if b, err := r.Response.Data().Bytes(); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("echo: %d bytes, %v", len(b), err)
	}
}
