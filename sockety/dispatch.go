package sockety

import (
	"context"
	"fmt"
	"io"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// inMsg is the read side's state of a message or response arriving on one
// channel.
type inMsg struct {
	in   *incoming
	msg  *Message  // for messages
	resp *Response // for responses
	// whole: the payload is collected into buf before dispatch.
	whole bool
	buf   []byte
	// offsets of data (0) and of each file in buf
	fileOff []int
	dataGot int64
	fileGot []int64
	// bytes counted in readState.metaBytes and wholeBytes
	meta       int64
	wholeBytes int64
}

// fileInfo is a received file header.
type fileInfo struct {
	name string
	size int64
}

// readState is owned by the read loop.
type readState struct {
	c       *Conn
	chans   [maxChannels]*inMsg
	actions map[string]string
	// lastAction is the action interned last
	lastAction string
	fileBuf    []fileInfo
	freeSt     []*inMsg
	spare      *Message // handed back by inline handlers
	// metaBytes: action and file-name bytes of messages in progress;
	// wholeBytes: payload bytes being collected for whole messages.
	metaBytes  int64
	wholeBytes int64
	// lend is the read buffer the current input is in, when its payload
	// slices may be lent to pipes (nil: copy them).
	lend *readBuf
}

// lender returns the read buffer to lend payload piece p from, or nil when
// p is to be copied.
func (rs *readState) lender(p []byte) *readBuf {
	if len(p) < lendMin {
		return nil
	}
	return rs.lend
}

func (rs *readState) newSt() *inMsg {
	if n := len(rs.freeSt); n > 0 {
		st := rs.freeSt[n-1]
		rs.freeSt = rs.freeSt[:n-1]
		return st
	}
	return &inMsg{}
}

// newMessage returns the Message an inline handler handed back, or a new one.
func (rs *readState) newMessage() *Message {
	if m := rs.spare; m != nil {
		rs.spare = nil
		return m
	}
	return &Message{}
}

func (rs *readState) freeState(st *inMsg) {
	rs.metaBytes -= st.meta
	rs.wholeBytes -= st.wholeBytes
	*st = inMsg{fileOff: st.fileOff[:0], fileGot: st.fileGot[:0]}
	if len(rs.freeSt) < 64 {
		rs.freeSt = append(rs.freeSt, st)
	}
}

func (rs *readState) intern(b []byte) string {
	// Runs of one action are common: compare with the last one first
	// (no map hashing).
	if string(b) == rs.lastAction && len(b) > 0 {
		return rs.lastAction
	}
	if s, ok := rs.actions[string(b)]; ok {
		rs.lastAction = s
		return s
	}
	s := string(b)
	if len(rs.actions) < 512 && len(b) <= 64 {
		rs.actions[s] = s
	}
	return s
}

// startInfo is a decoded Message or Response start.
type startInfo struct {
	response bool
	id       UUID
	parent   UUID
	action   []byte
	dataSize int64
	files    []fileInfo
	stream   bool
	expect   bool
}

func (rs *readState) start(ch int, si *startInfo) error {
	c := rs.c
	if rs.chans[ch] != nil {
		return fmt.Errorf("message start on busy channel %d", ch)
	}
	var total int64 = si.dataSize
	meta := int64(len(si.action))
	for _, f := range si.files {
		total += f.size
		meta += int64(len(f.name)) + 32
	}
	// File names and actions of messages in progress are kept; bound them
	// per connection like buffered payload.
	if rs.metaBytes+meta > int64(c.opts.MaxBufferedBytes) {
		return fmt.Errorf("%w: headers of messages in progress exceed %d bytes", ErrLimit, c.opts.MaxBufferedBytes)
	}
	st := rs.newSt()
	st.meta = meta
	rs.metaBytes += meta
	var in *incoming
	if si.response {
		st.resp = &Response{Parent: si.parent}
		in = &st.resp.incoming
	} else {
		m := rs.newMessage()
		m.Action = rs.intern(si.action)
		st.msg = m
		in = &st.msg.incoming
	}
	st.in = in
	in.conn = c
	in.id = si.id
	in.expect = si.expect
	in.data.size = si.dataSize
	if len(si.files) > 0 {
		in.files = make([]File, len(si.files))
		for i, f := range si.files {
			in.files[i].Name = f.name
			in.files[i].size = f.size
		}
	}
	// Small messages are collected whole, as long as the connection's
	// collected bytes stay within its buffer budget (a peer declaring many
	// small messages without sending them cannot make us allocate more).
	st.whole = !si.stream && total <= int64(c.opts.SmallMessage) &&
		(total == 0 || rs.wholeBytes+total <= int64(c.opts.MaxBufferedBytes))
	in.whole = st.whole
	if st.whole {
		st.wholeBytes = total
		rs.wholeBytes += total
		if total > 0 {
			st.buf = make([]byte, total)
			in.data.b = st.buf[:si.dataSize:si.dataSize]
			off := si.dataSize
			st.fileOff = grow(st.fileOff, len(si.files))
			st.fileGot = grow(st.fileGot, len(si.files))
			for i := range in.files {
				st.fileOff[i] = int(off)
				in.files[i].b = st.buf[off : off+in.files[i].size : off+in.files[i].size]
				off += in.files[i].size
			}
		} else if len(si.files) > 0 {
			st.fileOff = grow(st.fileOff, len(si.files))
			st.fileGot = grow(st.fileGot, len(si.files))
		}
		rs.chans[ch] = st
		return nil
	}
	lim := c.opts.MaxMessageBuffer
	if si.dataSize > 0 {
		in.data.p = newPipe(lim, &c.buf)
	}
	for i := range in.files {
		in.files[i].p = newPipe(lim, &c.buf)
	}
	if si.stream {
		in.stream = &Payload{size: -1, p: newPipe(lim, &c.buf)}
	}
	rs.chans[ch] = st
	rs.dispatch(st, false)
	return nil
}

// startEmpty handles a Message or Response packet that is the whole
// message (no data, files or stream), as start and complete would, without
// their per-channel state: the small messages of a busy connection are
// mostly these.
func (rs *readState) startEmpty(ev *wire.Event) {
	c := rs.c
	if ev.Kind == wire.KindResponse {
		r := &Response{Parent: UUID(ev.ParentID)}
		r.conn, r.id, r.expect, r.whole = c, UUID(ev.ID), ev.Expects, true
		if !c.ws.deliver(r.Parent, Reply{Response: r}) {
			r.discard()
		}
		return
	}
	m := rs.newMessage()
	m.Action = rs.intern(ev.Action)
	m.conn, m.id, m.expect, m.whole = c, UUID(ev.ID), ev.Expects, true
	rs.handle(m)
}

// dispatch hands a message to the handler or a response to its waiter.
func (rs *readState) dispatch(st *inMsg, complete bool) {
	c := rs.c
	if st.resp != nil {
		if !c.ws.deliver(st.resp.Parent, Reply{Response: st.resp}) {
			st.in.discard()
		}
		return
	}
	if complete {
		rs.handle(st.msg)
		return
	}
	rs.handleLater(st.msg)
}

// handle hands a complete message to the handler: on the read loop when
// the handler is an InlineHandler that accepts it, else in a goroutine.
func (rs *readState) handle(m *Message) {
	c := rs.c
	if ih := c.inline; ih != nil && ih.Inline(m) {
		c.inlineActive.Store(true)
		c.serve(c.handler, m)
		c.inlineActive.Store(false)
		// The inline contract: m is not used after ServeSockety
		// returned, so it serves the next message.
		*m = Message{}
		rs.spare = m
		return
	}
	rs.handleLater(m)
}

// handleLater runs the handler for m in a goroutine (m's payloads may
// still be arriving); without a handler, m is refused.
func (rs *readState) handleLater(m *Message) {
	c := rs.c
	h := c.handler
	if h == nil {
		if m.expect {
			_ = c.fastReply(context.Background(), m.id, NotImplemented)
		}
		m.discard()
		return
	}
	c.handlers.Add(1)
	c.inflight.Add(1)
	go func() {
		defer c.handlers.Done()
		defer c.inflight.Add(-1)
		c.serve(h, m)
	}()
}

// serve runs a handler; a panic in it ends the connection with an error
// instead of the process.
func (c *Conn) serve(h Handler, m *Message) {
	defer func() {
		m.discard()
		if p := recover(); p != nil {
			c.fail(fmt.Errorf("sockety: handler for %q panicked: %v", m.Action, p))
		}
	}()
	h.ServeSockety(m)
}

// payload stores payload bytes of kind data (file < 0), a file, or the stream.
func (rs *readState) data(ch int, p []byte) error {
	st := rs.chans[ch]
	if st == nil {
		return fmt.Errorf("data on idle channel %d", ch)
	}
	if st.whole {
		if st.dataGot+int64(len(p)) > st.in.data.size {
			return fmt.Errorf("more data than declared on channel %d", ch)
		}
		copy(st.buf[st.dataGot:], p)
		st.dataGot += int64(len(p))
		return nil
	}
	if st.in.data.p == nil {
		return fmt.Errorf("data without declared data on channel %d", ch)
	}
	if err := st.in.data.p.write(p, rs.lender(p), rs.c.done); err != nil {
		return err
	}
	st.dataGot += int64(len(p))
	if st.dataGot == st.in.data.size {
		st.in.data.p.end(io.EOF)
	}
	return nil
}

func (rs *readState) file(ch, idx int, p []byte) error {
	st := rs.chans[ch]
	if st == nil || idx < 0 || idx >= len(st.in.files) {
		return fmt.Errorf("file %d not declared on channel %d", idx, ch)
	}
	f := &st.in.files[idx]
	if st.whole {
		if st.fileGot[idx]+int64(len(p)) > f.size {
			return fmt.Errorf("more file bytes than declared on channel %d", ch)
		}
		copy(st.buf[int64(st.fileOff[idx])+st.fileGot[idx]:], p)
		st.fileGot[idx] += int64(len(p))
		return nil
	}
	return f.p.write(p, rs.lender(p), rs.c.done)
}

func (rs *readState) fileEnd(ch, idx int) error {
	st := rs.chans[ch]
	if st == nil || idx < 0 || idx >= len(st.in.files) {
		return fmt.Errorf("file end %d not declared on channel %d", idx, ch)
	}
	if p := st.in.files[idx].p; p != nil {
		p.end(io.EOF)
	}
	return nil
}

func (rs *readState) stream(ch int, p []byte) error {
	st := rs.chans[ch]
	if st == nil || st.in.stream == nil {
		return fmt.Errorf("stream packet without a stream on channel %d", ch)
	}
	return st.in.stream.p.write(p, rs.lender(p), rs.c.done)
}

func (rs *readState) streamEnd(ch int) error {
	st := rs.chans[ch]
	if st == nil || st.in.stream == nil {
		return fmt.Errorf("stream end without a stream on channel %d", ch)
	}
	st.in.stream.p.end(io.EOF)
	return nil
}

// complete is called when every part of the message on ch arrived.
func (rs *readState) complete(ch int) {
	st := rs.chans[ch]
	if st == nil {
		return
	}
	rs.chans[ch] = nil
	if st.in.data.p != nil {
		st.in.data.p.end(io.EOF)
	}
	if st.whole {
		rs.dispatch(st, true)
	}
	rs.freeState(st)
}

// abort drops the message in progress on ch.
func (rs *readState) abort(ch int) {
	st := rs.chans[ch]
	if st == nil {
		return
	}
	rs.chans[ch] = nil
	st.in.aborted.Store(true)
	rs.endAll(st, ErrAborted)
	rs.freeState(st)
}

func (rs *readState) endAll(st *inMsg, err error) {
	if st.in.data.p != nil {
		st.in.data.p.end(err)
	}
	for i := range st.in.files {
		if p := st.in.files[i].p; p != nil {
			p.end(err)
		}
	}
	if st.in.stream != nil {
		st.in.stream.p.end(err)
	}
}

// shutdown ends every payload in progress with err.
func (rs *readState) shutdown(err error) {
	for ch, st := range rs.chans {
		if st != nil {
			rs.endAll(st, err)
			rs.chans[ch] = nil
		}
	}
}

func (rs *readState) fastReply(id UUID, code Code) {
	rs.c.ws.deliver(id, Reply{Code: code})
}

// grow returns s resized to n zeroed elements, reusing its array.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}
