package decode

import (
	"errors"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// ErrorClasses are the names of the error classes of the vector files and
// of the decode tool's error line, one per sockety/wire sentinel error.
var ErrorClasses = []string{
	"invalid-header",
	"unknown-packet",
	"reserved-bits",
	"channel-range",
	"malformed",
	"unexpected-packet",
	"limit",
	"truncated",
	"invalid-utf8",
}

var classErrors = map[string]error{
	"invalid-header":    wire.ErrInvalidHeader,
	"unknown-packet":    wire.ErrUnknownPacket,
	"reserved-bits":     wire.ErrReservedBits,
	"channel-range":     wire.ErrChannelRange,
	"malformed":         wire.ErrMalformed,
	"unexpected-packet": wire.ErrUnexpected,
	"limit":             wire.ErrLimit,
	"truncated":         wire.ErrTruncated,
	"invalid-utf8":      wire.ErrInvalidUTF8,
}

// ClassError returns the sockety/wire sentinel error of a class name, or
// nil for an unknown name.
func ClassError(name string) error { return classErrors[name] }

// ClassName returns the class name of err ("" when err is of no class).
func ClassName(err error) string {
	for _, name := range ErrorClasses {
		if errors.Is(err, classErrors[name]) {
			return name
		}
	}
	return ""
}
