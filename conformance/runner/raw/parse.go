package raw

import (
	"errors"
	"fmt"
)

// ErrShort means more bytes are needed.
var ErrShort = errors.New("need more bytes")

// MaxPacket bounds one sized packet the runner accepts from a peer; a larger declared size is a
// runner limit (reported as such), never an allocation.
const MaxPacket = 32 << 20

// Packet is one packet exactly as it appeared on the wire.
type Packet struct {
	Off   int    // byte offset in the direction's stream (header included)
	Raw   []byte // all bytes of the packet
	Type  byte   // high nibble
	First byte
	// SizeW is the width of the packet size field (sized packets), Size the declared size.
	SizeW int
	Size  uint64
	Body  []byte // content after the size field (and after the file index for File)
	// Num is the channel (switch), code (fast reply) or file index (File, File End).
	Num  int
	NumW int // width of the index for File/File End; 1 or 2 for the 12-bit/low forms
	ID   [16]byte
}

// IsSized reports whether the packet type carries a packet size.
func IsSized(t byte) bool {
	switch t {
	case TMessage, TResponse, TContinue, TStream, TFile, TData:
		return true
	}
	return false
}

// TypeName names a packet type nibble.
func TypeName(t byte) string {
	return [...]string{"SwitchChannel", "SwitchChannel12", "Message", "FastReply", "FastReply12", "Response",
		"Continue", "Stream", "StreamEnd", "Abort", "Heartbeat", "GoAway", "File", "FileEnd", "Data", "Unknown(15)"}[t&15]
}

func readUint(b []byte, w int) uint64 {
	var v uint64
	for i := 0; i < w; i++ {
		v |= uint64(b[i]) << (8 * uint(i))
	}
	return v
}

// ParseError is a protocol violation found in bytes a peer wrote.
type ParseError struct {
	Off int
	Msg string
}

// Error implements error.
func (e *ParseError) Error() string { return fmt.Sprintf("offset %d: %s", e.Off, e.Msg) }

// ParseHeader parses a connection header; it returns the channel count, the bytes used.
func ParseHeader(b []byte) (channels, n int, err error) {
	if len(b) < 1 {
		return 0, 0, ErrShort
	}
	c := b[0]
	if c&0xFC != 0xE0 {
		return 0, 0, &ParseError{0, fmt.Sprintf("invalid connection header control byte 0x%02x (want 0b111000AA)", c)}
	}
	switch c & 3 {
	case 0:
		return 1, 1, nil
	case 1:
		if len(b) < 2 {
			return 0, 0, ErrShort
		}
		if b[1] == 0 {
			return 0, 0, &ParseError{1, "connection header announces 0 channels"}
		}
		return int(b[1]), 2, nil
	case 2:
		if len(b) < 3 {
			return 0, 0, ErrShort
		}
		n := int(readUint(b[1:], 2))
		if n == 0 || n > MaxChannels {
			return 0, 0, &ParseError{1, fmt.Sprintf("connection header announces %d channels (1-4096 allowed)", n)}
		}
		return n, 3, nil
	}
	return MaxChannels, 1, nil
}

// ParsePacket parses one packet at the start of b; off is b's offset in the stream.
func ParsePacket(b []byte, off int) (Packet, int, error) {
	if len(b) == 0 {
		return Packet{}, 0, ErrShort
	}
	p := Packet{Off: off, First: b[0], Type: b[0] >> 4}
	need := func(n int) error {
		if len(b) < n {
			return ErrShort
		}
		return nil
	}
	switch p.Type {
	case TSwitchLow, TSwitch, TFastLow, TFast:
		// A channel or code in the low nibble (low forms) or in 12 bits
		// (one more byte); a fast reply then has the message UUID.
		numW := 1
		if p.Type == TSwitch || p.Type == TFast {
			numW = 2
		}
		n := numW
		if p.Type == TFastLow || p.Type == TFast {
			n += 16
		}
		if err := need(n); err != nil {
			return p, 0, err
		}
		p.Num, p.NumW = int(b[0]&15), numW
		if numW == 2 {
			p.Num = p.Num<<8 | int(b[1])
		}
		copy(p.ID[:], b[p.NumW:n])
		p.Raw = b[:n]
		return p, n, nil
	case TStreamEnd, TAbort, THeartbeat, TGoAway:
		if b[0]&15 != 0 {
			return p, 0, &ParseError{off, fmt.Sprintf("%s packet 0x%02x has non-zero low bits", TypeName(p.Type), b[0])}
		}
		p.Raw = b[:1]
		return p, 1, nil
	case TFileEnd:
		if b[0]&0x0C != 0 {
			return p, 0, &ParseError{off, fmt.Sprintf("FileEnd packet 0x%02x has non-zero bits 2-3", b[0])}
		}
		iw := int(b[0] & 3)
		if err := need(1 + iw); err != nil {
			return p, 0, err
		}
		p.Num, p.NumW = int(readUint(b[1:], iw)), iw
		p.Raw = b[:1+iw]
		return p, 1 + iw, nil
	case TUnused:
		return p, 0, &ParseError{off, fmt.Sprintf("unknown packet type 0x%02x", b[0])}
	}
	// Sized packets.
	p.SizeW = int(b[0]>>2&3) + 1
	if (p.Type == TContinue || p.Type == TStream || p.Type == TData) && b[0]&3 != 0 {
		return p, 0, &ParseError{off, fmt.Sprintf("%s packet 0x%02x has non-zero low bits", TypeName(p.Type), b[0])}
	}
	if err := need(1 + p.SizeW); err != nil {
		return p, 0, err
	}
	p.Size = readUint(b[1:], p.SizeW)
	if p.Size > MaxPacket {
		return p, 0, &ParseError{off, fmt.Sprintf("%s packet declares %d bytes, over the runner's %d-byte packet limit", TypeName(p.Type), p.Size, MaxPacket)}
	}
	h := 1 + p.SizeW
	if p.Type == TFile {
		p.NumW = int(b[0] & 3)
		if err := need(h + p.NumW); err != nil {
			return p, 0, err
		}
		p.Num = int(readUint(b[h:], p.NumW))
		h += p.NumW
	}
	total := h + int(p.Size)
	if err := need(total); err != nil {
		return p, 0, err
	}
	p.Body = b[h:total]
	p.Raw = b[:total]
	return p, total, nil
}

// MinSizeW is the smallest packet-size width for n.
func MinSizeW(n uint64) int { return UintWidth(n, 1, 2, 3, 4) }
