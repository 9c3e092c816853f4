package http1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dialAwait dials addr and wraps the connection in an awaitConn.
func dialAwait(t *testing.T, addr string) *awaitConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(time.Minute)) // bounded, whatever the test does
	w, ok := newAwaitConn(c)
	if !ok {
		t.Fatal("a TCP connection was not wrapped")
	}
	return w.(*awaitConn)
}

// readNow makes one non-blocking read system call on a's socket: what is
// there at this moment, or EAGAIN.
func readNow(t *testing.T, a *awaitConn) (int, error) {
	t.Helper()
	var n int
	var rerr error
	if err := a.rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), make([]byte, 4096))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return n, rerr
}

// echoAfter answers each line read from c with reply, delay after the
// whole line arrived.
func echoAfter(c net.Conn, reply string, delay time.Duration) {
	br := bufio.NewReader(c)
	for {
		if _, err := br.ReadString('\n'); err != nil {
			return
		}
		time.Sleep(delay)
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// TestAwaitConnWaits: an armed Write returns once the answer is readable
// (the server answers only after the whole request arrived, so the answer
// can only be there if Write waited for it: the server answers 20 ms
// late, so that without the wait the read would find nothing). A request larger than the
// socket's send buffer is finished by the ordinary Write, without the
// wait, and still arrives whole. An unarmed Write does not wait.
func TestAwaitConnWaits(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) { echoAfter(c, "ok\n", 20*time.Millisecond) })
	for _, size := range []int{16, 8 << 20} {
		a := dialAwait(t, addr)
		req := []byte(strings.Repeat("x", size-1) + "\n")
		for i := range 3 {
			a.armed = true
			n, err := a.Write(req)
			if n != len(req) || err != nil {
				t.Fatalf("size %d, request %d: armed Write = %d, %v; want %d, nil", size, i, n, err, len(req))
			}
			if a.armed {
				t.Fatalf("size %d: still armed after Write", size)
			}
			if size > 64<<10 {
				// More than one write system call takes: the rest went
				// out through the ordinary Write, which does not wait.
				if _, err := io.ReadFull(a, make([]byte, 3)); err != nil {
					t.Fatalf("size %d, request %d: reading the answer: %v", size, i, err)
				}
				continue
			}
			if n, err := readNow(t, a); n != 3 || err != nil {
				t.Fatalf("size %d, request %d: read right after the armed Write = %d, %v; want the 3-byte answer", size, i, n, err)
			}
		}
		// Unarmed: the request's first line goes out, the server waits for
		// the rest, and Write returns anyway.
		done := make(chan error, 1)
		go func() {
			_, err := a.Write([]byte("part"))
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("unarmed Write: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("an unarmed Write waited for an answer")
		}
		if _, err := readNow(t, a); !errors.Is(err, syscall.EAGAIN) {
			t.Fatalf("read after the unarmed Write: %v, want EAGAIN (no answer yet)", err)
		}
	}
}

// TestAwaitConnInterrupted: a Write waiting for an answer that does not
// come returns when the connection's deadline passes or when it is closed
// (with the request reported written; if the deadline or the close came
// first, with the ordinary Write's error), and the next read fails.
func TestAwaitConnInterrupted(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	for _, how := range []string{"deadline", "close"} {
		a := dialAwait(t, addr)
		done := make(chan error, 1)
		go func() {
			a.armed = true
			n, err := a.Write([]byte("request\n"))
			switch {
			case err == nil && n != 8:
				err = errors.New("short write")
			case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed):
				err = nil // interrupted before the write
			}
			done <- err
		}()
		time.Sleep(10 * time.Millisecond) // usually parked by now; either order must work
		if how == "deadline" {
			_ = a.SetDeadline(aLongTimeAgo)
		} else {
			_ = a.Close()
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: Write = %v, want the request reported written", how, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the waiting Write did not return", how)
		}
		if _, err := a.Read(make([]byte, 10)); err == nil {
			t.Fatalf("%s: the read after the interrupted wait succeeded", how)
		}
	}
}

// TestConnPoolAwaits: the pool's plain-TCP connections wait for the
// response in their last write, and a request whose body the server must
// read before answering still goes through (only the final write waits),
// also right after a body-less one.
func TestConnPoolAwaits(t *testing.T) {
	addr := rawServer(t, func(_ int, c net.Conn) { answer(c, ok200) })
	p, err := newConnPool(context.Background(), addr, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pc := <-p.free
	if pc.aw == nil {
		t.Fatal("a plain-TCP connection of the pool is not an awaitConn")
	}
	p.free <- pc
	body := strings.Repeat("b", 1<<20)
	for i := range 4 {
		req := get(t, context.Background(), addr)
		if i%2 == 1 {
			req.Method = http.MethodPost
			req.Body = io.NopCloser(strings.NewReader(body))
			req.ContentLength = int64(len(body))
		}
		if err := roundTrip(p, req); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if d := p.dials.Load(); d != 1 {
		t.Fatalf("%d dials, want 1 (one kept-alive connection)", d)
	}
}
