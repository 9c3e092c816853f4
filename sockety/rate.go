package sockety

import (
	"net"
	"time"
)

// rateGuard enforces Options.MinReceiveRate on the read loop. While the
// peer owes bytes (wire.Reader.Owed), it adds up the bytes received and the
// time spent waiting in Read, and checks their ratio once per window; a
// read deadline at the window's end makes a peer that sends nothing at all
// fail too. Time the read loop spends elsewhere (handlers, backpressure)
// does not count against the peer.
type rateGuard struct {
	min    int64         // bytes per second; 0 disables
	window time.Duration // averaging period
	owed   bool
	waited time.Duration // time spent in Read in the current window
	bytes  int64         // bytes received in the current window
	start  time.Time     // when the current Read began (owed only)
}

func newRateGuard(o *Options) rateGuard {
	if o.MinReceiveRate <= 0 {
		return rateGuard{}
	}
	return rateGuard{min: int64(o.MinReceiveRate), window: o.ReceiveRateWindow}
}

// beforeRead arms the deadline of the current window before a Read.
func (g *rateGuard) beforeRead(nc net.Conn) {
	if !g.owed {
		return
	}
	g.start = time.Now()
	_ = nc.SetReadDeadline(g.start.Add(g.window - g.waited))
}

// afterRead accounts a Read that returned n bytes. It returns ErrSlowPeer
// when a whole window of waiting brought fewer bytes than the rate asks.
func (g *rateGuard) afterRead(n int) error {
	if !g.owed {
		return nil
	}
	g.waited += time.Since(g.start)
	g.bytes += int64(n)
	if g.waited < g.window {
		return nil
	}
	if g.bytes*int64(time.Second) < g.min*int64(g.waited) {
		return ErrSlowPeer
	}
	g.waited, g.bytes = 0, 0
	return nil
}

// expired reports whether a Read error is the guard's own deadline (the
// window ended without failing the rate), which is not an error.
func (g *rateGuard) expired(err error) bool {
	return g.owed && isTimeout(err)
}

// update records whether the peer owes bytes once the input read so far was
// decoded; a change starts a new window.
func (g *rateGuard) update(nc net.Conn, owed bool) {
	if g.min == 0 || owed == g.owed {
		return
	}
	g.owed = owed
	g.waited, g.bytes = 0, 0
	if !owed {
		_ = nc.SetReadDeadline(time.Time{})
	}
}
