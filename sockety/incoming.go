package sockety

import (
	"context"
	"sync/atomic"
)

// File is a file of an incoming message or response. Its content is a
// Payload: read it while it arrives.
type File struct {
	// Name is the file name as sent (not validated as a path: never use it
	// as one without cleaning it).
	Name string
	Payload
}

// Size is the declared file size.
func (f *File) Size() int64 { return f.size }

// incoming is what messages and responses share.
type incoming struct {
	conn    *Conn
	id      UUID
	expect  bool
	data    Payload
	files   []File
	stream  *Payload
	whole   bool
	aborted atomic.Bool
}

// Complete reports whether every payload byte had arrived before the
// handler got it (then reading payloads never blocks).
func (in *incoming) Complete() bool { return in.whole }

// ID is the UUID the sender gave.
func (in *incoming) ID() UUID { return in.id }

// Conn is the connection it arrived on.
func (in *incoming) Conn() *Conn { return in.conn }

// ExpectsResponse reports whether the sender expects a reply.
func (in *incoming) ExpectsResponse() bool { return in.expect }

// Data is the data payload (empty when none was sent).
func (in *incoming) Data() *Payload { return &in.data }

// DataSize is the declared data size.
func (in *incoming) DataSize() int64 { return in.data.size }

// Files are the files, in order; read each one's Payload.
func (in *incoming) Files() []File { return in.files }

// Stream is the attached stream, nil when there is none.
func (in *incoming) Stream() *Payload { return in.stream }

// HasStream reports whether a stream is attached.
func (in *incoming) HasStream() bool { return in.stream != nil }

// Aborted reports whether the sender aborted it.
func (in *incoming) Aborted() bool { return in.aborted.Load() }

// FastReply answers with a code (0-4095).
func (in *incoming) FastReply(ctx context.Context, code Code) error {
	return in.conn.fastReply(ctx, in.id, code)
}

// Respond answers with a full response that expects no reply. A response
// with Stream set is better sent with RespondStart, which gives the writer.
func (in *incoming) Respond(ctx context.Context, o *Outgoing) error {
	_, _, err := in.conn.send(ctx, o, true, in.id, nil, false)
	return err
}

// RespondStart sends a response and returns its Request: its stream writer
// (when o.Stream is set) and, with expect, the replies to the response.
func (in *incoming) RespondStart(ctx context.Context, o *Outgoing, expect bool) (*Request, error) {
	var wt *waiter
	if expect {
		wt = newWaiter(false)
	}
	req, _, err := in.conn.send(ctx, o, true, in.id, wt, true)
	return req, err
}

// discard drops every unread payload (called when the handler returned).
func (in *incoming) discard() {
	if in.data.p != nil {
		in.data.p.discard()
	}
	for i := range in.files {
		if p := in.files[i].p; p != nil {
			p.discard()
		}
	}
	if in.stream != nil && in.stream.p != nil {
		in.stream.p.discard()
	}
}

// Message is a message received from the peer. Its payloads are readable
// while they arrive, until the handler that received it returns; it can be
// answered (FastReply, Respond) at any time, also after that.
type Message struct {
	incoming
	// Action is the message's action name.
	Action string
}

// Response is a full response received to a message (or response) we sent.
// Its payloads are readable while they arrive. Read or Discard them
// promptly: unread bytes hold back the connection once its buffer budget
// is used (see Options.MaxBufferedBytes).
type Response struct {
	incoming
	// Parent is the UUID of what it answers.
	Parent UUID
}

// Discard drops the unread payloads of r.
func (r *Response) Discard() { r.discard() }
