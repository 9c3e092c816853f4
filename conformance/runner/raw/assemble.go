package raw

import (
	"fmt"
)

// FileObj is one file of a Message or Response as received.
type FileObj struct {
	Name  []byte
	Size  int64
	SizeW int
	NameW int
	Data  []byte
	Ended bool
	// Packets counts the File packets received for it.
	Packets int
}

// Obj is one Message or Response as received, with every width used.
type Obj struct {
	Response  bool
	Channel   int
	Off       int // offset of its first packet
	Expects   bool
	HasStream bool
	Flags     byte
	ID        [16]byte
	Parent    [16]byte
	Action    []byte
	ActionW   int
	HasData   bool
	DataSize  int64
	DataW     int
	CountW    int
	TotalW    int
	Total     int64
	Files     []FileObj
	Data      []byte
	Stream    [][]byte
	StreamEnd bool
	// ContentDone is set once every content field has arrived.
	ContentDone bool
	// Continues counts the Continue packets that carried its content.
	Continues int
	// DataPackets counts its Data packets.
	DataPackets int
	// Raw holds the bytes of every packet that belonged to it, in order (capped).
	Raw []byte
	// NonMinimal lists the places where a wider field than needed was used.
	NonMinimal []string

	content []byte
}

// Complete reports whether everything the object declared has arrived.
func (o *Obj) Complete() bool {
	return o.BodyDone() && (!o.HasStream || o.StreamEnd)
}

// BodyDone reports whether the content, the data and every file are done (the stream may still
// be open).
func (o *Obj) BodyDone() bool {
	if !o.ContentDone || int64(len(o.Data)) != o.DataSize {
		return false
	}
	for i := range o.Files {
		if !o.Files[i].Ended {
			return false
		}
	}
	return true
}

// StreamBytes returns every stream chunk joined.
func (o *Obj) StreamBytes() []byte {
	var b []byte
	for _, c := range o.Stream {
		b = append(b, c...)
	}
	return b
}

// Kind names the object for messages.
func (o *Obj) Kind() string {
	if o.Response {
		return "Response"
	}
	return "Message"
}

func (o *Obj) addRaw(b []byte) {
	const capRaw = 4096
	if len(o.Raw) < capRaw {
		n := min(len(b), capRaw-len(o.Raw))
		o.Raw = append(o.Raw, b[:n]...)
	}
}

// Fast is a received Fast Reply.
type Fast struct {
	Off  int
	Code int
	Wide bool // the 12-bit form
	ID   [16]byte
	Raw  []byte
}

// EventKind tells what an assembler event is.
type EventKind int

// Event kinds.
const (
	EvContent   EventKind = iota // Obj content completed
	EvData                       // Bytes appended to Obj.Data
	EvFile                       // Bytes appended to Obj.Files[Index]
	EvFileEnd                    // Obj.Files[Index] ended
	EvStream                     // stream chunk Bytes
	EvStreamEnd                  // stream ended
	EvComplete                   // Obj complete (after any of the above)
	EvFast                       // Fast reply
	EvHeartbeat
	EvGoAway
	EvAbort // Obj (may be nil) aborted on Channel
	EvSwitch
)

// Event is something the assembler observed.
type Event struct {
	Kind    EventKind
	Obj     *Obj
	Fast    *Fast
	Bytes   []byte
	Index   int
	Channel int
	Packet  *Packet
}

// Assembler turns one direction's byte stream into packets and Messages/Responses, enforcing
// the channel rules. Limits keep memory bounded.
type Assembler struct {
	// Channels is the count the receiving side announced (writes on channels >= it are errors);
	// 0 means 4096.
	Channels int
	// MaxPayload bounds data+files+stream kept per object (default 64 MiB).
	MaxPayload int64

	buf            []byte
	off            int // stream offset of buf[0]
	header         bool
	hdrSeen        bool
	HeaderChannels int
	HeaderRaw      []byte
	channel        int
	busy           map[int]*Obj
	// All objects in arrival order, and all fast replies.
	Objs  []*Obj
	Fasts []*Fast
	// Packets lists every packet (without payload bodies kept beyond their Raw slice).
	Packets []Packet
	// Counters.
	Heartbeats, GoAways, Aborts, Switches int
	// SwitchNonMinimal counts 12-bit switches to channels < 16.
	SwitchNonMinimal int
	// MaxChannelUsed is the highest channel written to.
	MaxChannelUsed int
	Err            error
	// Total bytes consumed.
	Consumed int
}

// NewAssembler returns an assembler; expectHeader says whether the stream starts with a
// connection header.
func NewAssembler(expectHeader bool) *Assembler {
	return &Assembler{header: expectHeader, busy: map[int]*Obj{}, MaxPayload: 64 << 20}
}

