package http1

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Paths of the benchmark server. They mirror the Node.js benchmark's HTTP
// server: /fast answers a bare status, /ping a tiny body, /data reads the whole
// request body before answering; /echo is ours (Stream echo).
const (
	PathFast = "/fast"
	PathPing = "/ping"
	PathData = "/data"
	PathEcho = "/echo"
)

// Pong is the tiny body of a regular response, as in the Node.js benchmark.
var Pong = []byte("pong")

// Counters are a server's cheap atomic counters.
type Counters struct {
	messages, bytes, verifyErrs atomic.Uint64
	active                      atomic.Int64 // handlers running
}

// Snapshot returns the counters in the harness's shape.
func (c *Counters) Snapshot() competitors.ServerCounters {
	return competitors.ServerCounters{
		Messages: c.messages.Load(), Bytes: c.bytes.Load(), VerifyErrors: c.verifyErrs.Load(),
	}
}

// Pings returns the counter of messages that never reach a handler (HTTP/2
// PING frames), counted as messages.
func (c *Counters) Pings() *atomic.Uint64 { return &c.messages }

// WaitIdle waits (bounded) until no handler runs, so that Close can promise
// that the server's goroutines are gone.
func (c *Counters) WaitIdle(limit time.Duration) {
	deadline := time.Now().Add(limit)
	for c.active.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// Handler is the benchmark server's request handler, shared by the HTTP/1
// and HTTP/2 suites. Every request counts as one message once its body has
// been read to the end; payload bytes are counted and, with verify, compared
// with the run's payloads as they arrive (at most one verify error per
// request; a body shorter than its Content-Length is one).
func Handler(c *Counters, p *scenarios.Payloads, verify bool, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.active.Add(1)
		defer c.active.Add(-1)
		if delay > 0 {
			time.Sleep(delay)
		}
		switch r.URL.Path {
		case PathData:
			n, ok := readBody(c, r, p, verify, nil)
			if !ok {
				http.Error(w, fmt.Sprintf("body of %d bytes did not verify", n), http.StatusBadRequest)
				return
			}
			c.messages.Add(1)
			w.WriteHeader(http.StatusOK)
		case PathEcho:
			if r.ContentLength < 0 || r.ContentLength > scenarios.MaxPayloadSize {
				http.Error(w, "echo needs a Content-Length up to the payload bound", http.StatusBadRequest)
				return
			}
			buf := make([]byte, 0, r.ContentLength)
			n, ok := readBody(c, r, p, verify, &buf)
			if !ok {
				http.Error(w, fmt.Sprintf("body of %d bytes did not verify", n), http.StatusBadRequest)
				return
			}
			c.messages.Add(1)
			w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(buf)
		case PathPing:
			_, _ = io.Copy(io.Discard, r.Body)
			c.messages.Add(1)
			w.Header().Set("Content-Length", "4")
			_, _ = w.Write(Pong)
		default: // PathFast and anything else: a bare status code
			_, _ = io.Copy(io.Discard, r.Body)
			c.messages.Add(1)
			w.WriteHeader(http.StatusOK)
		}
	})
}

// readBody reads r's body to the end, counting and verifying it; with keep
// set it also appends the body to *keep. It reports the bytes read and
// whether the body arrived whole (as long as its Content-Length) and, with
// verify, matched the run's payload; otherwise it counts one verify error.
func readBody(c *Counters, r *http.Request, p *scenarios.Payloads, verify bool, keep *[]byte) (int, bool) {
	bp := chunkPool.Get().(*[]byte)
	defer chunkPool.Put(bp)
	buf := *bp
	off, matched := 0, true
	var err error
	for err == nil {
		var n int
		n, err = r.Body.Read(buf)
		if n > 0 {
			if matched && verify && !p.Match(off, buf[:n]) {
				matched = false
			}
			if keep != nil {
				*keep = append(*keep, buf[:n]...)
			}
			off += n
			c.bytes.Add(uint64(n))
		}
	}
	whole := err == io.EOF && (r.ContentLength < 0 || int64(off) == r.ContentLength)
	if !whole || !matched {
		c.verifyErrs.Add(1)
		return off, false
	}
	return off, true
}

// CheckPong reports whether a regular response body is the expected one.
func CheckPong(b []byte) error {
	if !bytes.Equal(b, Pong) {
		return fmt.Errorf("regular response body %q, want %q", b, Pong)
	}
	return nil
}
