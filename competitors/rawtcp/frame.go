package rawtcp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sockety-harness/sockety-harness/scenarios"
)

// The frame: kind (1 byte), id (4 bytes, big endian), payload length (4
// bytes, big endian), payload. Requests that expect a reply carry a non-zero
// id, which the reply repeats; nothing else is multiplexed.
const hdrLen = 9

// Frame kinds.
const (
	kindHeartbeat byte = iota + 1 // client -> server, no reply, no payload
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

func putHeader(h *[hdrLen]byte, kind byte, id uint32, n int) {
	h[0] = kind
	binary.BigEndian.PutUint32(h[1:5], id)
	binary.BigEndian.PutUint32(h[5:9], uint32(n))
}

// parseHeader decodes a header and checks its length bound.
func parseHeader(h []byte) (kind byte, id uint32, n int, err error) {
	kind = h[0]
	id = binary.BigEndian.Uint32(h[1:5])
	l := binary.BigEndian.Uint32(h[5:9])
	if kind < kindHeartbeat || kind > kindEchoReply {
		return 0, 0, 0, fmt.Errorf("%w: unknown kind %d", ErrFrame, kind)
	}
	if uint64(l) > maxLen {
		return 0, 0, 0, fmt.Errorf("%w: payload of %d bytes exceeds %d", ErrFrame, l, maxLen)
	}
	return kind, id, int(l), nil
}
