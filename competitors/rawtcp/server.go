package rawtcp

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/internal/serve"
)

// readBuf is the read buffer of a connection (server and client).
const readBuf = 64 << 10

// server handles every frame inline in the connection's read loop (no
// goroutine per message); replies go through the connection's write loop.
type server struct {
	cfg competitors.ServerConfig
	ln  net.Listener

	conns *serve.Conns

	messages, bytes, verifyErrs atomic.Uint64
}

var codeReply = []byte{codeAccept}

func newServer(ctx context.Context, cfg competitors.ServerConfig) (*server, error) {
	ln, err := competitors.Listen(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("rawtcp: %w", err)
	}
	s := &server{cfg: cfg, ln: ln}
	s.conns = serve.Start(ln, s.serve)
	return s, nil
}

func (s *server) Addr() string { return s.ln.Addr().String() }

func (s *server) Counters() competitors.ServerCounters {
	return competitors.ServerCounters{
		Messages: s.messages.Load(), Bytes: s.bytes.Load(), VerifyErrors: s.verifyErrs.Load(),
	}
}

func (s *server) Close() error {
	if err := s.conns.Close(); err != nil {
		return fmt.Errorf("rawtcp: close: %w", err)
	}
	return nil
}

// echoPool recycles echo buffers between the read loop and the write loop.
var echoPool sync.Pool

// serve runs one connection (serve.Conns closes it when serve returns).
func (s *server) serve(c net.Conn) {
	w := newWriter(c)
	defer func() {
		_ = c.Close()
		w.close(errClosed)
	}()
	r := bufio.NewReaderSize(c, readBuf)
	for {
		kind, id, n, err := readHeader(r)
		if err != nil {
			return // the peer left, or a malformed frame ends the connection
		}
		if s.cfg.Delay > 0 {
			time.Sleep(s.cfg.Delay)
		}
		switch kind {
		case kindHeartbeat:
			// A heartbeat is one byte: count it with the heartbeats right
			// behind it in the read buffer (one counter update per run).
			k := 1
			if s.cfg.Delay == 0 {
				k += heartbeatRun(r)
			}
			s.messages.Add(uint64(k))
		case kindOneWay:
			if _, err := r.Discard(n); err != nil {
				return
			}
			s.messages.Add(1)
		case kindFast, kindRegular:
			if _, err := r.Discard(n); err != nil {
				return
			}
			s.messages.Add(1)
			if kind == kindFast {
				_, err = w.send(kindCode, id, codeReply, nil, false)
			} else {
				_, err = w.send(kindResponse, id, nil, nil, false)
			}
			if err != nil {
				return
			}
		case kindData:
			if err := s.readData(r, n); err != nil {
				return
			}
			s.messages.Add(1)
		case kindEcho:
			var buf []byte
			if p, ok := echoPool.Get().(*[]byte); ok && cap(*p) >= n {
				buf = (*p)[:n]
			} else {
				buf = make([]byte, n)
			}
			if _, err := io.ReadFull(r, buf); err != nil {
				s.countShort(n)
				return
			}
			s.bytes.Add(uint64(n))
			if s.cfg.Verify && !s.cfg.Payloads.Match(0, buf) {
				s.verifyErrs.Add(1)
			}
			s.messages.Add(1)
			if _, err := w.send(kindEchoReply, id, buf, func() { echoPool.Put(&buf) }, false); err != nil {
				return
			}
		default:
			return // replies are not expected from a client
		}
	}
}

// heartbeatRun discards the heartbeat frames at the front of r's buffered
// bytes and returns how many there were (it never waits for more bytes).
func heartbeatRun(r *bufio.Reader) int {
	b, _ := r.Peek(r.Buffered())
	k := 0
	for k < len(b) && b[k] == kindHeartbeat {
		k++
	}
	_, _ = r.Discard(k)
	return k
}

// readData reads a data payload straight from the read buffer, counting and
// (with Verify) checking every chunk against the run's payload stream; a
// payload counts at most one verify error.
func (s *server) readData(r *bufio.Reader, n int) error {
	verify := s.cfg.Verify
	for off := 0; off < n; {
		chunk, err := r.Peek(min(n-off, r.Size()))
		if len(chunk) == 0 {
			s.countShort(n)
			return err
		}
		if verify && !s.cfg.Payloads.Match(off, chunk) {
			s.verifyErrs.Add(1)
			verify = false
		}
		_, _ = r.Discard(len(chunk))
		off += len(chunk)
		s.bytes.Add(uint64(len(chunk)))
	}
	return nil
}

// countShort records a payload the peer ended before its declared length.
func (s *server) countShort(int) {
	if s.cfg.Verify {
		s.verifyErrs.Add(1)
	}
}
