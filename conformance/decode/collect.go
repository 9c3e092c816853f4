package decode

import (
	"sort"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// Collector turns the events of a wire.Reader into canonical Packets and
// per-message Summaries. A packet whose payload the Reader reports in
// several pieces becomes one Packet. The Reader reports a Message/Response
// when its content is complete, after the Continue packets that carried it
// (with wire.ReaderOptions.ContinueEvents); the Collector puts packets back
// in stream order (by offset).
//
// With KeepPayload false, payload bytes are not kept beyond PreviewBytes
// (the decode tool's mode, so a large capture costs little memory); the
// Packet's Size still tells the whole length.
type Collector struct {
	// KeepPayload keeps every payload byte in Packet.Payload.
	KeepPayload bool

	pending []Item // packets not yet taken by Flush, in any order
	// last payload packet, to merge pieces of the same packet
	lastPayload int // index into pending, -1 if none
	lastOffset  int64
	payloadOpen bool // the last payload packet has more pieces to come
	summaries   []*Summary
	current     map[int]*Summary // in-progress Message/Response per channel
}

// PreviewBytes is how many payload bytes a Collector keeps per packet when
// KeepPayload is false.
const PreviewBytes = 16

// Item is a Packet with its stream offset and, when payload was not kept,
// its payload length.
type Item struct {
	Offset int64
	Packet Packet
	// PayloadLen is the payload length seen so far (for payload packets).
	PayloadLen uint64
	// First is the packet's first byte as the Reader reported it.
	First byte
}

// NewCollector returns an empty Collector.
func NewCollector(keepPayload bool) *Collector {
	return &Collector{KeepPayload: keepPayload, lastPayload: -1, current: map[int]*Summary{}}
}

func uuidString(u wire.UUID) string { return u.String() }

// Add records one event. The event's slices are copied as needed.
func (c *Collector) Add(ev *wire.Event) {
	if ev == nil {
		return
	}
	switch ev.Kind {
	case wire.KindData, wire.KindStream, wire.KindFile:
		if c.lastPayload >= 0 && c.lastOffset == ev.Offset && ev.PieceOffset > 0 {
			it := &c.pending[c.lastPayload]
			it.PayloadLen += uint64(len(ev.Payload))
			it.Packet.Payload = c.keep(it.Packet.Payload, ev.Payload)
			c.payloadOpen = !ev.Last
			c.payloadSummary(ev)
			return
		}
	}
	c.lastPayload, c.payloadOpen = -1, false
	it := Item{Offset: ev.Offset, First: ev.First}
	p := &it.Packet
	p.Channel = ev.Channel
	switch ev.Kind {
	case wire.KindConnHeader:
		p.Type, p.Channel, p.Channels = TypeHeader, 0, ev.Channels
	case wire.KindSwitchChannel:
		p.Type = TypeSwitch
	case wire.KindHeartbeat:
		p.Type, p.Channel = TypeHeartbeat, 0
	case wire.KindGoAway:
		p.Type, p.Channel = TypeGoAway, 0
	case wire.KindFastReply:
		p.Type, p.Channel, p.Code, p.ID = TypeFastReply, 0, ev.Code, uuidString(ev.ID)
	case wire.KindAbort:
		p.Type = TypeAbort
		if s := c.current[ev.Channel]; s != nil && ev.Aborted {
			s.Aborted = true
			s.updateComplete()
			delete(c.current, ev.Channel)
		}
	case wire.KindContinue:
		p.Type, p.Size = TypeContinue, uint64(ev.PacketSize)
	case wire.KindMessage, wire.KindResponse:
		p.Type = TypeMessage
		if ev.Kind == wire.KindResponse {
			p.Type = TypeResponse
			p.RequestID = uuidString(ev.ParentID)
		} else {
			p.Action = string(ev.Action)
		}
		p.Size = uint64(ev.PacketSize)
		p.Stream, p.ExpectsResponse = ev.HasStream, ev.Expects
		p.ID = uuidString(ev.ID)
		p.DataSize, p.FilesSize = ev.DataSize, ev.TotalFilesSize
		p.Files = make([]FileHead, len(ev.Files))
		s := &Summary{Type: p.Type, Channel: ev.Channel, ID: p.ID, RequestID: p.RequestID, Action: p.Action,
			Offset: ev.Offset, DataSize: ev.DataSize, Stream: ev.HasStream, ContentComplete: true,
			Files: make([]FileSummary, len(ev.Files))}
		for i, f := range ev.Files {
			p.Files[i] = FileHead{Size: f.Size, Name: string(f.Name)}
			s.Files[i] = FileSummary{Index: i, Name: string(f.Name), Size: f.Size}
		}
		c.summaries = append(c.summaries, s)
		c.current[ev.Channel] = s
		c.finish(s, ev)
	case wire.KindData, wire.KindStream, wire.KindFile:
		p.Type = map[wire.Kind]string{wire.KindData: TypeData, wire.KindStream: TypeStream, wire.KindFile: TypeFile}[ev.Kind]
		p.Size, p.Index = uint64(ev.PacketSize), ev.Index
		p.Payload = c.keep([]byte{}, ev.Payload)
		it.PayloadLen = uint64(len(ev.Payload))
		c.pending = append(c.pending, it)
		c.lastPayload, c.lastOffset, c.payloadOpen = len(c.pending)-1, ev.Offset, !ev.Last
		c.payloadSummary(ev)
		return
	case wire.KindStreamEnd:
		p.Type = TypeStreamEnd
		if s := c.current[ev.Channel]; s != nil {
			s.StreamEnded = true
			c.finish(s, ev)
		}
	case wire.KindFileEnd:
		p.Type, p.Index = TypeFileEnd, ev.Index
		if s := c.current[ev.Channel]; s != nil && ev.Index < len(s.Files) {
			s.Files[ev.Index].Ended = true
			c.finish(s, ev)
		}
	default:
		p.Type = ev.Kind.String()
	}
	c.pending = append(c.pending, it)
}

func (c *Collector) keep(dst, b []byte) []byte {
	if c.KeepPayload {
		return append(dst, b...)
	}
	if room := PreviewBytes - len(dst); room > 0 {
		if len(b) > room {
			b = b[:room]
		}
		return append(dst, b...)
	}
	return dst
}

func (c *Collector) payloadSummary(ev *wire.Event) {
	s := c.current[ev.Channel]
	if s == nil {
		return
	}
	n := uint64(len(ev.Payload))
	switch ev.Kind {
	case wire.KindData:
		s.DataReceived += n
	case wire.KindStream:
		if ev.PieceOffset == 0 {
			s.StreamChunks++
		}
		s.StreamBytes += n
	case wire.KindFile:
		if ev.Index < len(s.Files) {
			s.Files[ev.Index].Received += n
		}
	}
	c.finish(s, ev)
}

// finish updates s's completion after an event and releases the channel
// when it is complete.
func (c *Collector) finish(s *Summary, ev *wire.Event) {
	if ev.Complete {
		s.readerComplete++
	}
	s.updateComplete()
	if s.Complete && c.current[s.Channel] == s {
		delete(c.current, s.Channel)
	}
}

// Flush returns the collected packets in stream order and forgets them,
// except a payload packet whose last piece has not arrived yet (unless
// final). Call it when the Reader holds no split content
// (Reader.Buffered() == 0), and with final set at the end of the input.
func (c *Collector) Flush(final bool) []Item {
	out := c.pending
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	c.pending = nil
	if c.payloadOpen && !final && len(out) > 0 && c.lastPayload >= 0 {
		// The open payload packet is the last one in the stream so far.
		open := out[len(out)-1]
		out = out[:len(out)-1]
		c.pending = append(c.pending, open)
		c.lastPayload = 0
		return out
	}
	c.lastPayload, c.payloadOpen = -1, false
	return out
}

// Summaries returns every Message/Response seen, in stream order of the
// packet that started it.
func (c *Collector) Summaries() []*Summary {
	sort.SliceStable(c.summaries, func(i, j int) bool { return c.summaries[i].Offset < c.summaries[j].Offset })
	return c.summaries
}

// CompleteMismatches lists the summaries whose completion as computed here
// disagrees with the Reader's Complete flag (set on exactly one event of
// every complete message).
func (c *Collector) CompleteMismatches() []*Summary {
	var out []*Summary
	for _, s := range c.summaries {
		n := s.readerComplete
		if (s.Complete && n != 1) || (!s.Complete && n != 0) {
			out = append(out, s)
		}
	}
	return out
}
