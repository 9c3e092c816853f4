// Package contract is the conformance contract server behaviour, shared by
// the conformance runner, the benchmark adapter and interoperability tests:
//
//   - "ping": no response (payloads are read and dropped);
//   - "fast": fast reply Accept (0);
//   - "echo": a Response with the same data, the same files (names and
//     contents) and, when the message has a stream, a stream echoing it;
//   - "code": a fast reply whose code is the ASCII decimal number in the
//     data (BadRequest when it is not a number in 0-4095);
//   - any other action: fast reply NotImplemented (2).
//
// Replies are sent only to messages that expect one.
package contract

import (
	"context"
	"io"
	"strconv"

	"github.com/sockety-harness/sockety-harness/sockety"
)

// Handler implements the contract. The zero value is ready to use.
type Handler struct{}

// NewContractHandler returns the contract handler.
func NewContractHandler() *Handler { return &Handler{} }

// Inline implements sockety.InlineHandler: every action is cheap on a
// message that arrived whole, except an echo with a stream.
func (h *Handler) Inline(m *sockety.Message) bool {
	return !m.HasStream()
}

// ServeSockety implements sockety.Handler.
func (h *Handler) ServeSockety(m *sockety.Message) {
	ctx := context.Background()
	switch m.Action {
	case "ping":
		drain(m)
	case "fast":
		drain(m)
		reply(ctx, m, sockety.Accept)
	case "code":
		b, err := m.Data().Bytes()
		drainFiles(m)
		if err != nil {
			return
		}
		code := sockety.BadRequest
		if n, err := strconv.ParseUint(string(b), 10, 16); err == nil && n <= uint64(sockety.MaxCode) {
			code = sockety.Code(n)
		}
		reply(ctx, m, code)
	case "echo":
		Echo(ctx, m)
	default:
		drain(m)
		reply(ctx, m, sockety.NotImplemented)
	}
}

// Echo answers m with a Response carrying the same data, files and stream,
// streamed through without holding whole payloads in memory. A message
// that expects no response is only drained.
func Echo(ctx context.Context, m *sockety.Message) {
	if !m.ExpectsResponse() {
		drain(m)
		return
	}
	if m.Complete() && len(m.Files()) == 0 {
		// The common small echo: data already in memory, no files, no
		// stream; Respond copies it into the write queue.
		d, _ := m.Data().Bytes()
		_ = m.Respond(ctx, &sockety.Outgoing{Data: d})
		return
	}
	var files []sockety.OutFile
	if n := len(m.Files()); n > 0 {
		files = make([]sockety.OutFile, n)
	}
	o := &sockety.Outgoing{Files: files, Stream: m.HasStream()}
	if m.Complete() {
		// Everything is in memory already: send it from there, which
		// keeps small echoes on the fast path.
		o.Data, _ = m.Data().Bytes()
		for i := range m.Files() {
			f := &m.Files()[i]
			files[i].Name = f.Name
			files[i].Data, _ = f.Bytes()
		}
	} else {
		o.DataReader, o.DataSize = m.Data(), m.DataSize()
		for i := range m.Files() {
			f := &m.Files()[i]
			files[i] = sockety.OutFile{Name: f.Name, Reader: &f.Payload, Size: f.Size()}
		}
	}
	req, err := m.RespondStart(ctx, o, false)
	if err != nil {
		drain(m)
		return
	}
	if s := req.Stream(); s != nil {
		if _, err := io.Copy(s, m.Stream()); err != nil {
			s.Abort()
			return
		}
		_ = s.Close()
	}
}

func reply(ctx context.Context, m *sockety.Message, c sockety.Code) {
	if m.ExpectsResponse() {
		_ = m.FastReply(ctx, c)
	}
}

func drain(m *sockety.Message) {
	_, _ = m.Data().Discard()
	drainFiles(m)
	if s := m.Stream(); s != nil {
		_, _ = s.Discard()
	}
}

func drainFiles(m *sockety.Message) {
	for i := range m.Files() {
		_, _ = m.Files()[i].Discard()
	}
}
