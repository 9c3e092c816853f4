// Package servercases is the server side of the live conformance suite: cases that connect to
// a server under test implementing the conformance contract (see conformance/README.md), send
// exact bytes and check every byte of the answers.
package servercases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
)

// Target says where the server under test listens.
type Target struct {
	Addr     string
	TLS      bool
	Insecure bool
}

// Preflight connects once and reads the server's connection header; an error here means the
// run cannot start (exit status 2).
func Preflight(ctx context.Context, tg Target) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := raw.Dial(ctx, tg.Addr, raw.DialOptions{TLS: tg.TLS, Insecure: tg.Insecure, PeerHeader: true})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Send(ctx, raw.Header(raw.MaxChannels)); err != nil {
		return err
	}
	if err := c.Wait(ctx, func(s *raw.Snapshot) bool { return len(s.Received) > 0 }); err != nil {
		return fmt.Errorf("no bytes from %s after the connection header: %w", tg.Addr, err)
	}
	return nil
}

// sess is one raw connection used by a case.
type sess struct {
	t  *runner.T
	tg Target
	c  *raw.Conn
	// announced is the channel count the runner announced.
	announced int
}

func dial(t *runner.T, tg Target) *sess {
	c, err := raw.Dial(t.Context(), tg.Addr, raw.DialOptions{TLS: tg.TLS, Insecure: tg.Insecure, PeerHeader: true})
	if err != nil {
		t.Fatal("cannot connect to the server", "a TCP connection", err.Error(), nil)
	}
	t.Cleanup(func() {
		c.Close()
		if d := c.Disagreement(); d != "" {
			t.Logf("codec cross-check: %s", d)
		}
	})
	return &sess{t: t, tg: tg, c: c, announced: raw.MaxChannels}
}

// open dials, sends the runner's header announcing n channels and waits for the peer's header.
func open(t *runner.T, tg Target, n int) *sess {
	s := dial(t, tg)
	s.announced = n
	s.c.SetChannels(n)
	s.send(raw.Header(n))
	s.waitHeader()
	return s
}

func (s *sess) send(b []byte) {
	if err := s.c.Send(s.t.Context(), b); err != nil {
		s.t.Fatal("writing to the server failed", "the server reads what the runner sends", err.Error(), nil)
	}
}

// sendBg writes b in the background (for payloads big enough to fill socket buffers).
func (s *sess) sendBg(b []byte) {
	go func() { _ = s.c.Send(s.t.Context(), b) }()
}

// waitHeader waits for the server's connection header.
func (s *sess) waitHeader() int {
	err := s.c.Wait(within(s.t, 2*time.Second), func(sn *raw.Snapshot) bool { return sn.Asm.HeaderSeen() })
	if err != nil {
		s.fatalErr("no valid connection header from the server", "control byte 0b111000AA and a valid channel count", err)
	}
	var n int
	s.c.With(func(sn *raw.Snapshot) { n = sn.Asm.HeaderChannels })
	return n
}

func (s *sess) peerChannels() int {
	var n int
	s.c.With(func(sn *raw.Snapshot) { n = sn.Asm.HeaderChannels })
	return n
}

// fatalErr turns a wait error into a FAIL with the bytes around the problem.
func (s *sess) fatalErr(reason, expected string, err error) {
	rec := s.c.Received()
	var pe *raw.ParseError
	if errors.As(err, &pe) {
		from := max(0, pe.Off-8)
		s.t.Fatal(reason+": server wrote invalid bytes", expected, pe.Error(), rec[min(from, len(rec)):])
	}
	if errors.Is(err, raw.ErrTimeout) {
		s.t.Fatal(reason+": timed out", expected, fmt.Sprintf("nothing matching after %d bytes from the server", len(rec)), tail(rec))
	}
	s.t.Fatal(reason+": connection ended", expected, err.Error(), tail(rec))
}

