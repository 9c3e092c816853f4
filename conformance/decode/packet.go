// Package decode turns the events of a sockety/wire Reader into the
// canonical per-packet form used by the golden vectors (conformance/vectors)
// and by the `sockety-conformance decode` tool: one Packet per packet on the
// wire, Message/Response content merged into the packet that starts it, and a
// Summary per Message/Response (complete or not).
package decode

import (
	"bytes"
	"fmt"
	"sort"
)

// Packet types of the canonical form, as written in the vector files.
const (
	TypeHeader    = "header"
	TypeSwitch    = "switch"
	TypeMessage   = "message"
	TypeResponse  = "response"
	TypeContinue  = "continue"
	TypeFastReply = "fast-reply"
	TypeHeartbeat = "heartbeat"
	TypeGoAway    = "go-away"
	TypeAbort     = "abort"
	TypeData      = "data"
	TypeStream    = "stream"
	TypeStreamEnd = "stream-end"
	TypeFile      = "file"
	TypeFileEnd   = "file-end"
)

// fields lists, per packet type, the JSON fields of the canonical form in
// output order. Every listed field is required, no other field is allowed.
var fields = map[string][]string{
	TypeHeader:    {"channels"},
	TypeSwitch:    {"channel"},
	TypeMessage:   {"channel", "size", "stream", "expectsResponse", "id", "action", "dataSize", "filesSize", "files"},
	TypeResponse:  {"channel", "size", "stream", "expectsResponse", "requestId", "id", "dataSize", "filesSize", "files"},
	TypeContinue:  {"channel", "size"},
	TypeFastReply: {"code", "id"},
	TypeHeartbeat: {},
	TypeGoAway:    {},
	TypeAbort:     {"channel"},
	TypeData:      {"channel", "size", "payload"},
	TypeStream:    {"channel", "size", "payload"},
	TypeStreamEnd: {"channel"},
	TypeFile:      {"channel", "size", "index", "payload"},
	TypeFileEnd:   {"channel", "index"},
}

// Types returns the packet type names of the canonical form, sorted.
func Types() []string {
	out := make([]string, 0, len(fields))
	for t := range fields {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Fields returns the JSON field names the canonical form of packet type t
// carries (besides "type"), or nil when t is unknown.
func Fields(t string) []string { return fields[t] }

// FileHead is one file header of a Message or Response.
type FileHead struct {
	Size uint64 `json:"size"`
	Name string `json:"name"`
}

// Packet is one packet in canonical form. Which fields are meaningful
// depends on Type (see Fields); the others are zero.
type Packet struct {
	Type     string
	Channel  int    // channel the packet applies to (for switch: the new channel)
	Channels int    // header: channels announced
	Size     uint64 // value of the packet-size field (File: content only)
	// Message/Response header bits.
	Stream          bool
	ExpectsResponse bool
	// ID is the Message/Response UUID, or the UUID a Fast Reply answers, in
	// canonical 8-4-4-4-12 lower-case form.
	ID        string
	RequestID string // Response: the UUID of the Message it answers
	Action    string
	DataSize  uint64
	FilesSize uint64
	Files     []FileHead
	Code      int // Fast Reply code
	Index     int // File/File End index
	Payload   []byte
}

// MarshalJSON writes the canonical form: "type" then the fields of the type
// in a fixed order; the payload as lower-case hex.
func (p Packet) MarshalJSON() ([]byte, error) {
	if _, ok := fields[p.Type]; !ok {
		return nil, fmt.Errorf("decode: unknown packet type %q", p.Type)
	}
	return p.AppendJSON(nil), nil
}

// String returns the canonical JSON form (for test failure messages).
func (p Packet) String() string {
	b, err := p.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("%+v", struct {
			Type string
		}{p.Type})
	}
	return string(b)
}

// Equal reports whether p and q have the same canonical form.
func (p Packet) Equal(q Packet) bool {
	if p.Type != q.Type {
		return false
	}
	for _, n := range fields[p.Type] {
		switch n {
		case "files":
			if len(p.Files) != len(q.Files) {
				return false
			}
			for i := range p.Files {
				if p.Files[i] != q.Files[i] {
					return false
				}
			}
		case "payload":
			if !bytes.Equal(p.Payload, q.Payload) {
				return false
			}
		default:
			if p.field(n) != q.field(n) {
				return false
			}
		}
	}
	return true
}

// Summary describes one Message or Response of a decoded stream: what it
// declared, what arrived, and whether it is complete.
type Summary struct {
	Type      string `json:"summary"` // "message" or "response"
	Channel   int    `json:"channel"`
	ID        string `json:"id"`
	RequestID string `json:"requestId,omitempty"`
	Action    string `json:"action,omitempty"`
	// Offset is the stream offset of the packet that started it.
	Offset       int64         `json:"offset"`
	DataSize     uint64        `json:"dataSize"`
	DataReceived uint64        `json:"dataReceived"`
	Files        []FileSummary `json:"files"`
	Stream       bool          `json:"stream"`
	StreamChunks int           `json:"streamChunks"`
	StreamBytes  uint64        `json:"streamBytes"`
	StreamEnded  bool          `json:"streamEnded"`
	// ContentComplete is false while Continue packets are still due.
	ContentComplete bool `json:"contentComplete"`
	Aborted         bool `json:"aborted"`
	// Complete: content, declared data, every File End and the Stream End
	// (if a stream is attached) have all arrived.
	Complete bool `json:"complete"`

	readerComplete int // events the Reader flagged Complete for this message
}

// FileSummary is one file of a Summary.
type FileSummary struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	Size     uint64 `json:"size"`
	Received uint64 `json:"received"`
	Ended    bool   `json:"ended"`
}

func (s *Summary) updateComplete() {
	c := s.ContentComplete && !s.Aborted && s.DataReceived == s.DataSize
	for _, f := range s.Files {
		c = c && f.Ended
	}
	if s.Stream {
		c = c && s.StreamEnded
	}
	s.Complete = c
}

// field returns the value of a scalar canonical field (for Equal).
func (p Packet) field(name string) any {
	switch name {
	case "channel":
		return p.Channel
	case "channels":
		return p.Channels
	case "size":
		return p.Size
	case "stream":
		return p.Stream
	case "expectsResponse":
		return p.ExpectsResponse
	case "id":
		return p.ID
	case "requestId":
		return p.RequestID
	case "action":
		return p.Action
	case "dataSize":
		return p.DataSize
	case "filesSize":
		return p.FilesSize
	case "code":
		return p.Code
	case "index":
		return p.Index
	}
	return nil
}
