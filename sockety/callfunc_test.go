package sockety_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

// asyncResult is what one CallFunc's done received, and how many times it
// was called.
type asyncResult struct {
	calls atomic.Int32
	reply sockety.Reply
	err   error
	data  []byte // a Response's data, read off the read loop
	done  chan struct{}
}

// start calls CallFunc with a done that records its arguments; a full
// Response's data is read from a goroutine of its own (done must not block).
func (ar *asyncResult) start(ctx context.Context, c *sockety.Conn, o *sockety.Outgoing) {
	ar.done = make(chan struct{})
	c.CallFunc(ctx, o, func(r sockety.Reply, err error) {
		if ar.calls.Add(1) > 1 {
			return // counted; the test fails on it
		}
		ar.reply, ar.err = r, err
		if err != nil || r.Response == nil {
			close(ar.done)
			return
		}
		go func() {
			defer close(ar.done)
			ar.data, ar.err = r.Response.Data().Bytes()
			r.Response.Discard()
		}()
	})
}

// TestCallFunc: every reply shape reaches done once, and so does every way
// a call can fail before or while it is sent.
func TestCallFunc(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	c := dial(t, ts.addr, nil)
	big := pattern(1<<20, 7)
	tests := []struct {
		name     string
		o        sockety.Outgoing
		wantCode sockety.Code // fast replies
		wantData []byte       // full responses (nil: a fast reply)
		wantErr  error
	}{
		{name: "fast", o: sockety.Outgoing{Action: "fast"}, wantCode: sockety.Accept},
		{name: "12-bit code", o: sockety.Outgoing{Action: "code", Data: []byte("4095")}, wantCode: 4095},
		{name: "not implemented", o: sockety.Outgoing{Action: "nope"}, wantCode: sockety.NotImplemented},
		{name: "echo 0 B", o: sockety.Outgoing{Action: "echo"}, wantData: []byte{}},
		{name: "echo 100 B", o: sockety.Outgoing{Action: "echo", Data: pattern(100, 1)}, wantData: pattern(100, 1)},
		{name: "echo 70 KB", o: sockety.Outgoing{Action: "echo", Data: pattern(70_000, 2)}, wantData: pattern(70_000, 2)},
		{name: "echo 1 MiB from a reader", o: sockety.Outgoing{Action: "echo", DataReader: bytes.NewReader(big), DataSize: int64(len(big))}, wantData: big},
		{name: "caller's UUID", o: sockety.Outgoing{Action: "fast", ID: sockety.NewUUID()}, wantCode: sockety.Accept},
		{name: "a stream is refused", o: sockety.Outgoing{Action: "echo", Stream: true, StreamReader: strings.NewReader("x")}, wantErr: sockety.ErrInvalid},
		{name: "action too long", o: sockety.Outgoing{Action: strings.Repeat("a", 70_000)}, wantErr: sockety.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ar asyncResult
			ar.start(tctx(t), c, &tt.o)
			recvWithin(t, ar.done, 20*time.Second, "done not called")
			switch {
			case tt.wantErr != nil:
				if !errors.Is(ar.err, tt.wantErr) {
					t.Fatalf("error %v, want %v", ar.err, tt.wantErr)
				}
			case ar.err != nil:
				t.Fatalf("error %v", ar.err)
			case tt.wantData == nil:
				if !ar.reply.IsFast() || ar.reply.Code != tt.wantCode {
					t.Fatalf("reply %+v, want fast reply %d", ar.reply, tt.wantCode)
				}
			default:
				if ar.reply.IsFast() || !bytes.Equal(ar.data, tt.wantData) {
					t.Fatalf("reply %+v with %d bytes, want a Response with %d", ar.reply, len(ar.data), len(tt.wantData))
				}
			}
			healthy(t, c) // the connection goes on
			if n := ar.calls.Load(); n != 1 {
				t.Fatalf("done called %d times", n)
			}
		})
	}
}