func tail(b []byte) []byte {
	if len(b) > 64 {
		return b[len(b)-64:]
	}
	return b
}

// reply waits for the fast reply or the complete response to id.
func (s *sess) reply(id [16]byte, what string) (*raw.Fast, *raw.Obj) {
	var f *raw.Fast
	var o *raw.Obj
	err := s.c.Wait(s.waitCtx(), func(sn *raw.Snapshot) bool {
		for _, x := range sn.Asm.Fasts {
			if x.ID == id {
				f = x
				return true
			}
		}
		for _, x := range sn.Asm.Objs {
			if x.Response && x.Parent == id && x.Complete() {
				o = x
				return true
			}
		}
		return false
	})
	if err != nil {
		s.fatalErr("no answer to "+what, "an answer to message "+uuidStr(id), err)
	}
	return f, o
}

// fast waits for a fast reply to id with the given code.
func (s *sess) fast(id [16]byte, code int, what string) *raw.Fast {
	f, o := s.reply(id, what)
	if o != nil {
		s.t.Fatal("Response instead of a Fast Reply", fmt.Sprintf("Fast Reply %d", code), "a Response", o.Raw)
	}
	if f.Code != code {
		s.t.Fatal(fmt.Sprintf("wrong fast reply code to %s", what), fmt.Sprintf("code %d", code), fmt.Sprintf("code %d", f.Code), f.Raw)
	}
	wantWide := code >= 16
	if f.Wide != wantWide {
		if f.Wide {
			s.t.Lenient("fast reply code below 16 in the 12-bit form", "low form 0x3?", "12-bit form 0x4?", f.Raw)
		} else {
			s.t.Fatal("fast reply code >= 16 in the low form", "12-bit form", "low form", f.Raw)
		}
	}
	return f
}

// response waits for a complete Response to id and checks its UUIDs and widths.
func (s *sess) response(id [16]byte, what string) *raw.Obj {
	f, o := s.reply(id, what)
	if f != nil {
		s.t.Fatal("Fast Reply instead of a Response to "+what, "a Response", fmt.Sprintf("Fast Reply code %d", f.Code), f.Raw)
	}
	checkObj(s.t, o)
	return o
}

func checkObj(t *runner.T, o *raw.Obj) {
	if !raw.IsV4(o.ID) {
		t.Fatal("Response UUID is not version 4", "version nibble 4 and variant 10xx", uuidStr(o.ID), o.Raw)
	}
	if o.ID == o.Parent {
		t.Fatal("Response UUID equals the message UUID", "a fresh UUID", uuidStr(o.ID), o.Raw)
	}
	if len(o.NonMinimal) > 0 {
		t.Lenient("a field is wider than needed", "smallest widths", strings.Join(o.NonMinimal, "; "), o.Raw)
	}
}

// noAnswer checks that nothing answers id while a later `fast` message gets its reply.
func (s *sess) noAnswer(id [16]byte, what string) {
	fid := raw.NewID()
	h := raw.Head{ID: fid, Action: []byte("fast"), Expects: true}
	s.send(h.Start(nil))
	f, o := s.reply(fid, "the `fast` sent after "+what)
	_ = f
	_ = o
	s.c.With(func(sn *raw.Snapshot) {
		for _, x := range sn.Asm.Fasts {
			if x.ID == id {
				defer s.t.Fatal("answer to "+what, "no answer", fmt.Sprintf("Fast Reply %d", x.Code), x.Raw)
				return
			}
		}
		for _, x := range sn.Asm.Objs {
			if x.Response && x.Parent == id {
				defer s.t.Fatal("answer to "+what, "no answer", "a Response", x.Raw)
				return
			}
		}
	})
}

