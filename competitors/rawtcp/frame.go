package rawtcp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Frames. Every frame starts with its kind (1 byte). A heartbeat is that
// byte alone: it has no id, no length and no payload, so it costs what the
// cheapest packet of any protocol costs (Sockety's heartbeat is 1 byte too).
// Every other kind is followed by an id (4 bytes, big endian) and a payload
// length (4 bytes, big endian), then the payload: a 9-byte header. Requests
// that expect a reply carry a non-zero id, which the reply repeats; nothing
// else is multiplexed.
const (
	hdrLen       = 9 // header of every kind but heartbeat
	heartbeatLen = 1 // a heartbeat frame: the kind byte
)

// Frame kinds.
const (
	kindHeartbeat byte = iota + 1 // client -> server, 1 byte, no reply
	kindOneWay                    // client -> server, no reply
	kindFast                      // client -> server, replied by kindCode
	kindRegular                   // client -> server, replied by kindResponse
	kindData                      // client -> server, payload, no reply
	kindEcho                      // client -> server, payload, replied by kindEchoReply with the payload
	kindCode                      // server -> client: 1 byte status code
	kindResponse                  // server -> client: empty response
	kindEchoReply                 // server -> client: the echoed payload
)

// codeAccept is the status code of a fast reply.
const codeAccept byte = 0

// maxLen bounds a declared payload length: a peer declaring more is a
// protocol error, never an allocation.
const maxLen = scenarios.MaxPayloadSize

// ErrFrame reports a malformed frame from the peer.
var ErrFrame = errors.New("rawtcp: malformed frame")

// headerLen returns the header length of a frame of the given kind
// (heartbeatLen or hdrLen), or ErrFrame for an unknown kind.
func headerLen(kind byte) (int, error) {
	switch {
	case kind == kindHeartbeat:
		return heartbeatLen, nil
	case kind > kindHeartbeat && kind <= kindEchoReply:
		return hdrLen, nil
	}
	return 0, fmt.Errorf("%w: unknown kind %d", ErrFrame, kind)
}

// appendHeader appends the header of a frame to dst. A heartbeat's header
// is its kind byte alone; id and n are ignored for it (they are 0).
func appendHeader(dst []byte, kind byte, id uint32, n int) []byte {
	if kind == kindHeartbeat {
		return append(dst, kind)
	}
	dst = append(dst, kind)
	dst = binary.BigEndian.AppendUint32(dst, id)
	return binary.BigEndian.AppendUint32(dst, uint32(n))
}

// parseHeader decodes the frame header at the start of b and returns its
// fields and its length. An unknown kind, a header cut short (b shorter
// than the header its kind needs) or a declared length above maxLen is an
// ErrFrame. A heartbeat has id 0 and length 0.
func parseHeader(b []byte) (kind byte, id uint32, n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, 0, fmt.Errorf("%w: empty header", ErrFrame)
	}
	kind = b[0]
	size, err = headerLen(kind)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if size == heartbeatLen {
		return kind, 0, 0, size, nil
	}
	if len(b) < size {
		return 0, 0, 0, 0, fmt.Errorf("%w: header of %d bytes, kind %d needs %d", ErrFrame, len(b), kind, size)
	}
	id = binary.BigEndian.Uint32(b[1:5])
	l := binary.BigEndian.Uint32(b[5:9])
	if uint64(l) > maxLen {
		return 0, 0, 0, 0, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrFrame, l, maxLen)
	}
	return kind, id, int(l), size, nil
}

// readHeader reads one frame header from r. The kind byte decides how many
// more bytes to wait for, so a heartbeat never waits for bytes that are not
// coming. A stream ending inside a header is io.ErrUnexpectedEOF.
func readHeader(r *bufio.Reader) (kind byte, id uint32, n int, err error) {
	b, err := r.Peek(1)
	if err != nil {
		return 0, 0, 0, err
	}
	size, err := headerLen(b[0])
	if err != nil {
		return 0, 0, 0, err
	}
	if size > 1 {
		if b, err = r.Peek(size); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, 0, 0, err
		}
	}
	kind, id, n, size, err = parseHeader(b)
	if err != nil {
		return 0, 0, 0, err
	}
	_, _ = r.Discard(size) // size bytes are buffered: Discard cannot fail
	return kind, id, n, nil
}
