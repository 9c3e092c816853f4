package wire

import (
	"errors"
	"strconv"
)

// Error classes. Every error the Reader returns is a *ProtocolError whose
// Class is one of these; writer errors wrap ErrValueRange or ErrInvalidUTF8.
// Check them with errors.Is.
var (
	// ErrInvalidHeader: the connection header's control byte is not
	// 0b111000AA, or its channel count is 0 or above 4096.
	ErrInvalidHeader = errors.New("invalid connection header")
	// ErrUnknownPacket: a packet whose type nibble is 15 (unused).
	ErrUnknownPacket = errors.New("unknown packet type")
	// ErrReservedBits: a packet's first byte, or a file header byte, has a
	// bit set that the specification defines as zero.
	ErrReservedBits = errors.New("reserved bits set")
	// ErrChannelRange: a Switch Channel to a channel at or above the number
	// of channels announced (ReaderOptions.MaxChannels).
	ErrChannelRange = errors.New("channel out of range")
	// ErrMalformed: Message/Response content that is inconsistent: bytes
	// beyond the end of the content structure inside a packet, a total files
	// size that differs from the sum of the file sizes.
	ErrMalformed = errors.New("malformed content")
	// ErrUnexpected: a packet the channel's state does not allow: a new
	// Message/Response on a busy channel, Continue with no content in
	// progress, any other packet on a channel whose content awaits Continue,
	// Data/File/Stream bytes beyond what was declared or on a channel with
	// nothing of the kind open, a File index beyond the file count, File End
	// twice or before the file's bytes are complete, Stream after Stream End.
	ErrUnexpected = errors.New("unexpected packet for the channel state")
	// ErrLimit: a value above one of the Reader's limits (ReaderOptions).
	ErrLimit = errors.New("limit exceeded")
	// ErrTruncated: the input ended inside a packet or inside content that
	// awaits Continue (Reader.Finish).
	ErrTruncated = errors.New("truncated input")
	// ErrInvalidUTF8: an action or file name that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	// ErrValueRange: (writer) a value that no width of its field can hold,
	// e.g. channel 4096, code 4096, an action longer than 65535 bytes.
	ErrValueRange = errors.New("value out of range")
)

// ProtocolError is the error the Reader returns for bad input. Once a Reader
// returned one, it returns the same error from every later call.
type ProtocolError struct {
	Class   error // one of the Err* classes above
	Offset  int64 // stream offset of the first byte of the offending packet
	Channel int   // channel the packet applied to
	Packet  Kind  // the offending packet's kind (KindNone when unknown)
	Detail  string
}

// Error describes the error, naming the byte offset and the channel.
func (e *ProtocolError) Error() string {
	s := "sockety/wire: " + e.Class.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	s += " (offset " + strconv.FormatInt(e.Offset, 10) + ", channel " + strconv.Itoa(e.Channel)
	if e.Packet != KindNone {
		s += ", packet " + e.Packet.String()
	}
	return s + ")"
}

// Unwrap returns the error class.
func (e *ProtocolError) Unwrap() error { return e.Class }
