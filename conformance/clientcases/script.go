// Package clientcases is the client side of the live conformance suite. The runner listens,
// a client under test connects and runs the fixed script of conformance/README.md, and the
// runner checks every byte the client writes and, through the client's `report` message,
// how the client handled the runner's answers.
package clientcases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
)

// Script constants shared by the runner and the reference client.
const (
	// RunnerChannels is the channel count the runner announces.
	RunnerChannels = 8
	// BigData is the size of the step-8 echo.
	BigData = 70000
	// ConcurrentStreams is the number of step-10 messages in flight.
	ConcurrentStreams = 4
)

// Step names, in script order (1-based in the README).
var Steps = []string{
	"ping", "fast", "code 15", "code 16", "code 4095", "echo data", "echo files", "echo big",
	"echo stream", "concurrent streams", "serve runner", "report",
}

// ScriptFiles are the step-7 files.
func ScriptFiles() (names []string, contents [][]byte) {
	return []string{"a.txt", "empty", "żółw-🐢.txt"}, [][]byte{[]byte("abc"), {}, Pattern(300)}
}

// Pattern is byte i%251 for i in 0..n-1.
func Pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

// StreamChunks are the step-9 chunks.
var StreamChunks = []string{"alpha", "beta", "gamma"}

// session is what the runner saw during one client run.
type session struct {
	c        *raw.Conn
	err      error        // why the script stopped early (nil: ran to the end)
	errStep  int          // step index where it stopped
	msgs     [][]*raw.Obj // client messages per step
	runnerMs map[string][16]byte
	report   map[int]string // step index -> "ok" or the failure text
	goAway   time.Time
	closedIn time.Duration // how long after Go Away the client closed (-1: did not)
	afterGA  int           // messages started after Go Away
	hdr      []byte
	total    []byte
	// crossCheck is a disagreement between the runner's decoder and sockety/wire ("" if none).
	crossCheck string
}

// Session runs the runner side of the script on the first connection accepted from ln.
type Session struct {
	ln            net.Listener
	acceptTimeout time.Duration
	once          sync.Once
	s             *session
	// ready is closed when the session ended.
	ready chan struct{}
}

// NewSession prepares a session on ln; it runs on Run or when the first case needs it.
func NewSession(ln net.Listener, acceptTimeout time.Duration) *Session {
	return &Session{ln: ln, acceptTimeout: acceptTimeout, ready: make(chan struct{})}
}

// get runs the session once (bounded) and returns it.
func (ss *Session) get(ctx context.Context) *session {
	ss.once.Do(func() {
		ss.s = run(ss.ln, ss.acceptTimeout)
		close(ss.ready)
	})
	return ss.s
}

// Run runs the session now (the CLI calls it before the cases to fail fast with exit status 2
// when no client connects). It returns an error when no client connected.
func (ss *Session) Run() error {
	s := ss.get(context.Background())
	var ae *acceptError
	if errors.As(s.err, &ae) {
		return s.err
	}
	return nil
}

type acceptError struct{ err error }

func (e *acceptError) Error() string { return "no client connected: " + e.err.Error() }
func (e *acceptError) Unwrap() error { return e.err }

func run(ln net.Listener, acceptTimeout time.Duration) *session {
	s := &session{msgs: make([][]*raw.Obj, len(Steps)), runnerMs: map[string][16]byte{}, report: map[int]string{}, closedIn: -1}
	if tl, ok := ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(acceptTimeout))
	}
	nc, err := ln.Accept()
	if err != nil {
		s.err = &acceptError{err}
		return s
	}
	c := raw.NewConnChannels(nc, true, RunnerChannels)
	s.c = c
	defer func() {
		s.total = c.Received()
		c.Close()
		s.crossCheck = c.Disagreement()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s.script(ctx)
	return s
}

func (s *session) fail(step int, format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
		s.errStep = step
	}
}

