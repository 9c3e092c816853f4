package harness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// The remote control channel (issue 6) lets a client-side controller read
// figures from a server-only process over TCP. One request per connection:
// the client sends one JSON line, the server answers one JSON line and closes.
//
//	{"token":"...","op":"hello"}             -> {"hello":{suite, version, workers...}}
//	{"token":"...","op":"mark","worker":N}   -> {"mark":{MarkReply of server worker N}}
//
// Every request must carry the token; a wrong or missing token gets
// {"error":"unauthorized"} and nothing else (not even the suite's name). The
// channel only reports figures: there is no operation that starts, stops or
// reads anything else. Sizes and times are bounded on both sides.

// ControlVersion is the version of the control protocol.
const ControlVersion = 1

// Bounds of the control channel.
const (
	// MaxControlRequest bounds one request line (bytes, newline included).
	MaxControlRequest = 4 << 10
	// MaxControlReply bounds one reply line a client accepts.
	MaxControlReply = 1 << 20
	// ControlIOTimeout bounds reading a request or reply and writing it.
	ControlIOTimeout = 10 * time.Second
	// MaxControlConns bounds connections served at once; more are closed
	// at once.
	MaxControlConns = 16
	// maxTokenLen bounds the token given on the command line.
	maxTokenLen = 256
)

// Control operations.
const (
	ctlHello = "hello"
	ctlMark  = "mark"
)

// errUnauthorized is the only answer to a request without the right token.
const errUnauthorized = "unauthorized"

// ErrUnauthorized is returned by the client side when the server refused
// the token.
var ErrUnauthorized = errors.New("control channel refused the token")

// controlRequest is one client -> server-only line.
type controlRequest struct {
	Token  string `json:"token"`
	Op     string `json:"op"`
	Worker int    `json:"worker,omitempty"`
}

// controlReply is one server-only -> client line.
type controlReply struct {
	Error string        `json:"error,omitempty"`
	Hello *ControlHello `json:"hello,omitempty"`
	Mark  *MarkReply    `json:"mark,omitempty"`
}

// ControlHello describes what a server-only process serves.
type ControlHello struct {
	Control int    `json:"control"` // ControlVersion
	Tool    string `json:"tool"`
	Version string `json:"version"` // ToolVersion
	Suite   string `json:"suite"`
	// Contract is SuiteContract of the served suite: both sides must
	// define its benchmarks alike (sizes, kinds, sources).
	Contract   string   `json:"contract"`
	Benchmarks []string `json:"benchmarks"`
	Port       int      `json:"port"`
	TLS        bool     `json:"tls"`
	Seed       uint64   `json:"seed"`
	Verify     bool     `json:"verify"`
	// Workers are the server workers: PID and GOMAXPROCS.
	Workers []ControlWorker `json:"workers"`
}

// ControlWorker is one server worker of a server-only process.
type ControlWorker struct {
	PID        int `json:"pid"`
	GOMAXPROCS int `json:"gomaxprocs"`
}

// ToolVersion is this binary's module version and VCS revision, as the
// control channel compares them.
func ToolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}

