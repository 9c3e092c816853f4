package sockety

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
	"github.com/sockety-harness/sockety-harness/sockety"
)

type server struct {
	srv    *sockety.Server
	addr   string
	h      *handler
	served chan error
}

func newServer(ctx context.Context, cfg competitors.ServerConfig, useTLS bool) (*server, error) {
	ln, err := competitors.Listen(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("sockety: %w", err)
	}
	h := &handler{payloads: cfg.Payloads, verify: cfg.Verify, delay: cfg.Delay}
	s := &server{
		srv: &sockety.Server{Handler: h, Options: &sockety.Options{
			OnHeartbeat: func(*sockety.Conn) { h.msgs.Add(1) },
		}},
		addr:   ln.Addr().String(),
		h:      h,
		served: make(chan error, 1),
	}
	if useTLS {
		tcfg, err := tlsutil.Server(cfg.TLS)
		if err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("sockety: %w", err)
		}
		ln = tls.NewListener(ln, tcfg)
	}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

func (s *server) Addr() string { return s.addr }

func (s *server) Counters() competitors.ServerCounters {
	return competitors.ServerCounters{
		Messages:     s.h.msgs.Load(),
		Bytes:        s.h.bytes.Load(),
		VerifyErrors: s.h.verifyErrors.Load(),
	}
}

// Close closes the listener and every connection and waits for them.
func (s *server) Close() error {
	_ = s.srv.Close()
	if err := <-s.served; err != nil && !errors.Is(err, sockety.ErrServerClosed) {
		return fmt.Errorf("sockety: serve: %w", err)
	}
	return nil
}

// handler is the benchmark server's behaviour.
type handler struct {
	payloads     *scenarios.Payloads
	verify       bool
	delay        time.Duration
	msgs         atomic.Uint64
	bytes        atomic.Uint64
	verifyErrors atomic.Uint64
}

// Inline runs every message that arrived whole on the read loop (reading it
// cannot block), unless a test delay is planted.
func (h *handler) Inline(*sockety.Message) bool { return h.delay == 0 }

func (h *handler) ServeSockety(m *sockety.Message) {
	if h.delay > 0 {
		time.Sleep(h.delay)
	}
	ctx := context.Background()
	switch m.Action {
	case "fast":
		h.msgs.Add(1)
		if m.ExpectsResponse() {
			_ = m.FastReply(ctx, sockety.Accept)
		}
	case "echo":
		if s := m.Stream(); s != nil && m.ExpectsResponse() {
			h.echoStream(ctx, m)
			return
		}
		h.readAll(m)
		if m.ExpectsResponse() {
			_ = m.Respond(ctx, &sockety.Outgoing{})
		}
	default: // "ping", "data" and anything else: read, count, no reply
		h.readAll(m)
		if m.ExpectsResponse() && m.Action != "ping" && m.Action != "data" {
			_ = m.FastReply(ctx, sockety.NotImplemented)
		}
	}
}

// readAll reads every payload of m, counting (and verifying) it, then counts
// the message if every payload arrived whole: a message cut short (the
// sender aborted it, the connection died) is a verify error, not a message
// received, so that --verify's message count (sent against received) sees it
// missing.
func (h *handler) readAll(m *sockety.Message) {
	whole, good := h.consume(m.Data(), m.DataSize())
	for i := range m.Files() {
		f := &m.Files()[i]
		w, g := h.consume(&f.Payload, f.Size())
		whole, good = whole && w, good && g
	}
	if s := m.Stream(); s != nil {
		w, g := h.consume(s, -1)
		whole, good = whole && w, good && g
	}
	// The message first: a verify error of a whole message is never seen
	// before its message.
	if whole {
		h.msgs.Add(1)
	}
	if !whole || !good {
		h.verifyErrors.Add(1)
	}
}

// consume reads p to its end; whole is false when it ended short (a read
// error, or fewer bytes than size when size >= 0), good false when
// verification failed.
func (h *handler) consume(p *sockety.Payload, size int64) (whole, good bool) {
	v := &checker{payloads: h.payloads, verify: h.verify}
	n, err := io.Copy(v, p)
	h.bytes.Add(uint64(n))
	return err == nil && (size < 0 || n == size), !v.bad
}

// checker compares what it is given with the run's payload stream.
type checker struct {
	payloads *scenarios.Payloads
	verify   bool
	off      int
	bad      bool
}

func (c *checker) Write(b []byte) (int, error) {
	if c.verify && !c.bad && (c.payloads == nil || !c.payloads.Match(c.off, b)) {
		c.bad = true
	}
	c.off += len(b)
	return len(b), nil
}

// echoStream answers with a Response whose stream carries back what the
// message's stream brings, as it arrives.
func (h *handler) echoStream(ctx context.Context, m *sockety.Message) {
	req, err := m.RespondStart(ctx, &sockety.Outgoing{Stream: true}, false)
	if err != nil {
		h.readAll(m)
		return
	}
	sw := req.Stream()
	v := &checker{payloads: h.payloads, verify: h.verify}
	n, err := io.Copy(io.MultiWriter(v, sw), m.Stream())
	h.bytes.Add(uint64(n))
	if err != nil {
		// Cut short: a verify error, not a message received.
		sw.Abort()
		h.verifyErrors.Add(1)
		return
	}
	_ = sw.Close()
	h.msgs.Add(1)
	if v.bad {
		h.verifyErrors.Add(1)
	}
}
