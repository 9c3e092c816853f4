package wire

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// ReaderOptions configure a Reader. Zero fields take the documented defaults.
type ReaderOptions struct {
	// NoHeader: the stream starts with packets (no connection header).
	NoHeader bool
	// AutoHeader: detect the connection header: a first byte 0xE0-0xE3 is
	// read as the header, anything else as the first packet. Overrides
	// NoHeader.
	AutoHeader bool
	// MaxChannels is the number of channels WE announced (1-4096, default
	// 4096): a Switch Channel to a channel at or above it is ErrChannelRange.
	MaxChannels int
	// MaxActionSize bounds action names (default and maximum 65535).
	MaxActionSize int
	// MaxFiles bounds the number of files in one Message/Response
	// (default 65536, maximum 16777215).
	MaxFiles int
	// MaxFileNameSize bounds file names (default and maximum 65535).
	MaxFileNameSize int
	// MaxContentBuffer bounds the bytes of Message/Response content
	// buffered over all channels while it is split (over input slices or
	// Continue packets); default 4 MiB. Content that arrives whole in one
	// input slice is not buffered and not counted.
	MaxContentBuffer int
	// ContinueEvents makes the Reader report every Continue packet as a
	// KindContinue event (for tools); by default Continue packets are
	// silent and the Message/Response event comes when its content is
	// complete.
	ContinueEvents bool
}

// Default limits.
const (
	DefaultMaxFiles         = 65536
	DefaultMaxContentBuffer = 4 << 20
)

// FileInfo is one file header of a received Message or Response.
type FileInfo struct {
	Name []byte // valid until the next call to Reader.Next
	Size uint64
}

// Event is one thing the Reader found in the stream. The Reader owns and
// reuses it: it and every slice in it are valid only until the next call to
// Next. Fields that do not apply to Kind are zero.
type Event struct {
	Kind    Kind
	Offset  int64 // stream offset of the packet's first byte (Message/Response: of the Message/Response packet)
	Channel int   // the channel the packet applies to (the current channel; for KindSwitchChannel the new one)
	First   byte  // the packet's first byte (control byte for KindConnHeader)

	// KindConnHeader: the channel count the peer announced (1-4096).
	Channels int

	// KindMessage, KindResponse, KindFastReply: the UUID (FastReply: of
	// the Message it answers).
	ID UUID
	// KindResponse: the UUID of the Message it answers.
	ParentID UUID
	// KindFastReply: the code (0-4095).
	Code int

	// KindMessage, KindResponse: the decoded content.
	Action         []byte // KindMessage only
	Expects        bool
	HasStream      bool
	ContentFlags   byte // the content's flags byte DDEEFFG0
	DataSize       uint64
	FilesCount     int
	TotalFilesSize uint64
	Files          []FileInfo
	ContentPackets int // packets the content was spread over (1 = no Continue)

	// Sized packets (Message, Response, Continue, Data, Stream, File): the
	// packet size field (for Message/Response: of the first packet).
	PacketSize int

	// KindFile, KindFileEnd: the file index.
	Index int

	// KindData, KindStream, KindFile: a piece of the packet's payload, a
	// slice of the input passed to Next (never copied). A packet whose
	// payload arrives over several Next inputs is reported as several
	// events; PieceOffset is the offset of Payload within the packet's
	// payload and Last is set on its last piece. A zero-size packet is one
	// event with an empty Payload and Last set.
	Payload     []byte
	PieceOffset int
	Last        bool
	// KindData: data bytes of the message still expected after this
	// piece. KindFile: bytes of this file still expected after this piece.
	Remaining uint64

	// Complete is set on the event that finishes the Message/Response on
	// Channel: its content, all declared data, every File End and the
	// Stream End when a stream is attached. A Message/Response without
	// payload or stream is complete on its own event.
	Complete bool
	// KindAbort: whether a Message/Response was in progress on Channel
	// (and is now dropped).
	Aborted bool
}

// Reader states.
const (
	rsHeader  = iota // expecting the connection header
	rsPacket         // between packets (r.hlen bytes of a header buffered)
	rsContent        // inside the content of a Message/Response/Continue
	rsPayload        // inside the payload of a Data/Stream/File packet
	rsFailed         // r.err is set
)

// fileState is the progress of one file of a message in progress.
type fileState struct {
	left  uint64
	ended bool
}

// chanState is what is in progress on one channel.
type chanState struct {
	busy     bool // a Message/Response is in progress
	content  bool // its content is not complete yet
	resp     bool
	first    byte  // first byte of the Message/Response packet
	offset   int64 // offset of the Message/Response packet
	pktSize  int   // its size field
	packets  int
	buf      []byte // content received so far, when split
	cp       contentParser
	dataLeft uint64
	files    []fileState
	open     int  // files not ended
	stream   bool // stream attached and not ended
	owes     bool // counted in Reader.owing (see Reader.owe)
}