// SuiteContract fingerprints a suite's benchmark definitions (names,
// scenario IDs, kinds, sizes, sources, parts), so that a client and a
// server-only process built from different code notice it even when the
// build carries no VCS revision.
func SuiteContract(s competitors.Suite) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", s.Name())
	for _, b := range s.Benchmarks() {
		sc := b.Scenario
		fmt.Fprintf(h, "%q %q %d %d %d %q\n", b.Name, sc.ID, sc.Kind, sc.Size, sc.Source, sc.Parts)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// NewToken returns a random token (128 bits, hex).
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// CheckToken validates a token given on the command line.
func CheckToken(t string) error {
	if len(t) < 8 || len(t) > maxTokenLen {
		return fmt.Errorf("token: must be 8..%d characters", maxTokenLen)
	}
	return nil
}

// tokenEqual compares tokens in constant time (lengths included: both are
// hashed first).
func tokenEqual(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && want != ""
}

// controlHandler answers authorised requests.
type controlHandler interface {
	hello() *ControlHello
	mark(ctx context.Context, worker int) (*MarkReply, error)
}

// controlServer serves the control channel on a listener.
type controlServer struct {
	ln      net.Listener
	token   string
	h       controlHandler
	sem     chan struct{}
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration
}

// serveControl starts serving ln; Close stops it.
func serveControl(ln net.Listener, token string, h controlHandler) *controlServer {
	return serveControlTimeout(ln, token, h, ControlIOTimeout)
}

// serveControlTimeout is serveControl with another I/O timeout (tests).
func serveControlTimeout(ln net.Listener, token string, h controlHandler, timeout time.Duration) *controlServer {
	ctx, cancel := context.WithCancel(context.Background())
	s := &controlServer{ln: ln, token: token, h: h, sem: make(chan struct{}, MaxControlConns), ctx: ctx, cancel: cancel, timeout: timeout}
	s.wg.Add(1)
	go s.loop()
	return s
}

func (s *controlServer) loop() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			_ = conn.Close() // too many at once
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			s.handle(conn)
		}()
	}
}

// Close stops accepting, ends connections being served and waits for them.
func (s *controlServer) Close() error {
	s.cancel()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *controlServer) handle(conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(s.ctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(s.timeout))
	line, err := readLine(conn, MaxControlRequest)
	if err != nil {
		return // oversized, slow or cut: closed without an answer
	}
	r := s.answer(line)
	b, _ := json.Marshal(r)
	_, _ = conn.Write(append(b, '\n'))
}

// answer handles one request line.
func (s *controlServer) answer(line []byte) controlReply {
	req, err := parseControlRequest(line)
	if err != nil || !tokenEqual(req.Token, s.token) {
		// Nothing about the server, whatever was wrong.
		return controlReply{Error: errUnauthorized}
	}
	switch req.Op {
	case ctlHello:
		return controlReply{Hello: s.h.hello()}
	case ctlMark:
		ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
		defer cancel()
		m, err := s.h.mark(ctx, req.Worker)
		if err != nil {
			return controlReply{Error: err.Error()}
		}
		return controlReply{Mark: m}
	}
	return controlReply{Error: fmt.Sprintf("unknown operation %q", req.Op)}
}

// parseControlRequest decodes one request line strictly.
func parseControlRequest(line []byte) (controlRequest, error) {
	var req controlRequest
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("control request: %w", err)
	}
	if len(req.Token) > maxTokenLen || len(req.Op) > 16 {
		return req, errors.New("control request: field too long")
	}
	return req, nil
}

// errLineTooLong is returned for a line above its bound.
var errLineTooLong = errors.New("control line too long")

// readLine reads one newline-terminated line of at most limit bytes.
func readLine(r io.Reader, limit int) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(limit)+1), 512)
	line, err := br.ReadBytes('\n')
	if len(line) > limit {
		return nil, errLineTooLong
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(line) == limit+1 {
			return nil, errLineTooLong
		}
		return nil, fmt.Errorf("control: read: %w", err)
	}
	return line, nil
}

// controlCall sends one request to a control port and reads its reply.
func controlCall(ctx context.Context, addr, token string, req controlRequest, timeout time.Duration) (controlReply, error) {
	var r controlReply
	req.Token = token
	d := net.Dialer{Timeout: timeout}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return r, fmt.Errorf("control %s: %w", addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	b, err := json.Marshal(req)
	if err != nil {
		return r, fmt.Errorf("control %s: %w", addr, err)
	}
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return r, fmt.Errorf("control %s: send: %w", addr, err)
	}
	line, err := readLine(conn, MaxControlReply)
	if err != nil {
		return r, fmt.Errorf("control %s: %w", addr, err)
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("control %s: bad reply: %w", addr, err)
	}
	if r.Error == errUnauthorized {
		return r, fmt.Errorf("control %s: %w", addr, ErrUnauthorized)
	}
	if r.Error != "" {
		return r, fmt.Errorf("control %s: %s", addr, r.Error)
	}
	return r, nil
}

func sha256Sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