// nextMessages waits until n more client messages (not responses) than seen are complete.
func (s *session) nextMessages(ctx context.Context, seen *int, n int, step int) []*raw.Obj {
	var got []*raw.Obj
	err := s.c.Wait(ctx, func(sn *raw.Snapshot) bool {
		got = got[:0]
		k := 0
		for _, o := range sn.Asm.Objs {
			if o.Response {
				continue
			}
			k++
			if k > *seen && len(got) < n {
				got = append(got, o)
			}
		}
		if len(got) < n {
			return false
		}
		for _, o := range got {
			if !o.Complete() {
				return false
			}
		}
		return true
	})
	if err != nil {
		s.fail(step, "step %d (%s): waiting for %d client message(s): %v", step+1, Steps[step], n, err)
		return nil
	}
	*seen += n
	s.msgs[step] = append([]*raw.Obj(nil), got...)
	return got
}

func stepCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 10*time.Second)
}

func (s *session) send(ctx context.Context, b []byte) bool {
	if err := s.c.Send(ctx, b); err != nil {
		s.fail(len(Steps)-1, "writing to the client: %v", err)
		return false
	}
	return true
}

func (s *session) script(ctx context.Context) {
	if !s.send(ctx, raw.Header(RunnerChannels)) {
		return
	}
	hctx, cancel := stepCtx(ctx)
	err := s.c.Wait(hctx, func(sn *raw.Snapshot) bool { return sn.Asm.HeaderSeen() })
	cancel()
	if err != nil {
		s.fail(0, "no valid connection header from the client: %v", err)
		return
	}
	s.c.With(func(sn *raw.Snapshot) { s.hdr = sn.Asm.HeaderRaw })
	seen := 0
	one := func(step int) *raw.Obj {
		sctx, cancel := stepCtx(ctx)
		defer cancel()
		ms := s.nextMessages(sctx, &seen, 1, step)
		if ms == nil {
			return nil
		}
		return ms[0]
	}
	// 1: ping, no answer.
	if one(0) == nil {
		return
	}
	// 2-5: fast and codes.
	for _, sc := range []struct{ step, code int }{{1, 0}, {2, 15}, {3, 16}, {4, 4095}} {
		o := one(sc.step)
		if o == nil {
			return
		}
		if !s.send(ctx, raw.FastReply(nil, o.ID, sc.code, false)) {
			return
		}
	}
	// 6: echo data, with a heartbeat first.
	o := one(5)
	if o == nil {
		return
	}
	out := []byte{raw.BHeartbeat}
	out = s.echoBytes(out, o, nil, 0)
	if !s.send(ctx, out) {
		return
	}
	// 7: echo files.
	if o = one(6); o == nil {
		return
	}
	if !s.send(ctx, s.echoBytes(nil, o, nil, 0)) {
		return
	}
	// 8: echo big: content split inside the parent UUID and before the data size, data in
	// 1000-byte packets, a heartbeat in between.
	if o = one(7); o == nil {
		return
	}
	if !s.send(ctx, s.echoBytes(nil, o, []int{9, 33}, 1000)) {
		return
	}
	// 9: echo stream.
	if o = one(8); o == nil {
		return
	}
	if !s.send(ctx, s.echoBytes(nil, o, []int{20}, 0)) {
		return
	}
	// 10: concurrent streams, answered in reverse order.
	sctx, cancel := stepCtx(ctx)
	ms := s.nextMessages(sctx, &seen, ConcurrentStreams, 9)
	cancel()
	if ms == nil {
		return
	}
	out = nil
	for i := len(ms) - 1; i >= 0; i-- {
		out = s.echoBytes(out, ms[i], nil, 0)
	}
	if !s.send(ctx, out) {
		return
	}
	// 11: serve the runner's messages before the echo is answered.
	if o = one(10); o == nil {
		return
	}
	if !s.serveRunner(ctx) {
		return
	}
	if !s.send(ctx, s.echoBytes(nil, o, nil, 0)) {
		return
	}
	// 12: report.
	if o = one(11); o == nil {
		return
	}
	s.parseReport(o)
	if !s.send(ctx, raw.FastReply(nil, o.ID, 0, false)) {
		return
	}
	// Go Away: the client must close, starting nothing new.
	time.Sleep(50 * time.Millisecond)
	var before int
	s.c.With(func(sn *raw.Snapshot) { before = len(sn.Asm.Objs) })
	s.goAway = time.Now()
	if !s.send(ctx, []byte{raw.BGoAway}) {
		return
	}
	gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if s.c.WaitClosed(gctx) {
		s.closedIn = time.Since(s.goAway)
	}
	cancel()
	s.c.With(func(sn *raw.Snapshot) {
		for _, o := range sn.Asm.Objs[before:] {
			if !o.Response {
				s.afterGA++
			}
		}
	})
}