// idle reports whether the message in progress has everything.
func (c *chanState) finished() bool {
	return !c.content && c.dataLeft == 0 && c.open == 0 && !c.stream
}

// Reader is an incremental, resumable, zero-copy parser of one direction of
// a Sockety connection. It is not safe for concurrent use.
type Reader struct {
	state uint8
	auto  bool

	maxCh, maxAction, maxFiles, maxName, maxBuf int
	contEvents                                  bool

	err error
	off int64 // bytes consumed before the current call

	hdr   [24]byte // a packet header arriving in pieces
	hlen  int
	hneed int

	cur   int
	cs    *chanState // state of channel cur; nil until used
	chans []*chanState

	// the packet in progress
	pktOff   int64
	pktKind  Kind
	pktFirst byte
	pktSize  int
	pktLeft  int
	pktIndex int

	buffered int // content bytes buffered over all channels
	waiting  int // channels whose content awaits more bytes
	owing    int // channels whose content, data or files are incomplete

	ev Event
}

// NewReader returns a Reader with opts (limits clamped to the protocol's).
func NewReader(opts ReaderOptions) *Reader {
	r := &Reader{
		maxCh:      opts.MaxChannels,
		maxAction:  opts.MaxActionSize,
		maxFiles:   opts.MaxFiles,
		maxName:    opts.MaxFileNameSize,
		maxBuf:     opts.MaxContentBuffer,
		contEvents: opts.ContinueEvents,
		auto:       opts.AutoHeader,
	}
	if r.maxCh <= 0 || r.maxCh > MaxChannels {
		r.maxCh = MaxChannels
	}
	if r.maxAction <= 0 || r.maxAction > MaxActionSize {
		r.maxAction = MaxActionSize
	}
	if r.maxFiles <= 0 {
		r.maxFiles = DefaultMaxFiles
	}
	if r.maxFiles > MaxFileCount {
		r.maxFiles = MaxFileCount
	}
	if r.maxName <= 0 || r.maxName > MaxNameSize {
		r.maxName = MaxNameSize
	}
	if r.maxBuf <= 0 {
		r.maxBuf = DefaultMaxContentBuffer
	}
	if opts.NoHeader && !opts.AutoHeader {
		r.state = rsPacket
	}
	return r
}

func (r *Reader) fail(class error, kind Kind, detail string) error {
	r.err = &ProtocolError{Class: class, Offset: r.pktOff, Channel: r.cur, Packet: kind, Detail: detail}
	r.state = rsFailed
	return r.err
}

// sizeWidth is the packet size width of a sized packet's first byte.
func sizeWidth(b byte) int { return int(b>>2&3) + 1 }

// headerLen validates the first byte b of a packet (or of the connection
// header) and returns the length of the packet's fixed header.
func (r *Reader) headerLen(b byte) (int, error) {
	if r.state == rsHeader {
		if b&0xFC != headerControl {
			if r.auto {
				r.state = rsPacket
				return r.headerLen(b)
			}
			return 0, r.fail(ErrInvalidHeader, KindConnHeader, "control byte "+hexByte(b))
		}
		return [4]int{1, 2, 3, 1}[b&3], nil
	}
	if l := hdrLenTab[b]; l > 0 {
		return int(l), nil
	}
	return r.firstByteSlow(b) // fails the reader with the right class
}

// hdrLenTab holds the fixed header length of every valid first byte, 0 for
// invalid ones.
var hdrLenTab = func() (t [256]int8) {
	r := &Reader{state: rsPacket}
	for i := range t {
		if n, err := r.firstByteSlow(byte(i)); err == nil {
			t[i] = int8(n)
		}
	}
	return t
}()

