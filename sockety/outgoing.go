package sockety

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// maxSize48 is the largest payload or file size the protocol can declare.
const maxSize48 = 1<<48 - 1

// Outgoing is a message or response to send. Payloads come either from
// memory (Data, OutFile.Data) or from readers with declared sizes
// (DataReader + DataSize, OutFile.Reader + OutFile.Size); readers are read
// while the message is being sent, one chunk at a time, so nothing forces a
// whole payload into memory. An Outgoing may be reused once the call that
// sent it returned; in-memory payloads must not change before that.
type Outgoing struct {
	// Action names what a message asks for (ignored for responses); at
	// most 65535 bytes of UTF-8.
	Action string
	// ID is the UUID to send; the zero value means a fresh random one.
	ID UUID

	// Data is the payload, used when DataReader is nil.
	Data []byte
	// DataReader, when set, provides exactly DataSize bytes of payload.
	DataReader io.Reader
	// DataSize is the size of DataReader's payload.
	DataSize int64

	// Files are sent after the data, in order.
	Files []OutFile

	// Stream attaches a stream to write through Request.Stream.
	Stream bool
	// StreamReader, when set, attaches a stream that is copied from this
	// reader and ended at its EOF before the send call returns.
	StreamReader io.Reader
}

// OutFile is a file of an outgoing message or response.
type OutFile struct {
	// Name is the file name (UTF-8, at most 65535 bytes).
	Name string
	// Data is the content, used when Reader is nil.
	Data []byte
	// Reader, when set, provides exactly Size bytes of content.
	Reader io.Reader
	// Size is the size of Reader's content.
	Size int64
}

func (f *OutFile) size() int64 {
	if f.Reader != nil {
		return f.Size
	}
	return int64(len(f.Data))
}

func (o *Outgoing) dataSize() int64 {
	if o.DataReader != nil {
		return o.DataSize
	}
	return int64(len(o.Data))
}

func (o *Outgoing) hasStream() bool { return o.Stream || o.StreamReader != nil }

// Request is a message or response that was sent (or is being sent, when it
// has a stream). It gives the stream to write and the replies.
type Request struct {
	id     UUID
	c      *Conn
	stream *StreamWriter
	wt     *waiter
}

// ID is the UUID the message or response was sent with.
func (r *Request) ID() UUID { return r.id }

// Stream is the attached stream, or nil when the Outgoing had no Stream.
// Write to it and Close it to end the stream.
func (r *Request) Stream() *StreamWriter { return r.stream }

// Response waits for the next reply. Unless the request was sent with
// SendMulti, the request stops listening after the first reply. It returns
// the connection's error if the connection ends first, and ctx's error on
// cancellation (the request keeps listening; call Close to stop).
func (r *Request) Response(ctx context.Context) (Reply, error) {
	if r.wt == nil {
		return Reply{}, ErrNoResponse
	}
	return r.wt.wait(ctx, r.c.done, r.c.Err)
}

// Close stops listening for replies. It does not end the stream.
func (r *Request) Close() {
	if r.wt != nil {
		r.wt.abandon(r.c.ws, r.id, ErrClosed)
	}
}

func (c *Conn) validate(o *Outgoing, response bool) error {
	if !response && len(o.Action) > 0xffff {
		return fmt.Errorf("%w: action of %d bytes (max 65535)", ErrInvalid, len(o.Action))
	}
	if ds := o.dataSize(); ds < 0 || ds > maxSize48 {
		return fmt.Errorf("%w: data size %d", ErrInvalid, ds)
	}
	if len(o.Files) > 0xffffff {
		return fmt.Errorf("%w: %d files (max 16777215)", ErrInvalid, len(o.Files))
	}
	var total int64
	for i := range o.Files {
		f := &o.Files[i]
		if len(f.Name) > 0xffff {
			return fmt.Errorf("%w: file name of %d bytes", ErrInvalid, len(f.Name))
		}
		s := f.size()
		if s < 0 || s > maxSize48 {
			return fmt.Errorf("%w: file size %d", ErrInvalid, s)
		}
		total += s
		if total > maxSize48 {
			return fmt.Errorf("%w: total files size over 2^48-1", ErrInvalid)
		}
	}
	return nil
}

