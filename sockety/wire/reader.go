package wire

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

// Reader is an incremental, resumable, zero-copy parser of one direction of
// a Sockety connection. It is not safe for concurrent use.
type Reader struct {
	opts ReaderOptions
	err  error
	ev   Event
	off  int64
}

// NewReader returns a Reader with opts (limits clamped to the protocol's).
func NewReader(opts ReaderOptions) *Reader {
	r := &Reader{}
	r.opts = opts
	return r
}

// Next consumes up to len(p) bytes from the head of p and returns how many
// it consumed and at most one event. The caller advances its input by n and
// calls again with the rest (and later with more bytes). ev == nil with
// n == len(p) means that more bytes are needed. After an error (always a
// *ProtocolError), every later call returns the same error.
//
// The event and the slices in it (Payload, Action, file names) are valid
// until the next call; Payload, and Action and names of content that arrived
// whole, point into p.
func (r *Reader) Next(p []byte) (n int, ev *Event, err error) {
	return 0, nil, errNotImplemented
}

// Finish reports whether the input may end here: it returns a *ProtocolError
// of class ErrTruncated when the stream ended inside a packet or inside
// Message/Response content that awaits Continue (or before the connection
// header is complete, when one is expected and any byte of it arrived), and
// the sticky error if Next failed. Messages whose payload or stream did not
// complete are not an error here; see Busy.
func (r *Reader) Finish() error { return errNotImplemented }

// Offset returns the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// Channel returns the current channel (the last switch's target, 0 at first).
func (r *Reader) Channel() int { return 0 }

// Busy reports whether a Message/Response is in progress on channel ch.
func (r *Reader) Busy(ch int) bool { return false }

// Buffered returns the bytes the Reader holds copied: split content over
// all channels, plus a partial packet header. It never exceeds
// MaxContentBuffer plus a few dozen bytes.
func (r *Reader) Buffered() int { return 0 }

var errNotImplemented = &ProtocolError{Class: ErrUnexpected, Detail: "reader not implemented yet"}
