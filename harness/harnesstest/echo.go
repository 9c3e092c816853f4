// Package harnesstest provides tiny loopback suites for the harness's own
// tests: a plain TCP request/echo protocol that implements every scenario
// kind, and a variant whose server process dies mid-run. Tests register them
// with Register before harness.MaybeRunWorker in TestMain. Never linked into
// the sockety-bench binary.
package harnesstest

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite names.
const (
	EchoName  = "Echo (test)"
	CrashName = "Crash (test)"
	// HangName's server answers the first Counters call and blocks forever
	// in the second, so its worker stops answering the controller.
	HangName = "Hang (test)"
)

// CrashAfter is how many messages a Crash suite server handles before its
// process exits (a count, not a time, so that a slow machine still connects).
const CrashAfter = 50

var once sync.Once

// Register registers the test suites (once).
func Register() {
	once.Do(func() {
		competitors.Register(&suite{name: EchoName, shared: true})
		competitors.Register(&suite{name: CrashName, crash: true})
		competitors.Register(&suite{name: HangName, hang: true})
	})
}

type suite struct {
	name   string
	shared bool
	crash  bool
	hang   bool
}

func (s *suite) Name() string     { return s.name }
func (s *suite) SharedPort() bool { return s.shared }

func (s *suite) Benchmarks() []competitors.Benchmark {
	var out []competitors.Benchmark
	for _, sc := range scenarios.Catalogue() {
		if (s.crash || s.hang) && sc.ID != scenarios.IDShortResponse && sc.ID != scenarios.IDNoResponse {
			continue
		}
		out = append(out, competitors.Benchmark{Name: sc.Name, Scenario: sc})
	}
	return out
}

// Frame types: one byte, then a uint32 payload length, then the payload.
const (
	tHeartbeat = 'H'
	tOneWay    = 'N'
	tFast      = 'F'
	tRegular   = 'R'
	tData      = 'D'
	tEcho      = 'E'
)

func frameType(k scenarios.Kind) byte {
	switch k {
	case scenarios.Heartbeat:
		return tHeartbeat
	case scenarios.OneWay:
		return tOneWay
	case scenarios.FastReply:
		return tFast
	case scenarios.Regular:
		return tRegular
	case scenarios.Data, scenarios.File:
		return tData
	case scenarios.StreamEcho:
		return tEcho
	}
	return 0
}

type server struct {
	ln       net.Listener
	cfg      competitors.ServerConfig
	messages atomic.Uint64
	bytes    atomic.Uint64
	verify   atomic.Uint64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
	closed   bool
	crash    bool
	hang     bool
	reads    atomic.Int32
}

func (s *suite) NewServer(ctx context.Context, cfg competitors.ServerConfig) (competitors.Server, error) {
	ln, err := competitors.Listen(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// A stray print to stdout must not corrupt the worker's control channel.
	fmt.Println("echo server: listening on", ln.Addr())
	srv := &server{ln: ln, cfg: cfg, conns: map[net.Conn]bool{}, crash: s.crash, hang: s.hang}
	srv.wg.Add(1)
	go srv.accept()
	return srv, nil
}

func (s *server) Addr() string { return s.ln.Addr().String() }

func (s *server) Counters() competitors.ServerCounters {
	if s.reads.Add(1) > 1 && s.hang {
		select {} // the worker stops answering
	}
	return competitors.ServerCounters{Messages: s.messages.Load(), Bytes: s.bytes.Load(), VerifyErrors: s.verify.Load()}
}

func (s *server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.handle(c)
	}
}