// headPool recycles file-head slices of outgoing messages.
var headPool = sync.Pool{New: func() any { return new(head) }}

// send writes o as a message (parent zero, response false) or a response.
// With a waiter, the reply is expected and wt is registered before the first
// byte is queued. wantReq asks for a *Request (which a stream needs anyway).
func (c *Conn) send(ctx context.Context, o *Outgoing, response bool, parent UUID, wt *waiter, wantReq bool) (*Request, UUID, error) {
	// A message or response without files, stream or reader whose data
	// fits one chunk (every small request and reply): its head lives on
	// the stack. Of validate's checks only the action's length can fail
	// for it.
	oneChunk := len(o.Files) == 0 && !o.hasStream() && o.DataReader == nil && len(o.Data) <= c.opts.ChunkSize
	if !oneChunk || (!response && len(o.Action) > 0xffff) {
		if err := c.validate(o, response); err != nil {
			return nil, UUID{}, err
		}
	}
	if !response && (c.goingAway.Load() || c.peerGoingAway.Load()) {
		return nil, UUID{}, ErrGoingAway
	}
	if oneChunk {
		return c.sendSmall(ctx, o, response, parent, wt, wantReq)
	}
	h := headPool.Get().(*head)
	*h = head{response: response, parent: parent, id: o.ID, action: o.Action, dataSize: o.dataSize(),
		stream: o.hasStream(), expect: wt != nil, files: h.files[:0]}
	if response {
		h.action = ""
	}
	small := !h.stream && o.DataReader == nil
	payload := int64(len(o.Data))
	est := 40 + len(h.action)
	for i := range o.Files {
		f := &o.Files[i]
		h.files = append(h.files, wire.FileHeader{Name: f.Name, Size: uint64(f.size())})
		payload += f.size()
		est += 12 + len(f.Name)
		if f.Reader != nil {
			small = false
		}
	}
	small = small && payload <= int64(c.opts.ChunkSize)

	if small {
		err := c.sendWhole(ctx, h, est, o, int(payload), wt)
		id := h.id
		c.putHead(h)
		return c.sent(id, wt, wantReq, err)
	}

	// A long message: it holds a channel until its last part is queued.
	// The waiter is registered before the first byte is queued.
	h.id = c.messageID(h.id, wt)
	id := h.id
	fail := func(err error) (*Request, UUID, error) {
		if wt != nil {
			wt.abandon(c.ws, id, err)
		}
		return nil, id, err
	}
	ch, err := c.w.lockChannel(ctx, est, true)
	if err != nil {
		c.putHead(h)
		return fail(err)
	}
	w := c.w
	w.switchTo(ch)
	w.buf, err = appendHead(w.buf, h)
	if err != nil {
		w.release(ch)
		w.unlock()
		c.putHead(h)
		return fail(err)
	}
	w.unlock()
	c.putHead(h)

	var req *Request
	if wantReq || (o.Stream && o.StreamReader == nil) {
		req = &Request{id: id, c: c, wt: wt}
	}
	hasStream := o.hasStream()
	t := &transfer{c: c, ch: ch, ack: make(chan struct{}, inFlightChunks)}
	if err := t.payload(ctx, kindData, 0, o.Data, o.DataReader, o.DataSize); err != nil {
		t.abort()
		return fail(err)
	}
	for i := range o.Files {
		f := &o.Files[i]
		if err := t.payload(ctx, kindFile, i, f.Data, f.Reader, f.Size); err != nil {
			t.abort()
			return fail(err)
		}
		if err := t.fileEnd(ctx, i, !hasStream && i == len(o.Files)-1); err != nil {
			t.abort()
			return fail(err)
		}
	}
	if !hasStream {
		if len(o.Files) == 0 {
			t.finish()
		}
		return req, id, nil
	}
	sw := &StreamWriter{t: t}
	if o.StreamReader != nil {
		if _, err := io.Copy(sw, o.StreamReader); err != nil {
			sw.Abort()
			return fail(err)
		}
		if err := sw.Close(); err != nil {
			return fail(err)
		}
		return req, id, nil
	}
	req.stream = sw
	return req, id, nil
}