// firstByteSlow validates a packet's first byte and returns its header
// length; for an invalid byte it fails the reader with the error class.
func (r *Reader) firstByteSlow(b byte) (int, error) {
	switch b >> 4 {
	case nibSwitchLow:
		return 1, nil
	case nibSwitch:
		return 2, nil
	case nibMessage, nibResponse:
		return 1 + sizeWidth(b), nil
	case nibFastLow:
		return 17, nil
	case nibFast:
		return 18, nil
	case nibContinue:
		if b&3 != 0 {
			return 0, r.fail(ErrReservedBits, KindContinue, "first byte "+hexByte(b))
		}
		return 1 + sizeWidth(b), nil
	case nibStream:
		if b&3 != 0 {
			return 0, r.fail(ErrReservedBits, KindStream, "first byte "+hexByte(b))
		}
		return 1 + sizeWidth(b), nil
	case nibData:
		if b&3 != 0 {
			return 0, r.fail(ErrReservedBits, KindData, "first byte "+hexByte(b))
		}
		return 1 + sizeWidth(b), nil
	case nibStreamEnd, nibAbort, nibHeartbeat, nibGoAway:
		if b&15 != 0 {
			return 0, r.fail(ErrReservedBits, singleKind[b>>4-nibStreamEnd], "first byte "+hexByte(b))
		}
		return 1, nil
	case nibFile:
		return 1 + sizeWidth(b) + int(b&3), nil
	case nibFileEnd:
		if b&0x0C != 0 {
			return 0, r.fail(ErrReservedBits, KindFileEnd, "first byte "+hexByte(b))
		}
		return 1 + int(b&3), nil
	}
	return 0, r.fail(ErrUnknownPacket, KindNone, "first byte "+hexByte(b))
}

var singleKind = [4]Kind{KindStreamEnd, KindAbort, KindHeartbeat, KindGoAway}

func hexByte(b byte) string {
	const digits = "0123456789abcdef"
	return "0x" + string([]byte{digits[b>>4], digits[b&15]})
}

// Next consumes up to len(p) bytes from the head of p and returns how many
// it consumed and at most one event. The caller advances its input by n and
// calls again with the rest (and later with more bytes): keep calling while
// p has bytes. ev == nil with n == len(p) means that more bytes are needed;
// ev == nil with n < len(p) happens after a packet that yields no event
// (a Message/Response packet whose content continues in a Continue packet,
// a Continue that does not complete it, a zero-size Message). Every call
// with a non-empty p consumes at least one byte, and every event consumes at
// least one byte. The Reader keeps no reference to p after returning (split
// content and partial packet headers are copied). After an error (always a
// *ProtocolError), every later call returns the same error.
//
// The event and the slices in it (Payload, Action, file names) are valid
// until the next call; Payload, and Action and names of content that arrived
// whole, point into p.
func (r *Reader) Next(p []byte) (n int, ev *Event, err error) {
	// Fast paths for whole small packets between packets: Heartbeat, Fast
	// Reply and a Message/Response with no files that fits in p.
	if r.state == rsPacket && r.hlen == 0 && len(p) > 0 {
		b := p[0]
		switch b >> 4 {
		case nibHeartbeat:
			if b == ByteHeartbeat {
				// (newEvent, inlined by hand)
				ev := &r.ev
				if hasFields[ev.Kind] {
					clearFields(ev)
				}
				ev.Kind = KindHeartbeat
				ev.Offset = r.off
				ev.Channel = r.cur
				ev.First = b
				r.pktOff = r.off
				r.pktFirst = b
				r.off++
				return 1, ev, nil
			}
		case nibFastLow, nibFast:
			n := 17
			code := int(b & 15)
			if b>>4 == nibFast {
				if len(p) < 18 {
					break
				}
				n = 18
				code = code<<8 | int(p[1])
			}
			if len(p) >= n {
				ev := &r.ev
				if hasFields[ev.Kind] && ev.Kind != KindFastReply {
					clearFields(ev)
				}
				ev.Kind = KindFastReply
				ev.Offset = r.off
				ev.Channel = r.cur
				ev.First = b
				ev.Complete = false
				ev.Code = code
				ev.ID = UUID(p[n-16 : n])
				r.pktOff = r.off
				r.pktFirst = b
				r.off += int64(n)
				return n, ev, nil
			}
		case nibMessage, nibResponse:
			if n, ev := r.fastContent(p); ev != nil {
				return n, ev, nil
			}
		}
	}
	return r.next(p)
}