// HeaderSeen reports whether the connection header has been parsed.
func (a *Assembler) HeaderSeen() bool { return a.hdrSeen }

// Feed adds bytes and returns the events they complete. After an error, Feed returns it again.
func (a *Assembler) Feed(b []byte) ([]Event, error) {
	if a.Err != nil {
		return nil, a.Err
	}
	a.buf = append(a.buf, b...)
	var evs []Event
	pos := 0
	for {
		rest := a.buf[pos:]
		if a.header && !a.hdrSeen {
			ch, n, err := ParseHeader(rest)
			if err == ErrShort {
				break
			}
			if err != nil {
				a.Err = err
				return evs, err
			}
			a.hdrSeen = true
			a.HeaderChannels = ch
			a.HeaderRaw = append([]byte(nil), rest[:n]...)
			pos += n
			continue
		}
		p, n, err := ParsePacket(rest, a.off+pos)
		if err == ErrShort {
			break
		}
		if err != nil {
			a.Err = err
			return evs, err
		}
		p.Raw = append([]byte(nil), p.Raw...)
		hdr := len(p.Raw) - len(p.Body)
		p.Body = p.Raw[hdr:]
		pos += n
		evs, err = a.packet(&p, evs)
		if err != nil {
			a.Err = err
			return evs, err
		}
	}
	a.off += pos
	a.Consumed += pos
	a.buf = append(a.buf[:0], a.buf[pos:]...)
	return evs, nil
}

// Pending reports how many bytes are buffered without forming a whole packet.
func (a *Assembler) Pending() int { return len(a.buf) }

func (a *Assembler) fail(p *Packet, format string, args ...any) error {
	return &ParseError{p.Off, fmt.Sprintf("channel %d: ", a.channel) + fmt.Sprintf(format, args...)}
}