func (c *Conn) putHead(h *head) {
	files := h.files
	clear(files)
	*h = head{files: files[:0]}
	headPool.Put(h)
}

// messageID returns the UUID an outgoing message or response goes out
// with: id, or a fresh one when id is zero. With a waiter, the waiter is
// registered under it (before anything is queued, so that the reply
// cannot arrive first).
func (c *Conn) messageID(id UUID, wt *waiter) UUID {
	if wt != nil {
		return c.ws.register(id, wt)
	}
	if id.IsZero() {
		return NewUUID()
	}
	return id
}

// sent finishes a send of a whole message: on error it abandons the waiter
// (the message may not have been queued, or the connection ended).
func (c *Conn) sent(id UUID, wt *waiter, wantReq bool, err error) (*Request, UUID, error) {
	if err != nil {
		if wt != nil {
			wt.abandon(c.ws, id, err)
		}
		return nil, id, err
	}
	var req *Request
	if wantReq {
		req = &Request{id: id, c: c, wt: wt}
	}
	return req, id, nil
}

// sendSmall sends a message or response without files, stream or reader
// whose data fits one chunk: the start packet is encoded straight from o
// into a stack buffer.
func (c *Conn) sendSmall(ctx context.Context, o *Outgoing, response bool, parent UUID, wt *waiter, wantReq bool) (*Request, UUID, error) {
	id := c.messageID(o.ID, wt)
	var scratch [headScratch]byte
	var hb []byte
	var err error
	if response {
		hb, err = wire.AppendResponse(scratch[:0], &wire.ResponseHeader{MessageID: wire.UUID(parent), ID: wire.UUID(id),
			Expects: wt != nil, DataSize: uint64(len(o.Data))})
	} else {
		hb, err = wire.AppendMessage(scratch[:0], &wire.MessageHeader{ID: wire.UUID(id), Action: o.Action,
			Expects: wt != nil, DataSize: uint64(len(o.Data))})
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrInvalid, err)
	} else {
		err = c.queueWhole(ctx, hb, o, len(hb)+len(o.Data)+8)
	}
	return c.sent(id, wt, wantReq, err)
}

// sendWhole queues a message without stream whose payload fits one chunk,
// all in one go: it never holds a channel beyond its own bytes. With a
// waiter, h.id is set when the waiter is registered (before anything is
// queued, so the reply cannot arrive first), also on errors.
func (c *Conn) sendWhole(ctx context.Context, h *head, est int, o *Outgoing, payload int, wt *waiter) error {
	h.id = c.messageID(h.id, wt)
	// Encode the start packet before taking the writer lock (the codec
	// validates the action's UTF-8 there): the lock is held only for
	// the copies, which keeps 100s of concurrent senders from queueing on it.
	var scratch [headScratch]byte
	hb, err := appendHead(scratch[:0], h)
	if err != nil {
		return err
	}
	return c.queueWhole(ctx, hb, o, est+payload)
}