// TestCallFuncConnectionEnds: calls still waiting when the connection ends
// get its error, once each, whether their waiter sits in the slot table
// or (caller-chosen UUIDs whose slot is taken) in the map.
func TestCallFuncConnectionEnds(t *testing.T) {
	checkLeaks(t)
	r := sockety.NewRouter()
	r.HandleFunc("hold", func(m *sockety.Message) {}) // never answers
	r.HandleFunc("fast", func(m *sockety.Message) { _ = m.FastReply(context.Background(), sockety.Accept) })
	ts := startServer(t, r, nil, nil)
	c := dial(t, ts.addr, nil)
	const n = 300
	results := make([]asyncResult, n)
	for i := range results {
		o := &sockety.Outgoing{Action: "hold"}
		if i%3 == 0 {
			// Same first two bytes: one slot, the rest in the map.
			o.ID = sockety.NewUUID()
			o.ID[0], o.ID[1] = 0xAB, 0xCD
		}
		results[i].start(tctx(t), c, o)
	}
	healthy(t, c) // all 300 are registered and sent
	_ = c.Close()
	for i := range results {
		recvWithin(t, results[i].done, 10*time.Second, fmt.Sprintf("call %d not ended", i))
		if !errors.Is(results[i].err, sockety.ErrClosed) {
			t.Fatalf("call %d: error %v, want ErrClosed", i, results[i].err)
		}
	}
	time.Sleep(50 * time.Millisecond) // a second call of done would come now
	for i := range results {
		if k := results[i].calls.Load(); k != 1 {
			t.Fatalf("call %d: done called %d times", i, k)
		}
	}
}

// TestCallFuncGivesUpQueueing: a call registered but not queued in time
// (256 MiB to a peer that does not read: the write queue and the socket
// buffers fill long before) gets its context's error, once.
func TestCallFuncGivesUpQueueing(t *testing.T) {
	checkLeaks(t)
	c := deafPeer(t, &sockety.Options{WriteQueueBytes: 64 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var ar asyncResult
	ar.start(ctx, c, &sockety.Outgoing{Action: "fast", DataReader: zeros{}, DataSize: 256 << 20})
	recvWithin(t, ar.done, 20*time.Second, "done not called")
	if !errors.Is(ar.err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", ar.err)
	}
	_ = c.Close()
	time.Sleep(50 * time.Millisecond)
	if k := ar.calls.Load(); k != 1 {
		t.Fatalf("done called %d times", k)
	}
}

// TestCallFuncConcurrent: 10,000 calls over 2 connections, half started by
// 8 goroutines and half from done functions themselves (on the read
// loops), all answered, each done called once (-race).
func TestCallFuncConcurrent(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	conns := []*sockety.Conn{dial(t, ts.addr, nil), dial(t, ts.addr, nil)}
	const starters, perStarter = 8, 625 // 5,000, each followed by one more from done
	var calls, replies, failures atomic.Int64
	var wg sync.WaitGroup
	ctx := tctx(t)
	var call func(c *sockety.Conn, again bool)
	call = func(c *sockety.Conn, again bool) {
		wg.Add(1)
		var once atomic.Int32
		action, want := "fast", sockety.Accept
		if calls.Add(1)%2 == 0 {
			action, want = "code", 42
		}
		o := &sockety.Outgoing{Action: action}
		if action == "code" {
			o.Data = []byte("42")
		}
		c.CallFunc(ctx, o, func(r sockety.Reply, err error) {
			if once.Add(1) != 1 {
				failures.Add(1)
				return
			}
			defer wg.Done()
			if err != nil || !r.IsFast() || r.Code != want {
				failures.Add(1)
				return
			}
			replies.Add(1)
			if again {
				call(c, false)
			}
		})
	}
	for i := range starters {
		go func() {
			for range perStarter {
				call(conns[i%2], true)
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		for calls.Load() < 2*starters*perStarter && failures.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		wg.Wait()
		close(done)
	}()
	recvWithin(t, done, 60*time.Second, "calls not answered")
	if f, n := failures.Load(), replies.Load(); f != 0 || n != 2*starters*perStarter {
		t.Fatalf("%d replies, %d failures; want %d and 0", n, f, 2*starters*perStarter)
	}
}