// echoBytes renders the runner's echo Response to o: content cut at cuts, data in packets of
// dataChunk bytes (0: one packet), a heartbeat between data packets when chunked.
func (s *session) echoBytes(out []byte, o *raw.Obj, cuts []int, dataChunk int) []byte {
	h := raw.Head{Response: true, ID: raw.NewID(), Parent: o.ID, DataSize: int64(len(o.Data)), Stream: o.HasStream}
	for _, f := range o.Files {
		h.Files = append(h.Files, raw.FileSpec{Name: f.Name, Size: int64(len(f.Data))})
	}
	out = h.Split(out, cuts)
	d := o.Data
	for len(d) > 0 {
		n := len(d)
		if dataChunk > 0 {
			n = min(n, dataChunk)
		}
		out = raw.Data(out, d[:n])
		d = d[n:]
		if dataChunk > 0 && len(d) > 0 && len(d)%(10*dataChunk) == 0 {
			out = append(out, raw.BHeartbeat)
		}
	}
	for i, f := range o.Files {
		if len(f.Data) > 0 {
			out = raw.File(out, i, f.Data)
		}
		out = raw.FileEnd(out, i)
	}
	if o.HasStream {
		for _, c := range o.Stream {
			out = raw.Stream(out, c)
		}
		out = append(out, raw.BStreamEnd)
	}
	return out
}

// runner messages of step 11.
var runnerMsgs = []string{"ping", "fast", "code", "nope", "echo"}

func (s *session) serveRunner(ctx context.Context) bool {
	var out []byte
	for _, a := range runnerMsgs {
		id := raw.NewID()
		s.runnerMs[a] = id
		h := raw.Head{ID: id, Action: []byte(a), Expects: a != "ping"}
		switch a {
		case "code":
			h.DataSize = 3
			out = h.Start(out)
			out = raw.Data(out, []byte("300"))
			continue
		case "echo":
			h.DataSize = int64(len("from-runner"))
			h.Files = []raw.FileSpec{{Name: []byte("r.txt"), Size: 3}}
			out = h.Start(out)
			out = raw.Data(out, []byte("from-runner"))
			out = raw.File(out, 0, []byte("xyz"))
			out = raw.FileEnd(out, 0)
			continue
		}
		out = h.Start(out)
	}
	if !s.send(ctx, out) {
		return false
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := s.c.Wait(wctx, func(sn *raw.Snapshot) bool {
		n := 0
		for _, f := range sn.Asm.Fasts {
			for _, a := range []string{"fast", "code", "nope"} {
				if f.ID == s.runnerMs[a] {
					n++
				}
			}
		}
		for _, o := range sn.Asm.Objs {
			if o.Response && o.Parent == s.runnerMs["echo"] && o.Complete() {
				n++
			}
		}
		return n >= 4
	})
	if err != nil {
		s.fail(10, "step 11 (serve runner): the client did not answer the runner's messages: %v", err)
		// Go on: the echo is still answered so the report can arrive.
	}
	time.Sleep(100 * time.Millisecond) // room for a wrong answer to `ping`
	return true
}

func (s *session) parseReport(o *raw.Obj) {
	for _, line := range strings.Split(string(o.Data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		head, rest, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(head)
		if err != nil || n < 1 || n > len(Steps) {
			continue
		}
		s.report[n-1] = strings.TrimSpace(rest)
	}
}

// FormatReport renders a client's report: one line per step number, "ok" or "fail: why".
func FormatReport(results map[int]error) []byte {
	var b bytes.Buffer
	for step := 2; step <= 11; step++ {
		if err, ok := results[step]; ok && err != nil {
			fmt.Fprintf(&b, "%d fail: %s\n", step, strings.ReplaceAll(err.Error(), "\n", " "))
		} else if ok {
			fmt.Fprintf(&b, "%d ok\n", step)
		}
	}
	return b.Bytes()
}
