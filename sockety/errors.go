package sockety

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned by operations on a connection that was closed
	// locally.
	ErrClosed = errors.New("sockety: connection closed")
	// ErrGoingAway is returned when starting a message on a connection whose
	// peer or owner announced Go Away.
	ErrGoingAway = errors.New("sockety: connection is going away")
	// ErrAborted is returned by readers of a payload whose sender aborted
	// the message or response.
	ErrAborted = errors.New("sockety: message aborted by the sender")
	// ErrIdleTimeout ends a connection on which nothing was received for
	// Options.IdleTimeout.
	ErrIdleTimeout = errors.New("sockety: idle timeout")
	// ErrHeaderTimeout ends a connection whose peer did not send its
	// connection header in time.
	ErrHeaderTimeout = errors.New("sockety: connection header timeout")
	// ErrSlowPeer ends a connection whose peer, in the middle of a packet
	// or a message, sent more slowly than Options.MinReceiveRate.
	ErrSlowPeer = errors.New("sockety: peer sends a message more slowly than the minimum receive rate")
	// ErrPeerClosed ends a connection the peer closed.
	ErrPeerClosed = errors.New("sockety: connection closed by the peer")
	// ErrSizeMismatch is returned when an outgoing payload reader yields more
	// or fewer bytes than its declared size.
	ErrSizeMismatch = errors.New("sockety: payload size does not match its declared size")
	// ErrInvalid is returned for an outgoing message or response that cannot
	// be encoded (e.g. a code above 4095, an action longer than 65535 bytes).
	ErrInvalid = errors.New("sockety: invalid message")
	// ErrHandlerDone is returned by payload readers used after the handler
	// that received the message returned.
	ErrHandlerDone = errors.New("sockety: message handler already returned")
	// ErrLimit ends a connection whose peer exceeded one of the limits of
	// Options (wrapped in a *ProtocolError).
	ErrLimit = errors.New("sockety: limit exceeded")
	// ErrNoResponse is returned by Request.Response for a request that
	// expects no response.
	ErrNoResponse = errors.New("sockety: no response expected")
)

// ProtocolError is how a connection ends when the peer violates the
// protocol. Err wraps the codec's typed error (see package wire), so
// errors.Is(err, wire.ErrMalformed) and friends work.
type ProtocolError struct {
	Err error
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("sockety: protocol violation by the peer: %v", e.Err)
}

// Unwrap returns the codec error.
func (e *ProtocolError) Unwrap() error { return e.Err }