// fastContent decodes a whole Message/Response without files from p, with
// its channel idle. It returns a nil event when the packet needs the general
// path (split, files, limits, errors).
func (r *Reader) fastContent(p []byte) (int, *Event) {
	if len(p) < 2 {
		return 0, nil
	}
	b := p[0]
	var c []byte
	var end int
	if b&0x0C == 0 {
		// One-byte size: the common case.
		end = 2 + int(p[1])
		if end > len(p) {
			return 0, nil
		}
		c = p[2:end]
	} else {
		w := sizeWidth(b)
		if len(p) < 1+w {
			return 0, nil
		}
		size := int(leUint(p[1 : 1+w]))
		end = 1 + w + size
		if size < 0 || end > len(p) {
			return 0, nil
		}
		c = p[1+w : end]
	}
	// c[0:18] holds flags, UUID and (Message) the first action size byte.
	if len(c) < 18 {
		return 0, nil
	}
	flags := c[0]
	if flags&0x30 != 0 {
		return 0, nil
	}
	if cs := r.cs; cs != nil && (cs.busy || cs.content) {
		return 0, nil
	}
	dw := dataSizeWidth[flags>>6]
	var action []byte
	kind := KindMessage
	if b>>4 == nibMessage {
		pos, actLen := 18, int(c[17])
		if flags&2 != 0 {
			if len(c) < 19 {
				return 0, nil
			}
			actLen |= int(c[18]) << 8
			pos = 19
		}
		if pos+actLen+dw != len(c) || actLen > r.maxAction {
			return 0, nil
		}
		action = c[pos : pos+actLen : pos+actLen]
		for _, ch := range action {
			if ch >= 0x80 {
				if !utf8.Valid(action) {
					return 0, nil
				}
				break
			}
		}
	} else {
		if 33+dw != len(c) {
			return 0, nil
		}
		kind = KindResponse
	}
	var dataSize uint64
	if dw > 0 {
		dataSize = leUint(c[len(c)-dw:])
	}
	r.pktOff = r.off
	r.pktFirst = b
	ev := &r.ev
	switch ev.Kind {
	case KindNone, KindHeartbeat, KindGoAway, KindSwitchChannel, KindStreamEnd, KindMessage, KindResponse:
		// Nothing to clear beyond the fields set below.
		ev.Kind = kind
		ev.Offset = r.pktOff
		ev.Channel = r.cur
		ev.First = b
		ev.Files = ev.Files[:0]
		ev.FilesCount = 0
		ev.TotalFilesSize = 0
	default:
		ev = r.newEvent(kind)
	}
	if kind == KindResponse {
		ev.ParentID = UUID(c[1:17])
		ev.ID = UUID(c[17:33])
	} else {
		ev.ParentID = UUID{}
		ev.ID = UUID(c[1:17])
	}
	ev.Action = action
	ev.Expects = b&1 != 0
	ev.HasStream = b&2 != 0
	ev.ContentFlags = flags
	ev.DataSize = dataSize
	ev.PacketSize = len(c)
	ev.ContentPackets = 1
	ev.Complete = dataSize == 0 && !ev.HasStream
	if !ev.Complete {
		cs := r.chanFor()
		cs.busy = true
		cs.resp = kind == KindResponse
		cs.first = b
		cs.offset = r.pktOff
		cs.pktSize = len(c)
		cs.packets = 1
		cs.dataLeft = dataSize
		cs.stream = ev.HasStream
		cs.files = cs.files[:0]
		cs.open = 0
		r.owe(cs)
	}
	r.off += int64(end)
	return end, ev
}

// next is the general path of Next.
func (r *Reader) next(p []byte) (n int, ev *Event, err error) {
	if r.err != nil {
		return 0, nil, r.err
	}
	if len(p) == 0 {
		return 0, nil, nil
	}
	switch r.state {
	case rsContent:
		n, ev, err = r.contentBody(p)
	case rsPayload:
		n, ev = r.payloadBody(p)
	default:
		var h []byte
		if r.hlen == 0 {
			r.pktOff = r.off
			hn, err := r.headerLen(p[0])
			if err != nil {
				return 0, nil, err
			}
			if hn > len(p) {
				r.hneed = hn
				r.hlen = copy(r.hdr[:], p)
				r.off += int64(len(p))
				return len(p), nil, nil
			}
			h = p[:hn]
			n = hn
		} else {
			n = copy(r.hdr[r.hlen:r.hneed], p)
			r.hlen += n
			if r.hlen < r.hneed {
				r.off += int64(n)
				return n, nil, nil
			}
			h = r.hdr[:r.hneed]
			r.hlen = 0
		}
		ev, err = r.packet(h)
		if err != nil {
			return 0, nil, err
		}
		if ev == nil && n < len(p) {
			var m int
			switch r.state {
			case rsContent:
				m, ev, err = r.contentBody(p[n:])
				if err != nil {
					return 0, nil, err
				}
			case rsPayload:
				m, ev = r.payloadBody(p[n:])
			}
			n += m
		}
	}
	if err != nil {
		return 0, nil, err
	}
	r.off += int64(n)
	return n, ev, nil
}

// newEvent resets the event for a packet of kind. Only the fields the
// previous event's kind may have set are cleared: zeroing the whole struct
// (with its pointer fields) costs more than decoding a small packet.
func (r *Reader) newEvent(kind Kind) *Event {
	ev := &r.ev
	if hasFields[ev.Kind] {
		clearFields(ev)
	}
	ev.Kind = kind
	ev.Offset = r.pktOff
	ev.Channel = r.cur
	ev.First = r.pktFirst
	return ev
}

