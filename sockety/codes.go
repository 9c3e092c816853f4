package sockety

import "strconv"

// Code is a fast reply code, 0-4095.
type Code uint16

// MaxCode is the largest fast reply code the protocol can carry.
const MaxCode Code = 4095

// Fast reply codes with a conventional meaning (the Node.js implementation's
// names). Any code up to MaxCode is valid on the wire.
const (
	Accept         Code = 0
	Reject         Code = 1
	NotImplemented Code = 2
	Unauthorized   Code = 3
	BadRequest     Code = 4
	InternalError  Code = 5
)

// String names the conventional codes and prints others as numbers.
func (c Code) String() string {
	switch c {
	case Accept:
		return "Accept"
	case Reject:
		return "Reject"
	case NotImplemented:
		return "NotImplemented"
	case Unauthorized:
		return "Unauthorized"
	case BadRequest:
		return "BadRequest"
	case InternalError:
		return "InternalError"
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}
