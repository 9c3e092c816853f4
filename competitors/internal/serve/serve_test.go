package serve

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// TestCloseEndsEveryConnection starts handlers that block reading, then
// checks that Close ends them all and returns only after every handler
// returned; a second Close is harmless.
func TestCloseEndsEveryConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var started, returned atomic.Int32
	s := Start(ln, func(c net.Conn) {
		started.Add(1)
		_, _ = io.Copy(io.Discard, c) // until the connection is closed
		returned.Add(1)
	})
	const n = 5
	var clients []net.Conn
	for range n {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	deadline := time.Now().Add(30 * time.Second)
	for started.Load() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := started.Load(); got != n {
		t.Fatalf("%d handlers started, want %d", got, n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := returned.Load(); got != n {
		t.Fatalf("Close returned with %d of %d handlers returned", got, n)
	}
	for i, c := range clients {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("client %d: read after Close: %v, want EOF", i, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