// hasFields tells the kinds whose events may set fields beyond Kind,
// Offset, Channel and First (Complete included).
var hasFields = [256]bool{
	KindConnHeader: true, KindMessage: true, KindResponse: true, KindContinue: true, KindFastReply: true,
	KindAbort: true, KindData: true, KindStream: true, KindFile: true, KindFileEnd: true, KindStreamEnd: true,
}

// clearFields zeroes the kind-specific fields of ev.
func clearFields(ev *Event) {
	ev.Complete = false
	switch ev.Kind {
	case KindStreamEnd:
	case KindMessage, KindResponse:
		ev.ID = UUID{}
		ev.ParentID = UUID{}
		ev.Action = nil
		ev.Expects = false
		ev.HasStream = false
		ev.ContentFlags = 0
		ev.DataSize = 0
		ev.FilesCount = 0
		ev.TotalFilesSize = 0
		ev.Files = ev.Files[:0]
		ev.ContentPackets = 0
		ev.PacketSize = 0
	case KindFastReply:
		ev.ID = UUID{}
		ev.Code = 0
	case KindConnHeader:
		ev.Channels = 0
	case KindContinue:
		ev.PacketSize = 0
	case KindFileEnd:
		ev.Index = 0
	case KindAbort:
		ev.Aborted = false
	default: // payload kinds
		ev.Index = 0
		ev.PacketSize = 0
		ev.Payload = nil
		ev.PieceOffset = 0
		ev.Last = false
		ev.Remaining = 0
	}
}

// chanFor returns the state of the current channel, allocating it.
func (r *Reader) chanFor() *chanState {
	if r.cs != nil {
		return r.cs
	}
	if r.cur >= len(r.chans) {
		n := max(r.cur+1, 2*len(r.chans))
		n = min(max(n, 4), r.maxCh)
		chans := make([]*chanState, n)
		copy(chans, r.chans)
		r.chans = chans
	}
	cs := &chanState{}
	r.chans[r.cur] = cs
	r.cs = cs
	return cs
}

