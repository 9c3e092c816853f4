package sockety_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// FuzzConn drives a server connection with arbitrary bytes from a peer on a
// pipe: whatever arrives, the connection must answer or fail with an error,
// never panic or hang, and leave no goroutine behind once closed.
func FuzzConn(f *testing.F) {
	id := wire.UUID(sockety.NewUUID())
	seed := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	msg := func(action string, data uint64, expects bool, stream bool, files ...wire.FileHeader) []byte {
		b, _ := wire.AppendMessage(nil, &wire.MessageHeader{ID: id, Action: action, DataSize: data, Expects: expects, HasStream: stream, Files: files})
		return b
	}
	f.Add(seed([]byte{0xE3}, msg("fast", 0, true, false)))
	f.Add(seed([]byte{0xE3}, msg("echo", 3, true, false), []byte{0xE0, 3, 1, 2, 3}))
	f.Add(seed([]byte{0xE3}, msg("echo", 0, true, true), []byte{0x70, 2, 9, 9, 0x80}))
	f.Add(seed([]byte{0xE3}, msg("echo", 0, true, false, wire.FileHeader{Name: "a", Size: 2}, wire.FileHeader{Name: "b"}),
		[]byte{0xC0, 2, 7, 7, 0xD0, 0xD1, 1}))
	f.Add(seed([]byte{0xE3, 0x01}, msg("ping", 100, false, false), []byte{0xE0, 2, 1, 2, 0x90}))
	f.Add([]byte{0xE3, 0xF0})
	f.Add([]byte{0xE2, 0x10, 0x00, 0x1F, 0xFF})
	f.Fuzz(func(t *testing.T, in []byte) {
		// The peer: drain what the server writes, send the input, close.
		b, ready, drained := fuzzPeer(true)
		_, _ = b.Write(in)
		_ = b.Close()
		<-drained
		endsAfterPeer(t, <-ready)
	})
}

// fuzzPeer starts a connection (server side or client) on one end of a
// pipe, with the contract handler and short timeouts, and returns the other
// end for the fuzzer's bytes (writes time out after 2 s); what the
// connection writes there is drained until the pipe closes. ready yields
// the connection (nil when NewConn failed).
func fuzzPeer(isServer bool) (peer net.Conn, ready <-chan *sockety.Conn, drained <-chan struct{}) {
	a, b := net.Pipe()
	opts := &sockety.Options{Handler: contract.NewContractHandler(), HeaderTimeout: 200 * time.Millisecond, HeartbeatInterval: -1, IdleTimeout: -1}
	rd := make(chan *sockety.Conn, 1)
	go func() {
		c, _ := sockety.NewConn(context.Background(), a, opts, isServer)
		rd <- c
	}()
	dr := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, b)
		close(dr)
	}()
	_ = b.SetWriteDeadline(time.Now().Add(2 * time.Second))
	return b, rd, dr
}

// endsAfterPeer fails t unless c (when not nil) ends within 5 s once its
// peer closed, then closes it.
func endsAfterPeer(t *testing.T, c *sockety.Conn) {
	t.Helper()
	if c == nil {
		return
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection still open after the peer closed")
	}
	_ = c.Close()
}
