package sockety_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// FuzzClientConn drives a client connection with arbitrary bytes from a
// server on a pipe while the client has two requests in flight whose IDs
// the input may answer, one from Call and one from CallFunc: whatever
// arrives (replies, responses with payloads, messages from the server),
// the client must answer or fail with an error, never panic or hang, and
// CallFunc's function runs exactly once.
func FuzzClientConn(f *testing.F) {
	reqID := sockety.UUID{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x47, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x01}
	asyncID := reqID
	asyncID[0] = 0x12 // another slot
	id := wire.UUID(reqID)
	other := wire.UUID(sockety.NewUUID())
	resp := func(data uint64, stream bool, files ...wire.FileHeader) []byte {
		b, _ := wire.AppendResponse(nil, &wire.ResponseHeader{MessageID: id, ID: other, DataSize: data, HasStream: stream, Files: files})
		return b
	}
	fast, _ := wire.AppendFastReply(nil, id, 2)
	fast12, _ := wire.AppendFastReply(nil, id, 4000)
	msg, _ := wire.AppendMessage(nil, &wire.MessageHeader{ID: other, Action: "fast", Expects: true})
	f.Add(append([]byte{0xE3}, fast...))
	f.Add(append([]byte{0xE2, 0x02, 0x00}, fast12...))
	f.Add(cat([]byte{0xE3}, resp(3, false), []byte{0xE0, 3, 1, 2, 3}))
	f.Add(cat([]byte{0xE3}, resp(0, true), []byte{0x70, 2, 9, 9, 0x80}))
	f.Add(cat([]byte{0xE3}, resp(0, false, wire.FileHeader{Name: "a", Size: 2}), []byte{0xC0, 2, 7, 7, 0xD0}))
	f.Add(cat([]byte{0xE3}, resp(10, false), []byte{0xE0, 2, 1, 2, 0x90}))
	f.Add(cat([]byte{0xE3}, msg, fast))
	f.Add(cat([]byte{0xE3, 0x01}, resp(0, false), []byte{0x00}, fast))
	f.Add([]byte{0xE3, 0xB0, 0xA0})
	fastAsync, _ := wire.AppendFastReply(nil, wire.UUID(asyncID), 1)
	respAsync, _ := wire.AppendResponse(nil, &wire.ResponseHeader{MessageID: wire.UUID(asyncID), ID: other, DataSize: 2})
	f.Add(cat([]byte{0xE3}, fastAsync, fast))
	f.Add(cat([]byte{0xE3}, respAsync, []byte{0xE0, 2, 5, 5}, fastAsync))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, ready, drained := fuzzPeer(false)
		// The header goes first so that the client gets ready and sends
		// its request before the rest arrives.
		k := min(len(in), 1)
		if k > 0 && in[0]&0xFC == 0xE0 {
			k = [4]int{1, 2, 3, 1}[in[0]&3]
			k = min(k, len(in))
		}
		_, _ = b.Write(in[:k])
		var c *sockety.Conn
		got := false
		called := make(chan struct{})
		var asyncCalls atomic.Int32
		asyncDone := make(chan struct{})
		select {
		case c = <-ready:
			got = true
		case <-time.After(300 * time.Millisecond):
		}
		if c != nil {
			c.CallFunc(context.Background(), &sockety.Outgoing{ID: asyncID, Action: "fast"}, func(rep sockety.Reply, err error) {
				if asyncCalls.Add(1) == 1 {
					if err == nil && rep.Response != nil {
						rep.Response.Discard() // does not block the read loop
					}
					close(asyncDone)
				}
			})
			go func() {
				defer close(called)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if rep, err := c.Call(ctx, &sockety.Outgoing{ID: reqID, Action: "echo", Data: []byte{1, 2, 3}}); err == nil && rep.Response != nil {
					rep.Response.Discard()
				}
			}()
		} else {
			close(called)
			close(asyncDone)
			asyncCalls.Store(1)
		}
		_, _ = b.Write(in[k:])
		_ = b.Close()
		<-drained
		if !got {
			select {
			case c = <-ready:
			case <-time.After(5 * time.Second):
				t.Fatal("NewConn still blocked after the peer closed")
			}
		}
		endsAfterPeer(t, c)
		select {
		case <-called:
		case <-time.After(5 * time.Second):
			t.Fatal("call still blocked after the connection ended")
		}
		select {
		case <-asyncDone:
		case <-time.After(5 * time.Second):
			t.Fatal("CallFunc's function not called after the connection ended")
		}
		time.Sleep(time.Millisecond) // a second call would come about now
		if n := asyncCalls.Load(); n != 1 {
			t.Fatalf("CallFunc's function called %d times", n)
		}
	})
}