// packet handles a complete packet header h.
func (r *Reader) packet(h []byte) (*Event, error) {
	b := h[0]
	r.pktFirst = b
	if r.state == rsHeader {
		ev := r.newEvent(KindConnHeader)
		switch b & 3 {
		case 0:
			ev.Channels = 1
		case 1:
			// Node.js writes a count of 256 as one zero byte.
			ev.Channels = int(h[1])
			if ev.Channels == 0 {
				ev.Channels = 256
			}
		case 2:
			ev.Channels = int(h[1]) | int(h[2])<<8
			if ev.Channels == 0 || ev.Channels > MaxChannels {
				return nil, r.fail(ErrInvalidHeader, KindConnHeader, "channel count "+strconv.Itoa(ev.Channels))
			}
		case 3:
			ev.Channels = MaxChannels
		}
		r.state = rsPacket
		return ev, nil
	}
	cs := r.cs
	nib := b >> 4
	if cs != nil && cs.content && nib != nibContinue && nib != nibSwitchLow && nib != nibSwitch &&
		nib != nibFastLow && nib != nibFast && nib != nibHeartbeat && nib != nibGoAway && nib != nibAbort {
		return nil, r.fail(ErrUnexpected, nibKind[nib], "content on this channel awaits Continue")
	}
	if nib == nibMessage || nib == nibResponse || nib == nibContinue || nib == nibStream || nib == nibData || nib == nibFile {
		// Packet sizes are ints; only a 32-bit platform can overflow.
		if leUint(h[1:1+sizeWidth(b)]) > math.MaxInt {
			return nil, r.fail(ErrLimit, nibKind[nib], "packet size above this platform's int")
		}
	}
	switch nib {
	case nibSwitchLow, nibSwitch:
		ch := int(b & 15)
		if nib == nibSwitch {
			ch = ch<<8 | int(h[1])
		}
		if ch >= r.maxCh {
			return nil, r.fail(ErrChannelRange, KindSwitchChannel, "channel "+strconv.Itoa(ch)+" at or above "+strconv.Itoa(r.maxCh))
		}
		r.cur = ch
		r.cs = nil
		if ch < len(r.chans) {
			r.cs = r.chans[ch]
		}
		return r.newEvent(KindSwitchChannel), nil
	case nibFastLow, nibFast:
		ev := r.newEvent(KindFastReply)
		if nib == nibFastLow {
			ev.Code = int(b & 15)
			ev.ID = UUID(h[1:17])
		} else {
			ev.Code = int(b&15)<<8 | int(h[1])
			ev.ID = UUID(h[2:18])
		}
		return ev, nil
	case nibHeartbeat:
		return r.newEvent(KindHeartbeat), nil
	case nibGoAway:
		return r.newEvent(KindGoAway), nil
	case nibAbort:
		ev := r.newEvent(KindAbort)
		if cs != nil && cs.busy {
			ev.Aborted = true
			r.release(cs)
		}
		return ev, nil
	case nibMessage, nibResponse:
		kind := KindMessage
		if nib == nibResponse {
			kind = KindResponse
		}
		if cs == nil {
			cs = r.chanFor()
		}
		if cs.busy {
			return nil, r.fail(ErrUnexpected, kind, "channel busy with a message in progress")
		}
		size := int(leUint(h[1:]))
		cs.busy = true
		cs.content = true
		cs.resp = nib == nibResponse
		cs.first = b
		cs.offset = r.pktOff
		cs.pktSize = size
		cs.packets = 1
		cs.cp.reset(cs.resp)
		r.waiting++
		r.owe(cs)
		r.pktKind = kind
		r.pktSize = size
		r.pktLeft = size
		r.state = rsContent
		if size == 0 {
			r.state = rsPacket
		}
		return nil, nil
	case nibContinue:
		if cs == nil || !cs.content {
			return nil, r.fail(ErrUnexpected, KindContinue, "no content in progress")
		}
		size := int(leUint(h[1:]))
		cs.packets++
		r.pktKind = KindContinue
		r.pktSize = size
		r.pktLeft = size
		r.state = rsContent
		if size == 0 {
			r.state = rsPacket
		}
		if r.contEvents {
			ev := r.newEvent(KindContinue)
			ev.PacketSize = size
			return ev, nil
		}
		return nil, nil
	case nibData:
		size := int(leUint(h[1:]))
		if cs == nil || !cs.busy || cs.dataLeft == 0 {
			return nil, r.fail(ErrUnexpected, KindData, "no data expected")
		}
		if uint64(size) > cs.dataLeft {
			return nil, r.fail(ErrUnexpected, KindData, "data packet of "+strconv.Itoa(size)+" bytes, "+strconv.FormatUint(cs.dataLeft, 10)+" expected")
		}
		cs.dataLeft -= uint64(size)
		r.owe(cs)
		return r.startPayload(KindData, size, 0)
	case nibStream:
		size := int(leUint(h[1:]))
		if cs == nil || !cs.stream {
			return nil, r.fail(ErrUnexpected, KindStream, "no stream open")
		}
		return r.startPayload(KindStream, size, 0)
	case nibFile:
		w := sizeWidth(b)
		size := int(leUint(h[1 : 1+w]))
		index := int(leUint(h[1+w:]))
		if cs == nil || !cs.busy || cs.content || index >= len(cs.files) {
			return nil, r.fail(ErrUnexpected, KindFile, "file index "+strconv.Itoa(index)+" not declared")
		}
		f := &cs.files[index]
		if f.ended {
			return nil, r.fail(ErrUnexpected, KindFile, "file "+strconv.Itoa(index)+" already ended")
		}
		if uint64(size) > f.left {
			return nil, r.fail(ErrUnexpected, KindFile, "file packet of "+strconv.Itoa(size)+" bytes, "+strconv.FormatUint(f.left, 10)+" expected")
		}
		f.left -= uint64(size)
		return r.startPayload(KindFile, size, index)
	case nibFileEnd:
		index := int(leUint(h[1:]))
		if cs == nil || !cs.busy || cs.content || index >= len(cs.files) {
			return nil, r.fail(ErrUnexpected, KindFileEnd, "file index "+strconv.Itoa(index)+" not declared")
		}
		f := &cs.files[index]
		if f.ended {
			return nil, r.fail(ErrUnexpected, KindFileEnd, "file "+strconv.Itoa(index)+" already ended")
		}
		if f.left != 0 {
			return nil, r.fail(ErrUnexpected, KindFileEnd, "file "+strconv.Itoa(index)+" ended with "+strconv.FormatUint(f.left, 10)+" bytes missing")
		}
		f.ended = true
		cs.open--
		r.owe(cs)
		ev := r.newEvent(KindFileEnd)
		ev.Index = index
		r.checkDone(cs, ev)
		return ev, nil
	case nibStreamEnd:
		if cs == nil || !cs.stream {
			return nil, r.fail(ErrUnexpected, KindStreamEnd, "no stream open")
		}
		cs.stream = false
		ev := r.newEvent(KindStreamEnd)
		r.checkDone(cs, ev)
		return ev, nil
	}
	// headerLen rejected nibble 15 already.
	return nil, r.fail(ErrUnknownPacket, KindNone, "first byte "+hexByte(b))
}

