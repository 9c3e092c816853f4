package http2

import (
	"crypto/tls"
	"net"
	"sync/atomic"
)

// pingConn counts the PING frames (without ACK) a client sends, by following
// the frame headers of the bytes the server reads: PINGs never reach a
// handler, and without this count a Heartbeat row could not show what the
// server received. It costs a few comparisons per read.
type pingConn struct {
	net.Conn
	pings *atomic.Uint64

	preface int // bytes of the client connection preface still to pass
	hdr     [9]byte
	hdrN    int // bytes of the current frame header seen
	skip    int // payload bytes of the current frame still to pass
}

// clientPrefaceLen is the length of "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".
const clientPrefaceLen = 24

const (
	framePing = 0x6
	flagAck   = 0x1
)

func newPingConn(c net.Conn, pings *atomic.Uint64) net.Conn {
	pc := pingConn{Conn: c, pings: pings, preface: clientPrefaceLen}
	if tc, ok := c.(*tls.Conn); ok {
		return &tlsPingConn{pingConn: pc, tc: tc}
	}
	return &pc
}

func (c *pingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.scan(p[:n])
	return n, err
}

func (c *pingConn) scan(b []byte) {
	for len(b) > 0 {
		switch {
		case c.preface > 0:
			k := min(c.preface, len(b))
			c.preface -= k
			b = b[k:]
		case c.skip > 0:
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
		default:
			k := copy(c.hdr[c.hdrN:], b)
			c.hdrN += k
			b = b[k:]
			if c.hdrN == len(c.hdr) {
				c.hdrN = 0
				c.skip = int(c.hdr[0])<<16 | int(c.hdr[1])<<8 | int(c.hdr[2])
				if c.hdr[3] == framePing && c.hdr[4]&flagAck == 0 {
					c.pings.Add(1)
				}
			}
		}
	}
}

// tlsPingConn keeps the TLS connection state visible to the HTTP/2 server,
// which checks the negotiated version and cipher suite.
type tlsPingConn struct {
	pingConn
	tc *tls.Conn
}

func (c *tlsPingConn) Read(p []byte) (int, error) { return c.pingConn.Read(p) }

// ConnectionState returns the TLS connection's state.
func (c *tlsPingConn) ConnectionState() tls.ConnectionState { return c.tc.ConnectionState() }
