package sockety

import (
	"fmt"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// Thin adapters from the connection to the codec's appenders. Every value
// is validated before the writer lock is taken (see Conn.validate and
// headSize), so the appenders cannot fail here; should one fail anyway, dst
// is returned unchanged and nothing half-written reaches the wire.

// head describes the start packet of an outgoing message or response.
type head struct {
	response bool
	parent   UUID // response only
	id       UUID
	action   string // message only
	dataSize int64
	files    []wire.FileHeader
	stream   bool
	expect   bool
}

func (h *head) message() wire.MessageHeader {
	return wire.MessageHeader{ID: wire.UUID(h.id), Action: h.action, Expects: h.expect,
		HasStream: h.stream, DataSize: uint64(h.dataSize), Files: h.files}
}

func (h *head) responseHeader() wire.ResponseHeader {
	return wire.ResponseHeader{MessageID: wire.UUID(h.parent), ID: wire.UUID(h.id), Expects: h.expect,
		HasStream: h.stream, DataSize: uint64(h.dataSize), Files: h.files}
}

// appendHead appends the start packet of h; on error (an invalid action
// or file name) dst is returned unchanged with an error wrapping ErrInvalid.
func appendHead(dst []byte, h *head) ([]byte, error) {
	var out []byte
	var err error
	if h.response {
		r := h.responseHeader()
		out, err = wire.AppendResponse(dst, &r)
	} else {
		m := h.message()
		out, err = wire.AppendMessage(dst, &m)
	}
	if err != nil {
		return dst[:len(dst):len(dst)], fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return out, nil
}

func appendConnHeader(dst []byte, channels int) []byte {
	out, err := wire.AppendConnHeader(dst, channels)
	if err != nil {
		return dst
	}
	return out
}

func appendSwitch(dst []byte, ch int) []byte {
	out, err := wire.AppendSwitchChannel(dst, ch)
	if err != nil {
		return dst
	}
	return out
}

func appendFastReply(dst []byte, id UUID, code Code) []byte {
	out, err := wire.AppendFastReply(dst, wire.UUID(id), int(code))
	if err != nil {
		return dst
	}
	return out
}

const (
	pktStreamEnd = wire.ByteStreamEnd
	pktAbort     = wire.ByteAbort
	pktHeartbeat = wire.ByteHeartbeat
	pktGoAway    = wire.ByteGoAway
)

// Payload packet kinds for appendPayloadHead.
const (
	kindData   byte = 0xE0
	kindFile   byte = 0xC0
	kindStream byte = 0x70
)

// appendPayloadHead appends the header of a Data, Stream or File packet of
// n content bytes.
func appendPayloadHead(dst []byte, kind byte, index int, n int) []byte {
	var out []byte
	var err error
	switch kind {
	case kindData:
		out, err = wire.AppendDataHeader(dst, n)
	case kindStream:
		out, err = wire.AppendStreamHeader(dst, n)
	default:
		out, err = wire.AppendFileHeader(dst, index, n)
	}
	if err != nil {
		return dst
	}
	return out
}

func appendFileEnd(dst []byte, index int) []byte {
	out, err := wire.AppendFileEnd(dst, index)
	if err != nil {
		return dst
	}
	return out
}