func (a *Assembler) packet(p *Packet, evs []Event) ([]Event, error) {
	keep := *p
	if len(keep.Raw) > 64 {
		keep.Raw = keep.Raw[:64]
	}
	keep.Body = nil
	if len(a.Packets) < 100000 {
		a.Packets = append(a.Packets, keep)
	}
	limit := a.Channels
	if limit == 0 {
		limit = MaxChannels
	}
	cur := a.busy[a.channel]
	switch p.Type {
	case TSwitchLow, TSwitch:
		if p.Num >= limit {
			return evs, a.fail(p, "switch to channel %d, but only %d channels were announced", p.Num, limit)
		}
		if p.Type == TSwitch && p.Num < 16 {
			a.SwitchNonMinimal++
		}
		a.Switches++
		a.channel = p.Num
		if p.Num > a.MaxChannelUsed {
			a.MaxChannelUsed = p.Num
		}
		return append(evs, Event{Kind: EvSwitch, Channel: p.Num, Packet: p}), nil
	case THeartbeat:
		a.Heartbeats++
		return append(evs, Event{Kind: EvHeartbeat, Packet: p}), nil
	case TGoAway:
		a.GoAways++
		return append(evs, Event{Kind: EvGoAway, Packet: p}), nil
	case TAbort:
		a.Aborts++
		delete(a.busy, a.channel)
		return append(evs, Event{Kind: EvAbort, Obj: cur, Channel: a.channel, Packet: p}), nil
	case TFastLow, TFast:
		f := &Fast{Off: p.Off, Code: p.Num, Wide: p.Type == TFast, ID: p.ID, Raw: p.Raw}
		a.Fasts = append(a.Fasts, f)
		return append(evs, Event{Kind: EvFast, Fast: f, Packet: p}), nil
	case TMessage, TResponse:
		if cur != nil {
			return evs, a.fail(p, "new %s while a %s is in progress on this channel", TypeName(p.Type), cur.Kind())
		}
		o := &Obj{Response: p.Type == TResponse, Channel: a.channel, Off: p.Off, Expects: p.First&1 != 0, HasStream: p.First&2 != 0}
		a.checkSizeW(o, p)
		o.addRaw(p.Raw)
		a.busy[a.channel] = o
		a.Objs = append(a.Objs, o)
		o.content = append(o.content, p.Body...)
		return a.content(o, p, evs)
	case TContinue:
		if cur == nil || cur.ContentDone {
			return evs, a.fail(p, "Continue with no Message/Response content in progress")
		}
		a.checkSizeW(cur, p)
		cur.addRaw(p.Raw)
		cur.Continues++
		cur.content = append(cur.content, p.Body...)
		if len(cur.content) > 1<<20 {
			return evs, a.fail(p, "content over 1 MiB")
		}
		return a.content(cur, p, evs)
	}
	// Payload packets need a body in progress.
	if cur == nil {
		return evs, a.fail(p, "%s with no Message/Response in progress", TypeName(p.Type))
	}
	if !cur.ContentDone {
		return evs, a.fail(p, "%s before the %s content is complete", TypeName(p.Type), cur.Kind())
	}
	cur.addRaw(p.Raw)
	switch p.Type {
	case TData:
		a.checkSizeW(cur, p)
		if !cur.HasData && cur.DataSize == 0 {
			return evs, a.fail(p, "Data packet but the %s declares no data", cur.Kind())
		}
		if int64(len(cur.Data))+int64(len(p.Body)) > cur.DataSize {
			return evs, a.fail(p, "Data packet of %d bytes exceeds the declared %d (already %d)", len(p.Body), cur.DataSize, len(cur.Data))
		}
		cur.DataPackets++
		cur.Data = append(cur.Data, p.Body...)
		evs = append(evs, Event{Kind: EvData, Obj: cur, Bytes: p.Body, Packet: p})
	case TFile:
		a.checkSizeW(cur, p)
		f, err := a.fileOf(cur, p, "File packet", "File")
		if err != nil {
			return evs, err
		}
		if f.Ended {
			return evs, a.fail(p, "File packet for file %d after its File End", p.Num)
		}
		if int64(len(f.Data))+int64(len(p.Body)) > f.Size {
			return evs, a.fail(p, "File packet for file %d exceeds its declared %d bytes", p.Num, f.Size)
		}
		f.Data = append(f.Data, p.Body...)
		f.Packets++
		evs = append(evs, Event{Kind: EvFile, Obj: cur, Index: p.Num, Bytes: p.Body, Packet: p})
	case TFileEnd:
		f, err := a.fileOf(cur, p, "File End", "File End")
		if err != nil {
			return evs, err
		}
		if f.Ended {
			return evs, a.fail(p, "second File End for file %d", p.Num)
		}
		if int64(len(f.Data)) != f.Size {
			return evs, a.fail(p, "File End for file %d after %d of its %d bytes", p.Num, len(f.Data), f.Size)
		}
		f.Ended = true
		evs = append(evs, Event{Kind: EvFileEnd, Obj: cur, Index: p.Num, Packet: p})
	case TStream:
		a.checkSizeW(cur, p)
		if !cur.HasStream {
			return evs, a.fail(p, "Stream packet but the %s has no stream", cur.Kind())
		}
		if cur.StreamEnd {
			return evs, a.fail(p, "Stream packet after Stream End")
		}
		cur.Stream = append(cur.Stream, p.Body)
		evs = append(evs, Event{Kind: EvStream, Obj: cur, Bytes: p.Body, Packet: p})
	case TStreamEnd:
		if !cur.HasStream {
			return evs, a.fail(p, "Stream End but the %s has no stream", cur.Kind())
		}
		if cur.StreamEnd {
			return evs, a.fail(p, "second Stream End")
		}
		cur.StreamEnd = true
		evs = append(evs, Event{Kind: EvStreamEnd, Obj: cur, Packet: p})
	}
	if int64(len(cur.Data))+int64(len(cur.StreamBytes())) > a.MaxPayload {
		return evs, a.fail(p, "payload over the runner's %d-byte limit", a.MaxPayload)
	}
	if cur.Complete() {
		delete(a.busy, a.channel)
		evs = append(evs, Event{Kind: EvComplete, Obj: cur})
	}
	return evs, nil
}

// fileOf returns the file a File or File End packet p of cur names (packet
// and field name it in messages), failing on an index beyond cur's files and
// noting an index field wider than needed.
func (a *Assembler) fileOf(cur *Obj, p *Packet, packet, field string) (*FileObj, error) {
	if p.Num >= len(cur.Files) {
		return nil, a.fail(p, "%s for index %d but the %s has %d files", packet, p.Num, cur.Kind(), len(cur.Files))
	}
	if p.NumW > 0 && UintWidth(uint64(p.Num), 1, 2, 3) != p.NumW {
		cur.NonMinimal = append(cur.NonMinimal, fmt.Sprintf("%s index %d in %d bytes", field, p.Num, p.NumW))
	}
	return &cur.Files[p.Num], nil
}

func (a *Assembler) checkSizeW(o *Obj, p *Packet) {
	if m := MinSizeW(p.Size); m != p.SizeW {
		o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("%s packet size %d in %d bytes", TypeName(p.Type), p.Size, p.SizeW))
	}
}

// content tries to parse the accumulated content of o.
func (a *Assembler) content(o *Obj, p *Packet, evs []Event) ([]Event, error) {
	tmp := *o
	tmp.NonMinimal = append([]string(nil), o.NonMinimal...)
	n, err := parseContent(&tmp, o.content)
	if err == ErrShort {
		return evs, nil
	}
	if err != nil {
		return evs, a.fail(p, "%s", err)
	}
	*o = tmp
	if n != len(o.content) {
		return evs, a.fail(p, "%s content has %d bytes after its last field", o.Kind(), len(o.content)-n)
	}
	o.ContentDone = true
	o.content = nil
	evs = append(evs, Event{Kind: EvContent, Obj: o, Packet: p})
	if o.Complete() {
		delete(a.busy, a.channel)
		evs = append(evs, Event{Kind: EvComplete, Obj: o})
	}
	return evs, nil
}

