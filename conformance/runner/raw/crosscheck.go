package raw

import (
	"fmt"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// WireCheck runs b (one direction, starting with the connection header) through the
// sockety/wire Reader, an implementation independent of this package's Assembler, with the
// given announced channel count. It returns the Reader's error, if any. The runner compares
// the two decoders' verdicts so a bug in either shows up as a disagreement.
func WireCheck(b []byte, channels int) error {
	r := wire.NewReader(wire.ReaderOptions{MaxChannels: channels, MaxFiles: 1 << 20})
	for len(b) > 0 {
		n, _, err := r.Next(b)
		if err != nil {
			return fmt.Errorf("sockety/wire reader: %w", err)
		}
		b = b[n:]
	}
	return nil
}

// Disagreement compares the Assembler's verdict on everything a peer wrote with the wire
// Reader's and describes a disagreement ("" when both accept or both reject).
func (c *Conn) Disagreement() string {
	c.mu.Lock()
	rec := c.received
	aerr := c.asm.Err
	ch := c.asm.Channels
	full := len(c.received) < maxReceived
	c.mu.Unlock()
	if !full {
		return ""
	}
	if ch == 0 {
		ch = MaxChannels
	}
	werr := WireCheck(rec, ch)
	switch {
	case aerr == nil && werr != nil:
		return fmt.Sprintf("runner accepted the peer's bytes but %v", werr)
	case aerr != nil && werr == nil:
		return fmt.Sprintf("runner rejected the peer's bytes (%v) but sockety/wire accepts them", aerr)
	}
	return ""
}
