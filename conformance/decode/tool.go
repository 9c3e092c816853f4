package decode

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// HeaderMode says whether a capture starts with the connection header.
type HeaderMode int

// Header modes of ToolOptions.
const (
	HeaderAuto    HeaderMode = iota // a first byte 0xE0-0xE3 is the header
	HeaderPresent                   // the capture starts with the header
	HeaderNone                      // the capture starts with packets
)

// ToolOptions configure Capture.
type ToolOptions struct {
	Header HeaderMode
	// MaxChannels is the channel count the receiving side announced
	// (default 4096).
	MaxChannels int
	// ChunkSize is the read size (default 64 KiB).
	ChunkSize int
}

// Line is one packet line of the decode tool's output: the canonical packet
// fields plus the stream offset and first byte; a payload is shown by its
// length and a hex preview of its first PreviewBytes bytes.
type Line struct {
	Item
}

// MarshalJSON writes {"offset":N,"byte":"xx","type":...,<fields>} with the
// payload replaced by "payloadLength" and "preview".
func (l Line) MarshalJSON() ([]byte, error) {
	if _, ok := fields[l.Packet.Type]; !ok {
		return nil, fmt.Errorf("decode: unknown packet type %q", l.Packet.Type)
	}
	return l.AppendJSON(nil), nil
}

// ErrorLine is the last line the tool prints for bad input.
type ErrorLine struct {
	Error   string `json:"error"`
	Class   string `json:"class,omitempty"`
	Offset  int64  `json:"offset"`
	Channel int    `json:"channel"`
}

// CaptureError is returned by Capture for bad input: the wire error and the
// byte offset of the packet at fault.
type CaptureError struct {
	Offset  int64
	Channel int
	Err     error
}

func (e *CaptureError) Error() string {
	return fmt.Sprintf("bad input at byte offset %d (channel %d): %v", e.Offset, e.Channel, e.Err)
}

func (e *CaptureError) Unwrap() error { return e.Err }

// Capture decodes a raw byte capture of one direction of a connection from
// r and writes one JSON line per packet to w, then one summary line per
// Message/Response. For bad input it writes what decoded before the error,
// the summaries, an ErrorLine, and returns a *CaptureError. Memory stays
// bounded by the Reader's limits and one summary per message: payload bytes
// are not kept beyond the preview.
func Capture(r io.Reader, w io.Writer, opts ToolOptions) error {
	ro := wire.ReaderOptions{MaxChannels: opts.MaxChannels, ContinueEvents: true}
	switch opts.Header {
	case HeaderAuto:
		ro.AutoHeader = true
	case HeaderNone:
		ro.NoHeader = true
	}
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = 64 << 10
	}
	rd := wire.NewReader(ro)
	col := NewCollector(false)
	out := bufio.NewWriter(w)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var werr error
	var line []byte
	emit := func(final bool) {
		for _, it := range col.Flush(final) {
			if werr == nil {
				l := Line{it}
				line = append(l.AppendJSON(line[:0]), '\n')
				_, werr = out.Write(line)
			}
		}
	}
	buf := make([]byte, chunk)
	var derr error
	for derr == nil {
		n, rerr := r.Read(buf)
		p := buf[:n]
		for len(p) > 0 {
			used, ev, err := rd.Next(p)
			col.Add(ev)
			if err != nil {
				derr = err
				break
			}
			p = p[used:]
			if rd.Buffered() == 0 {
				emit(false)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			emit(true)
			_ = out.Flush()
			return fmt.Errorf("decode: read: %w", rerr)
		}
	}
	if derr == nil {
		derr = rd.Finish()
	}
	emit(true)
	for _, s := range col.Summaries() {
		if werr == nil {
			line = append(s.AppendJSON(line[:0]), '\n')
			_, werr = out.Write(line)
		}
	}
	var cerr *CaptureError
	if derr != nil {
		cerr = &CaptureError{Offset: rd.Offset(), Channel: rd.Channel(), Err: derr}
		var pe *wire.ProtocolError
		if errors.As(derr, &pe) {
			cerr.Offset, cerr.Channel = pe.Offset, pe.Channel
		}
		if werr == nil {
			werr = enc.Encode(ErrorLine{Error: derr.Error(), Class: ClassName(derr), Offset: cerr.Offset, Channel: cerr.Channel})
		}
	}
	if err := out.Flush(); werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("decode: write: %w", werr)
	}
	if cerr != nil {
		return cerr
	}
	return nil
}