// parseContent parses Message/Response content; ErrShort if incomplete.
func parseContent(o *Obj, c []byte) (int, error) {
	pos := 0
	take := func(n int) ([]byte, error) {
		if len(c)-pos < n {
			return nil, ErrShort
		}
		b := c[pos : pos+n]
		pos += n
		return b, nil
	}
	b, err := take(1)
	if err != nil {
		return 0, err
	}
	f := b[0]
	o.Flags = f
	if f&1 != 0 {
		return 0, fmt.Errorf("%s flags 0x%02x: the unused last bit is set", o.Kind(), f)
	}
	o.DataW = []int{0, 1, 2, 6}[f>>6]
	o.HasData = o.DataW > 0
	o.CountW = []int{0, 1, 2, 3}[f>>4&3]
	if o.CountW > 0 {
		o.TotalW = []int{2, 3, 4, 6}[f>>2&3]
	}
	o.ActionW = 1 + int(f>>1&1)
	if o.Response {
		if b, err = take(16); err != nil {
			return 0, err
		}
		copy(o.Parent[:], b)
		o.ActionW = 0
	}
	if b, err = take(16); err != nil {
		return 0, err
	}
	copy(o.ID[:], b)
	if !o.Response {
		if b, err = take(o.ActionW); err != nil {
			return 0, err
		}
		al := int(readUint(b, o.ActionW))
		if o.ActionW == 2 && al < 256 {
			o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("action size %d in 2 bytes", al))
		}
		if b, err = take(al); err != nil {
			return 0, err
		}
		o.Action = append([]byte(nil), b...)
	}
	if o.DataW > 0 {
		if b, err = take(o.DataW); err != nil {
			return 0, err
		}
		o.DataSize = int64(readUint(b, o.DataW))
		if UintWidth(uint64(o.DataSize), 1, 2, 6) != o.DataW {
			o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("data size %d in %d bytes", o.DataSize, o.DataW))
		}
		if o.DataSize == 0 {
			o.NonMinimal = append(o.NonMinimal, "data size 0 declared instead of no payload")
		}
	}
	if o.CountW > 0 {
		if b, err = take(o.CountW); err != nil {
			return 0, err
		}
		cnt := int(readUint(b, o.CountW))
		if UintWidth(uint64(cnt), 1, 2, 3) != o.CountW {
			o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("files count %d in %d bytes", cnt, o.CountW))
		}
		if cnt > 10000 {
			return 0, fmt.Errorf("%s declares %d files, over the runner's limit of 10000", o.Kind(), cnt)
		}
		if b, err = take(o.TotalW); err != nil {
			return 0, err
		}
		o.Total = int64(readUint(b, o.TotalW))
		if UintWidth(uint64(o.Total), 2, 3, 4, 6) != o.TotalW {
			o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("total files size %d in %d bytes", o.Total, o.TotalW))
		}
		o.Files = o.Files[:0]
		var sum int64
		for i := 0; i < cnt; i++ {
			if b, err = take(1); err != nil {
				return 0, err
			}
			h := b[0]
			if h&0xF1 != 0 {
				return 0, fmt.Errorf("file header byte 0x%02x has bits outside 0000AAB0", h)
			}
			fo := FileObj{SizeW: []int{1, 2, 3, 6}[h>>2&3], NameW: 1 + int(h>>1&1)}
			if b, err = take(fo.SizeW); err != nil {
				return 0, err
			}
			fo.Size = int64(readUint(b, fo.SizeW))
			if b, err = take(fo.NameW); err != nil {
				return 0, err
			}
			nl := int(readUint(b, fo.NameW))
			if b, err = take(nl); err != nil {
				return 0, err
			}
			fo.Name = append([]byte(nil), b...)
			if UintWidth(uint64(fo.Size), 1, 2, 3, 6) != fo.SizeW {
				o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("file %d size %d in %d bytes", i, fo.Size, fo.SizeW))
			}
			if fo.NameW == 2 && nl < 256 {
				o.NonMinimal = append(o.NonMinimal, fmt.Sprintf("file %d name size %d in 2 bytes", i, nl))
			}
			sum += fo.Size
			o.Files = append(o.Files, fo)
		}
		if sum != o.Total {
			return 0, fmt.Errorf("total files size %d but the file sizes add up to %d", o.Total, sum)
		}
	}
	return pos, nil
}