// queueWhole queues the start packet hb and o's data and files from memory
// on a free channel, n bytes at most in all.
//
// When the queue has room and the current channel is free (nearly always
// for small messages) the bytes go straight in, without lockChannel's
// search for a channel.
func (c *Conn) queueWhole(ctx context.Context, hb []byte, o *Outgoing, n int) error {
	w := c.w
	w.mu.Lock()
	if q := len(w.buf) + w.segBytes; w.err != nil || w.closing || w.busy[w.cur] || (q > 0 && q+n > w.limit) {
		w.mu.Unlock()
		ch, err := w.lockChannel(ctx, n, false)
		if err != nil {
			return err
		}
		w.switchTo(ch)
	}
	w.buf = append(w.buf, hb...)
	if len(o.Data) > 0 {
		w.buf = appendPayloadHead(w.buf, kindData, 0, len(o.Data))
		w.buf = append(w.buf, o.Data...)
	}
	for i := range o.Files {
		d := o.Files[i].Data
		if len(d) > 0 {
			w.buf = appendPayloadHead(w.buf, kindFile, i, len(d))
			w.buf = append(w.buf, d...)
		}
		w.buf = appendFileEnd(w.buf, i)
	}
	w.unlock()
	return nil
}

// headScratch is the stack buffer a start packet is encoded in before it
// is queued; larger ones (long actions, many files) spill to the heap.
const headScratch = 128

// transfer is the sending side of a long message or response, holding its
// channel. At most inFlightChunks chunks are in flight (queued, not yet
// written) at once, which keeps one transfer from filling the queue:
// channels take turns chunk by chunk.
type transfer struct {
	c    *Conn
	ch   int
	ack  chan struct{}
	done bool
}

// acquire takes an in-flight token.
func (t *transfer) acquire(ctx context.Context) error {
	select {
	case t.ack <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.c.w.dead:
		// Not t.c.Err(): the connection records its error only after
		// the writer stopped, and a nil error here would send piece on
		// to give back a token it never took.
		return t.c.w.failure()
	}
}

// drain waits until every chunk queued so far was written (or the writer
// died), so that the caller may reuse or return the memory.
func (t *transfer) drain() {
	for i := 0; i < cap(t.ack); i++ {
		select {
		case t.ack <- struct{}{}:
		case <-t.c.w.dead:
			return
		}
	}
	for i := 0; i < cap(t.ack); i++ {
		<-t.ack
	}
}

// piece queues one chunk of a Data (kindData), File (kindFile) or Stream (kindStream)
// packet. Pieces above copyThreshold are written in place: the caller must
// keep b unchanged until drain (or the token comes back).
func (t *transfer) piece(ctx context.Context, kind byte, index int, b []byte) error {
	w := t.c.w
	inPlace := len(b) > copyThreshold
	if inPlace {
		if err := t.acquire(ctx); err != nil {
			return err
		}
	}
	if err := w.lock(ctx, len(b)+8); err != nil {
		if inPlace {
			<-t.ack
		}
		return err
	}
	w.switchTo(t.ch)
	w.buf = appendPayloadHead(w.buf, kind, index, len(b))
	if inPlace {
		w.addSeg(b, t.ack)
	} else {
		w.buf = append(w.buf, b...)
	}
	w.unlock()
	return nil
}

// payload sends size bytes from mem or r in chunks. It returns once every
// chunk was written. On failure, chunks of mem still queued are waited for
// (mem belongs to the caller: cancellation then waits until the writer
// progresses or the connection ends), while chunks read from r live in
// buffers of their own and are simply left to the writer.
func (t *transfer) payload(ctx context.Context, kind byte, index int, mem []byte, r io.Reader, size int64) error {
	chunk := t.c.opts.ChunkSize
	if r == nil {
		for len(mem) > 0 {
			n := min(len(mem), chunk)
			if err := t.piece(ctx, kind, index, mem[:n]); err != nil {
				t.drain()
				return err
			}
			mem = mem[n:]
		}
		t.drain()
		return nil
	}
	if size == 0 {
		return nil
	}
	// One buffer per in-flight token: a buffer is reused only after the
	// chunk queued from it cap(ack) chunks ago was written.
	bufs := make([][]byte, cap(t.ack))
	k := 0
	for size > 0 {
		i := k % len(bufs)
		if bufs[i] == nil {
			bufs[i] = make([]byte, min(int64(chunk), size))
		}
		b := bufs[i][:min(int64(len(bufs[i])), size)]
		// The token for this buffer's previous use must be back: take one
		// first, then give it back to piece, which takes its own.
		if err := t.acquire(ctx); err != nil {
			return err
		}
		<-t.ack
		n, err := io.ReadFull(r, b)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: reader ended %d bytes early", ErrSizeMismatch, size-int64(n))
			}
			return fmt.Errorf("sockety: reading payload: %w", err)
		}
		if err := t.piece(ctx, kind, index, b); err != nil {
			return err
		}
		size -= int64(n)
		k++
	}
	t.drain()
	return nil
}

