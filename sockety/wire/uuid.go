package wire

import (
	"encoding/hex"
	"fmt"
)

// UUID is a message identifier: its 16 raw bytes, as on the wire.
type UUID [16]byte

// String formats u in the canonical 8-4-4-4-12 lower-case hexadecimal form.
func (u UUID) String() string {
	var b [36]byte
	u.appendText(b[:0])
	return string(b[:])
}

// AppendText appends the canonical form of u to b (encoding.TextAppender).
func (u UUID) AppendText(b []byte) ([]byte, error) { return u.appendText(b), nil }

// MarshalText returns the canonical form of u (encoding.TextMarshaler).
func (u UUID) MarshalText() ([]byte, error) { return u.appendText(make([]byte, 0, 36)), nil }

// UnmarshalText parses the canonical form (encoding.TextUnmarshaler).
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

func (u UUID) appendText(b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&15])
	}
	return b
}

// ParseUUID parses the canonical 8-4-4-4-12 hexadecimal form (either case),
// or 32 hexadecimal digits without dashes.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	var h [32]byte
	switch len(s) {
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return u, fmt.Errorf("wire: invalid UUID %q", s)
		}
		copy(h[0:8], s[0:8])
		copy(h[8:12], s[9:13])
		copy(h[12:16], s[14:18])
		copy(h[16:20], s[19:23])
		copy(h[20:32], s[24:36])
	case 32:
		copy(h[:], s)
	default:
		return u, fmt.Errorf("wire: invalid UUID %q", s)
	}
	if _, err := hex.Decode(u[:], h[:]); err != nil {
		return UUID{}, fmt.Errorf("wire: invalid UUID %q", s)
	}
	return u, nil
}