var nibKind = [16]Kind{KindSwitchChannel, KindSwitchChannel, KindMessage, KindFastReply, KindFastReply, KindResponse,
	KindContinue, KindStream, KindStreamEnd, KindAbort, KindHeartbeat, KindGoAway, KindFile, KindFileEnd, KindData, KindNone}

// startPayload begins a payload packet; a zero-size one is reported at once.
func (r *Reader) startPayload(kind Kind, size, index int) (*Event, error) {
	r.pktKind = kind
	r.pktSize = size
	r.pktLeft = size
	r.pktIndex = index
	if size > 0 {
		r.state = rsPayload
		return nil, nil
	}
	ev := r.newEvent(kind)
	ev.Index = index
	ev.Last = true
	ev.Payload = r.hdr[:0]
	r.fillRemaining(ev)
	r.checkDone(r.cs, ev)
	return ev, nil
}

func (r *Reader) fillRemaining(ev *Event) {
	switch ev.Kind {
	case KindData:
		ev.Remaining = r.cs.dataLeft + uint64(r.pktLeft)
	case KindFile:
		ev.Remaining = r.cs.files[r.pktIndex].left + uint64(r.pktLeft)
	}
}

// checkDone marks ev Complete and releases the channel when its message has
// everything.
func (r *Reader) checkDone(cs *chanState, ev *Event) {
	if cs.finished() {
		ev.Complete = true
		r.release(cs)
	}
}

// What an idle channel keeps for reuse: with up to 4096 channels, larger
// buffers kept per channel would add up to far more than MaxContentBuffer.
const (
	keepBuf   = 1 << 10
	keepFiles = 16
)

// dropContent forgets the buffered content of cs (its bytes stay valid for
// the current event), keeping a small buffer for reuse.
func (r *Reader) dropContent(cs *chanState) {
	r.buffered -= len(cs.buf)
	if cap(cs.buf) > keepBuf {
		cs.buf = nil
	} else {
		cs.buf = cs.buf[:0]
	}
}

// release makes cs idle (message complete or aborted).
func (r *Reader) release(cs *chanState) {
	if cs.content {
		r.waiting--
	}
	r.dropContent(cs)
	if cap(cs.files) > keepFiles {
		cs.files = nil
	}
	if cap(cs.cp.files) > keepFiles {
		cs.cp.files = nil
	}
	cs.busy = false
	cs.content = false
	cs.dataLeft = 0
	cs.open = 0
	cs.stream = false
	r.owe(cs)
}

// owe updates r.owing after a change of cs: a channel owes bytes while its
// Message/Response has content, data or files still to come (a stream does
// not count: its pace is its sender's).
func (r *Reader) owe(cs *chanState) {
	owes := cs.busy && (cs.content || cs.dataLeft > 0 || cs.open > 0)
	if owes != cs.owes {
		cs.owes = owes
		if owes {
			r.owing++
		} else {
			r.owing--
		}
	}
}

// Owed reports whether the input stopped where the peer owes more bytes:
// inside a packet (a partial header or payload, Stream packets included),
// or with a Message/Response in progress whose content, data or files have
// not all arrived. A message waiting only for its stream is not owed. A
// connection uses it to tell a peer that trickles a message (slowloris)
// from one that is merely idle or streaming slowly.
func (r *Reader) Owed() bool {
	return r.hlen > 0 || r.state == rsContent || r.state == rsPayload || r.owing > 0
}

// payloadBody hands out payload bytes of the packet in progress.
func (r *Reader) payloadBody(p []byte) (int, *Event) {
	take := min(r.pktLeft, len(p))
	ev := r.newEvent(r.pktKind)
	ev.Offset = r.pktOff
	ev.Index = r.pktIndex
	ev.PacketSize = r.pktSize
	ev.PieceOffset = r.pktSize - r.pktLeft
	ev.Payload = p[:take:take]
	r.pktLeft -= take
	r.fillRemaining(ev)
	if r.pktLeft == 0 {
		ev.Last = true
		r.state = rsPacket
		r.checkDone(r.cs, ev)
	}
	return take, ev
}

