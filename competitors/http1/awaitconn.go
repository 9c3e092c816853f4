package http1

import (
	"net"
	"syscall"
)

// awaitConn is a TCP connection whose last write of a request also waits
// for the response to become readable, so that the read that follows finds
// it instead of returning EAGAIN first.
//
// A Go read on a socket always tries the read system call first and parks
// on the netpoller only when it returns EAGAIN. After sending a request the
// response is almost never there yet, so every request paid a read that
// found nothing (profiles in results/harness-vs-wrk-h2load.md: two reads
// per request). Here the final write of a request (armed by flushAwait)
// is made from inside RawConn.Read's callback: the runtime resets the
// descriptor's read readiness before the callback runs, the callback
// writes the request and returns false, and the runtime parks the
// goroutine until the socket is readable. The response's readiness can only
// arrive after the request went out, that is after the reset, so it cannot
// be lost. (Waiting in a RawConn.Read started after an ordinary write would
// lose it: the reset would erase a readiness that the netpoller delivered
// in between, and the read would wait for an edge that never comes.)
//
// The wait is an optimisation only: when it ends early (a spurious wake-up,
// a deadline, the connection closed), Write still reports the request as
// written, and the read that follows is an ordinary one, which reads,
// waits or fails as before. Everything but Write is the embedded
// connection's, also ReadFrom (an upload from a file).
type awaitConn struct {
	*net.TCPConn
	rc syscall.RawConn
	// armed makes the next Write wait for readability; flushAwait sets and
	// clears it around the request's final flush.
	armed bool
	// State of one armed Write, for the callback (made once: no
	// allocation per request).
	buf     []byte
	written int
	wrote   bool // the callback has made its write attempt
	call    func(fd uintptr) bool
}

// newAwaitConn wraps c; it returns c itself (and false) when c is not a
// TCP connection whose descriptor can be reached.
func newAwaitConn(c net.Conn) (net.Conn, bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c, false
	}
	a := &awaitConn{TCPConn: tc, rc: rc}
	a.call = a.writeThenAwait
	return a, true
}

// Write writes b. When armed, it writes b from inside a RawConn.Read and
// returns once the socket is readable (or the wait ended otherwise);
// whatever the one write system call there did not write goes out through
// the connection's ordinary Write.
func (a *awaitConn) Write(b []byte) (int, error) {
	if !a.armed || len(b) == 0 {
		return a.TCPConn.Write(b)
	}
	a.armed = false
	a.buf, a.written, a.wrote = b, 0, false
	// An error here (deadline, closed connection) ends only the wait: the
	// request went out, or the rest goes out below and fails there, and
	// the next read reports the connection's state.
	_ = a.rc.Read(a.call)
	n := a.written
	a.buf = nil
	if n == len(b) {
		return n, nil
	}
	m, err := a.TCPConn.Write(b[n:])
	return n + m, err
}

// writeThenAwait is RawConn.Read's callback: its first call writes the
// request and asks to wait for readability (false) if all of it went out;
// any later call means the socket was reported readable.
func (a *awaitConn) writeThenAwait(fd uintptr) bool {
	if a.wrote {
		return true
	}
	a.wrote = true
	for {
		n, err := syscall.Write(int(fd), a.buf)
		if err == syscall.EINTR {
			continue
		}
		if n > 0 {
			a.written = n
		}
		// Written whole: wait for the response. Otherwise (EAGAIN, a short
		// write, an error) stop here and let the ordinary Write go on.
		return err != nil || a.written != len(a.buf)
	}
}