func uuidStr(id [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}

// msg describes a message the runner sends.
type msg struct {
	head   raw.Head
	data   []byte
	files  [][]byte
	stream [][]byte
	// cuts split the content over Continue packets.
	cuts []int
	// dataChunk splits data into Data packets of this size (0 = one packet).
	dataChunk int
	// fileChunk splits files into packets of this size.
	fileChunk int
}

func newMsg(action string, data []byte) *msg {
	m := &msg{head: raw.Head{ID: raw.NewID(), Action: []byte(action), Expects: true}, data: data}
	m.head.DataSize = int64(len(data))
	return m
}

func (m *msg) withFiles(names []string, contents [][]byte) *msg {
	for i, n := range names {
		m.head.Files = append(m.head.Files, raw.FileSpec{Name: []byte(n), Size: int64(len(contents[i]))})
	}
	m.files = contents
	return m
}

func (m *msg) withStream(chunks ...[]byte) *msg {
	m.head.Stream = true
	m.stream = chunks
	return m
}

// bytes renders the whole message: content (split at cuts), data, files, stream.
func (m *msg) bytes() []byte {
	b := m.head.Split(nil, m.cuts)
	b = m.payload(b)
	return b
}

// batch makes n messages with mk and returns them with their bytes, whole and one after the other.
func batch(n int, mk func(i int) *msg) ([]*msg, []byte) {
	ms := make([]*msg, n)
	var out []byte
	for i := range ms {
		ms[i] = mk(i)
		out = append(out, ms[i].bytes()...)
	}
	return ms, out
}

func chunks(b []byte, n int) [][]byte {
	if n <= 0 || len(b) <= n {
		return [][]byte{b}
	}
	var out [][]byte
	for len(b) > 0 {
		k := min(n, len(b))
		out = append(out, b[:k])
		b = b[k:]
	}
	return out
}

func (m *msg) payload(b []byte) []byte {
	if len(m.data) > 0 {
		for _, c := range chunks(m.data, m.dataChunk) {
			b = raw.Data(b, c)
		}
	}
	for i, f := range m.files {
		if len(f) > 0 {
			for _, c := range chunks(f, m.fileChunk) {
				b = raw.File(b, i, c)
			}
		}
		b = raw.FileEnd(b, i)
	}
	if m.head.Stream {
		for _, c := range m.stream {
			b = raw.Stream(b, c)
		}
		b = append(b, raw.BStreamEnd)
	}
	return b
}

// checkEcho compares a Response with the message it echoes.
func checkEcho(t *runner.T, m *msg, o *raw.Obj) {
	if !bytes.Equal(o.Data, m.data) || o.DataSize != int64(len(m.data)) {
		t.Fatal("echoed data differs", fmt.Sprintf("%d bytes %s", len(m.data), runner.HexExcerpt(m.data[:min(16, len(m.data))])),
			fmt.Sprintf("%d bytes %s", len(o.Data), runner.HexExcerpt(o.Data[:min(16, len(o.Data))])), o.Raw)
	}
	if len(o.Files) != len(m.files) {
		t.Fatal("echoed file count differs", fmt.Sprint(len(m.files), " files"), fmt.Sprint(len(o.Files), " files"), o.Raw)
	}
	for i, f := range o.Files {
		want := m.head.Files[i]
		if !bytes.Equal(f.Name, want.Name) {
			t.Fatal(fmt.Sprintf("echoed file %d has another name", i), fmt.Sprintf("%q", want.Name), fmt.Sprintf("%q", f.Name), o.Raw)
		}
		if !bytes.Equal(f.Data, m.files[i]) {
			t.Fatal(fmt.Sprintf("echoed file %d content differs", i), fmt.Sprint(len(m.files[i]), " bytes"), fmt.Sprint(len(f.Data), " bytes"), o.Raw)
		}
	}
	if o.HasStream != m.head.Stream {
		t.Fatal("echo stream flag differs", fmt.Sprint("stream=", m.head.Stream), fmt.Sprint("stream=", o.HasStream), o.Raw)
	}
	if m.head.Stream {
		var want []byte
		for _, c := range m.stream {
			want = append(want, c...)
		}
		if got := o.StreamBytes(); !bytes.Equal(got, want) {
			t.Fatal("echoed stream differs", fmt.Sprint(len(want), " bytes"), fmt.Sprint(len(got), " bytes"), o.Raw)
		}
	}
}

// echo sends m and checks the echo.
func (s *sess) echo(m *msg, what string) *raw.Obj {
	b := m.bytes()
	if len(b) > 256<<10 {
		s.sendBg(b)
	} else {
		s.send(b)
	}
	return s.echoed(m, what)
}

// echoed waits for the Response to m (sent already) and checks that it echoes m.
func (s *sess) echoed(m *msg, what string) *raw.Obj {
	o := s.response(m.head.ID, what)
	checkEcho(s.t, m, o)
	return o
}

// echoOf sends out, m as the case wrote it, and checks the echo of m.
func (s *sess) echoOf(m *msg, out []byte, what string) *raw.Obj {
	return s.echoesOf(out, what, m)[0]
}

// echoesOf sends out, the messages ms as the case wrote them, and checks the echo of each in turn.
func (s *sess) echoesOf(out []byte, what string, ms ...*msg) []*raw.Obj {
	s.send(out)
	objs := make([]*raw.Obj, len(ms))
	for i, m := range ms {
		objs[i] = s.echoed(m, what)
	}
	return objs
}

// sendFast sends m whole and waits for its fast reply with the given code.
func (s *sess) sendFast(m *msg, code int, what string) *raw.Fast {
	return s.fastOf(m, m.bytes(), code, what)
}

// fastOf sends out, m as the case wrote it, and waits for m's fast reply with the given code.
func (s *sess) fastOf(m *msg, out []byte, code int, what string) *raw.Fast {
	s.send(out)
	return s.fast(m.head.ID, code, what)
}

// alive checks that a brand-new connection still gets `fast` answered.
func alive(t *runner.T, tg Target) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if d, ok := t.Context().Deadline(); ok && time.Until(d) < 3*time.Second {
		ctx2, c2 := context.WithDeadline(ctx, d)
		defer c2()
		ctx = ctx2
	}
	c, err := raw.Dial(ctx, tg.Addr, raw.DialOptions{TLS: tg.TLS, Insecure: tg.Insecure, PeerHeader: true})
	if err != nil {
		t.Fatal("server no longer accepts connections after bad input", "a new connection works", err.Error(), nil)
	}
	defer c.Close()
	id := raw.NewID()
	h := raw.Head{ID: id, Action: []byte("fast"), Expects: true}
	b := append(raw.Header(raw.MaxChannels), h.Start(nil)...)
	if err := c.Send(ctx, b); err != nil {
		t.Fatal("server no longer serves new connections after bad input", "a new connection works", err.Error(), nil)
	}
	err = c.Wait(ctx, func(s *raw.Snapshot) bool {
		for _, f := range s.Asm.Fasts {
			if f.ID == id {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatal("server does not answer on a new connection after bad input", "Fast Reply 0 on a new connection", err.Error(), tail(c.Received()))
	}
}

// rejects checks that after bad input the server closes the connection (or at least stops)
// and that a new connection still works.
func (s *sess) rejects(what string) {
	ctx, cancel := context.WithTimeout(s.t.Context(), 2*time.Second)
	defer cancel()
	if !s.c.WaitClosed(ctx) {
		s.t.Lenient("connection left open after "+what, "the server closes the connection", "still open after 2s", tail(s.c.Received()))
	}
	alive(s.t, s.tg)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// within returns a context ending after d (or at the case deadline).
func within(t *runner.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitCtx ends a little before the case deadline, so a missing answer is reported as such
// rather than as a case timeout.
func (s *sess) waitCtx() context.Context {
	d, ok := s.t.Context().Deadline()
	if !ok {
		return s.t.Context()
	}
	return within(s.t, time.Until(d)-300*time.Millisecond)
}