// contentBody takes content bytes of the Message/Response/Continue packet in
// progress.
func (r *Reader) contentBody(p []byte) (int, *Event, error) {
	cs := r.cs
	take := min(r.pktLeft, len(p))
	var b []byte
	if len(cs.buf) == 0 && cs.cp.pos == 0 && take == r.pktLeft {
		// Hot path: the whole packet is here; parse in place.
		b = p[:take]
	} else {
		if r.buffered+take > r.maxBuf {
			return 0, nil, r.fail(ErrLimit, r.pktKind, "split content above the buffer limit "+strconv.Itoa(r.maxBuf))
		}
		cs.buf = append(cs.buf, p[:take]...)
		r.buffered += take
		b = cs.buf
	}
	r.pktLeft -= take
	if r.pktLeft == 0 {
		r.state = rsPacket
	}
	done, e := cs.cp.feed(b, r)
	if e != nil {
		return 0, nil, r.fail(e.class, r.pktKind, e.detail)
	}
	if !done {
		if len(cs.buf) == 0 && take > 0 {
			// Content continues in a later packet: keep these bytes.
			if r.buffered+take > r.maxBuf {
				return 0, nil, r.fail(ErrLimit, r.pktKind, "split content above the buffer limit "+strconv.Itoa(r.maxBuf))
			}
			cs.buf = append(cs.buf, b...)
			r.buffered += take
		}
		return take, nil, nil
	}
	if cs.cp.pos != len(b) || r.pktLeft != 0 {
		return 0, nil, r.fail(ErrMalformed, r.pktKind, "packet longer than its content ("+strconv.Itoa(cs.cp.pos)+" bytes)")
	}
	return take, r.contentEvent(cs, b), nil
}

// contentEvent reports complete content b and moves the channel to its
// payload phase.
func (r *Reader) contentEvent(cs *chanState, b []byte) *Event {
	cp := &cs.cp
	kind := KindMessage
	if cs.resp {
		kind = KindResponse
	}
	ev := r.newEvent(kind)
	ev.Offset = cs.offset
	ev.First = cs.first
	ev.PacketSize = cs.pktSize
	ev.ContentPackets = cs.packets
	ev.ID = cp.id
	ev.ParentID = cp.parent
	ev.Expects = cs.first&1 != 0
	ev.HasStream = cs.first&2 != 0
	ev.ContentFlags = cp.flags
	ev.DataSize = cp.dataSize
	ev.FilesCount = cp.count
	ev.TotalFilesSize = cp.total
	if !cs.resp {
		ev.Action = b[cp.actOff : cp.actOff+cp.actLen : cp.actOff+cp.actLen]
	}
	cs.content = false
	r.waiting--
	cs.dataLeft = cp.dataSize
	cs.stream = ev.HasStream
	cs.files = cs.files[:0]
	for _, f := range cp.files {
		ev.Files = append(ev.Files, FileInfo{Name: b[f.off : f.off+f.n : f.off+f.n], Size: f.size})
		cs.files = append(cs.files, fileState{left: f.size})
	}
	cs.open = len(cp.files)
	r.owe(cs)
	// The buffered bytes stay valid for this event (until the next call).
	r.dropContent(cs)
	if cs.finished() {
		ev.Complete = true
		r.release(cs)
	}
	return ev
}

// Finish reports whether the input may end here: it returns a *ProtocolError
// of class ErrTruncated when the stream ended inside a packet or inside
// Message/Response content that awaits Continue (or inside the connection
// header), and the sticky error if Next failed. Messages whose payload or
// stream did not complete are not an error here; see Busy.
func (r *Reader) Finish() error {
	if r.err != nil {
		return r.err
	}
	switch {
	case r.hlen > 0:
		return r.truncated("inside a packet header")
	case r.state == rsContent || r.state == rsPayload:
		return r.truncated("inside a " + r.pktKind.String() + " packet")
	case r.waiting > 0:
		for ch, cs := range r.chans {
			if cs != nil && cs.content {
				r.pktOff = cs.offset
				r.cur = ch
				return r.fail(ErrTruncated, kindOf(cs), "content incomplete")
			}
		}
	}
	return nil
}

func kindOf(cs *chanState) Kind {
	if cs.resp {
		return KindResponse
	}
	return KindMessage
}

func (r *Reader) truncated(detail string) error {
	kind := r.pktKind
	if r.hlen > 0 {
		kind = nibKind[r.hdr[0]>>4]
		if r.state == rsHeader {
			kind = KindConnHeader
		}
	}
	return r.fail(ErrTruncated, kind, detail)
}

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// Channel returns the current channel (the last switch's target, 0 at first).
func (r *Reader) Channel() int { return r.cur }

// Busy reports whether a Message/Response is in progress on channel ch.
func (r *Reader) Busy(ch int) bool {
	return ch >= 0 && ch < len(r.chans) && r.chans[ch] != nil && r.chans[ch].busy
}

// Buffered returns the bytes the Reader holds copied: split content over
// all channels, plus a partial packet header. It never exceeds
// MaxContentBuffer plus 24.
func (r *Reader) Buffered() int { return r.buffered + r.hlen }