// fileEnd queues a File End; last releases the channel with it.
func (t *transfer) fileEnd(ctx context.Context, index int, last bool) error {
	w := t.c.w
	if err := w.lock(ctx, 4); err != nil {
		return err
	}
	w.switchTo(t.ch)
	w.buf = appendFileEnd(w.buf, index)
	if last {
		w.release(t.ch)
		t.done = true
	}
	w.unlock()
	return nil
}

// finish releases the channel once everything was queued.
func (t *transfer) finish() {
	w := t.c.w
	w.mu.Lock()
	w.release(t.ch)
	t.done = true
	w.unlock()
}

// abort tells the peer to drop the message in progress and releases the
// channel. It does not wait for queue space.
func (t *transfer) abort() {
	if t.done {
		return
	}
	t.done = true
	w := t.c.w
	w.mu.Lock()
	if w.err == nil {
		w.switchTo(t.ch)
		w.buf = append(w.buf, pktAbort)
	}
	w.release(t.ch)
	w.unlock()
}

// StreamWriter writes the stream attached to an outgoing message or
// response. Write blocks until its bytes are queued (small writes) or
// written (large ones); Close sends Stream End. It is safe for use by one
// goroutine at a time.
type StreamWriter struct {
	mu sync.Mutex
	t  *transfer
}

// Write sends p as Stream packets of at most Options.ChunkSize bytes.
func (s *StreamWriter) Write(p []byte) (int, error) {
	return s.WriteContext(context.Background(), p)
}

// WriteContext is Write with a context; on cancellation the stream is
// aborted.
func (s *StreamWriter) WriteContext(ctx context.Context, p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.done {
		return 0, ErrClosed
	}
	chunk := s.t.c.opts.ChunkSize
	n := 0
	for n < len(p) {
		k := min(len(p)-n, chunk)
		if err := s.t.piece(ctx, kindStream, 0, p[n:n+k]); err != nil {
			s.t.drain()
			if ctx.Err() != nil {
				s.t.abort()
			}
			return n, err
		}
		n += k
	}
	s.t.drain()
	return n, nil
}

// ReadFrom copies r into the stream until EOF (it does not end the stream).
func (s *StreamWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, s.t.c.opts.ChunkSize)
	var total int64
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := s.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close ends the stream (Stream End) and releases the channel.
func (s *StreamWriter) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.done {
		return nil
	}
	w := s.t.c.w
	if err := w.lock(context.Background(), 2); err != nil {
		s.t.done = true
		return err
	}
	w.switchTo(s.t.ch)
	w.buf = append(w.buf, pktStreamEnd)
	w.release(s.t.ch)
	s.t.done = true
	w.unlock()
	return nil
}

// Abort gives the message or response up: the peer drops it.
func (s *StreamWriter) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.abort()
}

// inFlightChunks is how many chunks of one long transfer may be queued and
// not yet written. The queue bound (Options.WriteQueueBytes) limits what
// waits ahead of a small message anyway; a few chunks per transfer keep
// the writer busy while the sender prepares the next ones.
var inFlightChunks = 2
