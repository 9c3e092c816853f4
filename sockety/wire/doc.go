// Package wire is a byte-exact codec of the Sockety protocol: append
// functions that write packets into a caller's buffer, and an incremental,
// resumable, zero-copy Reader that turns a byte stream into events.
//
// The package is pure: no goroutines, sockets or clocks. All numbers are
// little-endian; text is UTF-8; a UUID is its 16 raw bytes.
//
// # Writing
//
// Every Append function appends one packet to dst and returns the extended
// slice. Size fields use the smallest width that holds the value; a value
// that no width can hold is refused with an error wrapping ErrValueRange
// (never silently truncated). The append functions do not allocate beyond
// growing dst.
//
// Payload packets (Data, Stream, File) also have header-only forms
// (AppendDataHeader, AppendStreamHeader, AppendFileHeader) so that a
// connection can append the header and hand the payload to writev.
//
// Message and Response content can be written whole (AppendMessage,
// AppendResponse) or produced on its own (AppendMessageContent,
// AppendResponseContent) and sent split at arbitrary points with
// AppendSized and AppendContinue.
//
// # Reading
//
// A Reader is fed bytes with Next and yields at most one *Event per call.
// Payload bytes are handed out as slices of the input. Message and Response
// content that arrives whole in one input slice is decoded in place; only
// content split over several inputs or over Continue packets is buffered,
// per channel, bounded by ReaderOptions.MaxContentBuffer. Nothing is
// allocated from a size that the peer declares before the bytes arrive.
//
// The Reader tracks the state of every channel (content in progress, data
// remaining, files open, stream open) and rejects with a *ProtocolError
// whatever the state does not allow. Errors are classified by the sentinel
// errors ErrInvalidHeader, ErrUnknownPacket, ErrReservedBits,
// ErrChannelRange, ErrMalformed, ErrUnexpected, ErrLimit, ErrTruncated and
// ErrInvalidUTF8, checkable with errors.Is.
//
// Choices the specification leaves open:
//   - Payload packets (Data, File, Stream) may come in any order and
//     interleave; a File index must be below the declared count. A 0-byte
//     file needs only its File End.
//   - Data, File and Stream packets, and a new Message/Response, are
//     rejected (ErrUnexpected) on a channel whose content awaits Continue.
//     Switch Channel, Fast Reply, Heartbeat, Go Away and Abort are allowed
//     there: they are not part of the content.
//   - Abort on an idle channel is accepted and reported with Aborted=false.
//   - The total files size must equal the sum of the file sizes
//     (ErrMalformed otherwise); a data size field of 0 declares no data.
//   - A file header byte with any of its high four bits set is
//     ErrReservedBits.
//   - Sizes that lie: a Message/Response/Continue packet whose size ends
//     before the content is complete is fine (Continue must follow);
//     content bytes beyond the end of the content structure are
//     ErrMalformed; payload bytes beyond the declared data or file size are
//     ErrUnexpected.
//
// # Divergences from the Node.js implementation
//
// The reader accepts what the Node.js implementation sends, and the writer
// writes what the specification says:
//
//   - Connection header 0xE1 0x00: Node.js writes a channel count of exactly
//     256 as one zero byte after 0xE1. The Reader reads it as 256; the
//     writer writes 256 as 0xE2 0x00 0x01.
//   - File packets with a 4-byte size (SS=11): the specification and the
//     Node.js writer use 4 bytes, the Node.js reader reads 6. This package
//     reads and writes 4.
//   - Abort: the specification says 0x90, which this package reads and
//     writes; Node.js writes 0xB0 (Go Away) where it means Abort.
//   - Node.js checks only the high nibble of the connection control byte;
//     this Reader requires the high six bits to be 111000.
//   - Node.js never writes Continue packets; the Reader accepts content
//     split at any byte.
//   - The G bit (action size width) of a Response is ignored, as is bit 0
//     of every flags byte and file header byte ("not used yet").
package wire
