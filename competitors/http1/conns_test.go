package http1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// rawServer accepts connections on loopback and runs handle on each with
// its index (0 for the first accepted). Cleanup closes the listener and
// every connection and waits for the handlers.
func rawServer(t *testing.T, handle func(i int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(time.Minute)) // bounded, whatever the test does
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(i, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// answer reads requests from c and answers each with resp until c fails.
func answer(c net.Conn, resp string) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		if _, err := io.WriteString(c, resp); err != nil {
			return
		}
	}
}

const ok200 = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

func get(t *testing.T, ctx context.Context, addr string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+PathFast, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func roundTrip(p *connPool, req *http.Request) error {
	r := &Requests{Prefix: "test", RoundTrip: p.RoundTrip}
	_, err := r.Do(req, nil)
	return err
}

// TestConnPoolContext: an operation whose context ends while the server
// does not answer returns the context's error at once; its connection is
// closed and the slot dialled again by the next operation.
func TestConnPoolContext(t *testing.T) {
	closed := make(chan struct{})
	addr := rawServer(t, func(i int, c net.Conn) {
		if i == 0 { // never answers; reports when the client closed
			_, _ = io.Copy(io.Discard, c)
			close(closed)
			return
		}
		answer(c, ok200)
	})
	p, err := newConnPool(context.Background(), addr, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := roundTrip(p, get(t, ctx, addr)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("operation on a silent server: %v, want the context's deadline", err)
	}
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the interrupted connection was not closed")
	}
	if err := roundTrip(p, get(t, context.Background(), addr)); err != nil {
		t.Fatalf("operation after the interrupted one: %v", err)
	}
	if d := p.dials.Load(); d != 2 {
		t.Fatalf("%d dials, want 2 (the first connection, then its replacement)", d)
	}
}

// TestConnPoolContextShared: the contexts of operations are watched once
// each, not per operation. Two operations of one context blocked on two
// silent connections both return when it ends, and both connections are
// replaced. An operation of a context that ended before it started fails
// at once and leaves its connection alone. Once a context has ended, its
// watch does not touch the connection used by another context's
// operation. Close drops every watch.
func TestConnPoolContextShared(t *testing.T) {
	var silent sync.WaitGroup
	silent.Add(2)
	addr := rawServer(t, func(i int, c net.Conn) {
		if i < 2 { // never answer
			_, _ = io.Copy(io.Discard, c)
			silent.Done()
			return
		}
		answer(c, ok200)
	})
	p, err := newConnPool(context.Background(), addr, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- roundTrip(p, get(t, ctx, addr)) }()
	}
	// Both operations hold their connection until ctx ends: a third
	// operation of the same context finds none free and waits too.
	go func() { errs <- roundTrip(p, get(t, ctx, addr)) }()
	time.Sleep(50 * time.Millisecond) // not needed for correctness: lets the operations block first
	cancel()
	for range 3 {
		select {
		case err := <-errs:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("operation of the ended context: %v, want context.Canceled", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("an operation of the ended context did not return")
		}
	}
	silent.Wait() // both interrupted connections were closed
	if err := roundTrip(p, get(t, ctx, addr)); !errors.Is(err, context.Canceled) {
		t.Fatalf("operation of a context ended before it started: %v", err)
	}
	if d := p.dials.Load(); d != 2 {
		t.Fatalf("%d dials, want 2: an operation of an ended context dials nothing", d)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// Contexts a and b take turns on one connection: ending a once its
	// operation is done does not interrupt b's operations that follow
	// (a's watch may run during any of them).
	p, err = newConnPool(context.Background(), addr, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	b, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	for n := range 20 {
		c := b
		if n == 0 {
			c = a
		}
		if err := roundTrip(p, get(t, c, addr)); err != nil {
			t.Fatalf("operation %d: %v", n, err)
		}
		if n == 0 {
			cancelA()
		}
	}
	if d := p.dials.Load(); d != 1 {
		t.Fatalf("%d dials, want 1: the connection was reused throughout", d)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	p.watches.Range(func(k, _ any) bool {
		t.Errorf("watch left after Close")
		return false
	})
}

// TestConnPoolReuse: a connection is reused after a complete response,
// also an error status; one the server asked to close is replaced, so that
// the pool never holds more than its connections.
func TestConnPoolReuse(t *testing.T) {
	addr := rawServer(t, func(i int, c net.Conn) {
		br := bufio.NewReader(c)
		for n := 0; ; n++ {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			resp := ok200
			switch {
			case n == 1:
				resp = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops\n"
			case n == 2 && i == 0:
				resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
			}
			if _, err := io.WriteString(c, resp); err != nil || strings.Contains(resp, "close") {
				return
			}
		}
	})
	p, err := newConnPool(context.Background(), addr, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	for n, want := range []error{nil, ErrStatus, nil, nil} {
		if err := roundTrip(p, get(t, ctx, addr)); !errors.Is(err, want) || (want == nil && err != nil) {
			t.Fatalf("operation %d: %v, want %v", n, err, want)
		}
	}
	if d := p.dials.Load(); d != 2 {
		t.Fatalf("%d dials, want 2 (reused after the 500, replaced after Connection: close)", d)
	}
	p.mu.Lock()
	live := len(p.live)
	p.mu.Unlock()
	if live != 1 {
		t.Fatalf("%d open connections, want 1", live)
	}
}

// TestClientVariantsSameBytes: both HTTP/1 client variants put the same
// request on the wire (what wrk sends: request line, Host, nothing else).
func TestClientVariantsSameBytes(t *testing.T) {
	got := make(chan string, 4)
	addr := rawServer(t, func(_ int, c net.Conn) {
		br := bufio.NewReader(c)
		for {
			var head strings.Builder
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				head.WriteString(line)
				if line == "\r\n" {
					break
				}
			}
			got <- head.String()
			if _, err := io.WriteString(c, ok200); err != nil {
				return
			}
		}
	})
	want := "GET /fast HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"
	for _, variant := range []string{"conns", "transport"} {
		t.Run(variant, func(t *testing.T) {
			t.Setenv(ClientEnv, variant)
			ctx := context.Background()
			// The transport variant opens its connections with GET /ping.
			c, err := newClient(ctx, competitors.ClientConfig{Addr: addr, Connections: 1, Concurrency: 1}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for len(got) > 0 {
				<-got
			}
			r := &Requests{Prefix: "test", Base: c.base, RoundTrip: c.roundTrip}
			op, err := r.fast()
			if err != nil {
				t.Fatal(err)
			}
			if err := op(ctx); err != nil {
				t.Fatal(err)
			}
			if h := <-got; h != want {
				t.Fatalf("request on the wire:\n%q\nwant\n%q", h, want)
			}
		})
	}
}

// TestClientVariantUnknown: a misspelt variant is an error, not a silent
// default.
func TestClientVariantUnknown(t *testing.T) {
	t.Setenv(ClientEnv, "transprot")
	c, err := newClient(context.Background(), competitors.ClientConfig{Addr: "127.0.0.1:1", Connections: 1}, false)
	if err == nil {
		_ = c.Close()
		t.Fatal("newClient accepted an unknown client variant")
	}
	if !strings.Contains(err.Error(), ClientEnv) {
		t.Fatalf("error %q does not name %s", err, ClientEnv)
	}
}