func (s *server) handle(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	r := bufio.NewReaderSize(c, 64*1024)
	w := bufio.NewWriterSize(c, 64*1024)
	var hdr [5]byte
	buf := make([]byte, 64*1024)
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		n := int(binary.LittleEndian.Uint32(hdr[1:]))
		if n > scenarios.MaxPayloadSize {
			return // a peer declaring a huge payload is dropped, never trusted
		}
		var echo []byte
		if hdr[0] == tEcho {
			echo = make([]byte, 0, n)
		}
		ok := true
		for off := 0; off < n; {
			m := min(len(buf), n-off)
			if _, err := io.ReadFull(r, buf[:m]); err != nil {
				return
			}
			if s.cfg.Verify && !s.cfg.Payloads.Match(off, buf[:m]) {
				ok = false
			}
			if echo != nil {
				echo = append(echo, buf[:m]...)
			}
			off += m
		}
		if s.cfg.Delay > 0 {
			time.Sleep(s.cfg.Delay)
		}
		if s.messages.Add(1) == CrashAfter && s.crash {
			fmt.Fprintln(os.Stderr, "crash suite: server exits on purpose")
			os.Exit(3)
		}
		s.bytes.Add(uint64(n))
		if !ok {
			s.verify.Add(1)
		}
		switch hdr[0] {
		case tFast, tRegular:
			_ = w.WriteByte(1)
		case tEcho:
			_, _ = w.Write(echo)
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}

type client struct {
	pool  chan net.Conn
	conns []net.Conn
	cfg   competitors.ClientConfig
}

func (s *suite) NewClient(ctx context.Context, cfg competitors.ClientConfig) (competitors.Client, error) {
	cl := &client{pool: make(chan net.Conn, cfg.Connections), cfg: cfg}
	var d net.Dialer
	for i := 0; i < cfg.Connections; i++ {
		c, err := d.DialContext(ctx, "tcp", cfg.Addr)
		if err != nil {
			_ = cl.Close()
			return nil, fmt.Errorf("dial: %w", err)
		}
		cl.conns = append(cl.conns, c)
		cl.pool <- c
	}
	return cl, nil
}

func (c *client) Close() error {
	for _, cn := range c.conns {
		_ = cn.Close()
	}
	return nil
}

func (c *client) Prepare(ctx context.Context, b competitors.Benchmark) (competitors.Op, error) {
	sc := b.Scenario
	t := frameType(sc.Kind)
	if t == 0 {
		return nil, fmt.Errorf("echo suite: cannot run %s", sc.Kind)
	}
	var payload []byte
	if sc.Size > 0 {
		payload = c.cfg.Payloads.Bytes(sc.Size)
	}
	var path string
	if sc.Source == scenarios.FS {
		p, err := c.cfg.Payloads.Path(sc.Size)
		if err != nil {
			return nil, err
		}
		path = p
	}
	frame := make([]byte, 5)
	frame[0] = t
	binary.LittleEndian.PutUint32(frame[1:], uint32(len(payload)))
	if path == "" {
		frame = append(frame, payload...)
	}
	replyLen := 0
	switch t {
	case tFast, tRegular:
		replyLen = 1
	case tEcho:
		replyLen = len(payload)
	}
	return func(ctx context.Context) error {
		var cn net.Conn
		select {
		case cn = <-c.pool:
		case <-ctx.Done():
			return ctx.Err()
		}
		err := c.roundTrip(ctx, cn, frame, path, replyLen, payload)
		if err != nil {
			// The stream may be out of step: this connection is done.
			_ = cn.Close()
		}
		c.pool <- cn
		return err
	}, nil
}

var errEchoMismatch = errors.New("echo differs from what was sent")

func (c *client) roundTrip(ctx context.Context, cn net.Conn, frame []byte, path string, replyLen int, payload []byte) error {
	stop := context.AfterFunc(ctx, func() { _ = cn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := cn.Write(frame); err != nil {
		return err
	}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(cn, f)
		_ = f.Close()
		if err != nil {
			return err
		}
	}
	if replyLen == 0 {
		return nil
	}
	buf := make([]byte, replyLen)
	if _, err := io.ReadFull(cn, buf); err != nil {
		return err
	}
	if c.cfg.Verify && replyLen == len(payload) && string(buf) != string(payload) {
		return errEchoMismatch
	}
	return nil
}
