package raw

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// NewID returns a random version-4 UUID.
func NewID() [16]byte {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		panic(err)
	}
	id[6] = id[6]&0x0F | 0x40
	id[8] = id[8]&0x3F | 0x80
	return id
}

// IsV4 reports whether id has the version-4 and RFC 4122 variant bits.
func IsV4(id [16]byte) bool { return id[6]>>4 == 4 && id[8]>>6 == 2 }

// Conn is one raw connection to a peer: everything the runner writes goes out as given, and
// everything the peer writes is parsed by an Assembler in a background reader.
type Conn struct {
	nc net.Conn

	mu       sync.Mutex
	cond     chan struct{} // closed and replaced whenever state changes
	asm      *Assembler
	received []byte // everything the peer wrote (capped)
	events   []Event
	closed   error // set when the read side ended (io.EOF or an error)
	sent     int
}

// DialOptions configure Dial.
type DialOptions struct {
	TLS      bool
	Insecure bool
	// PeerHeader says whether the peer's bytes start with a connection header (true for a
	// server or a client under test).
	PeerHeader bool
}

// Dial connects to addr within ctx.
func Dial(ctx context.Context, addr string, o DialOptions) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if o.TLS {
		host, _, _ := net.SplitHostPort(addr)
		tc := tls.Client(nc, &tls.Config{ServerName: host, InsecureSkipVerify: o.Insecure}) //nolint:gosec // user's choice
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
		}
		nc = tc
	}
	return NewConn(nc, true), nil
}

// NewConn wraps an established connection and starts reading it.
func NewConn(nc net.Conn, peerHeader bool) *Conn {
	return NewConnChannels(nc, peerHeader, 0)
}

// NewConnChannels is NewConn with the channel count the runner announces set before the first
// byte is read (0 means 4096).
func NewConnChannels(nc net.Conn, peerHeader bool, channels int) *Conn {
	c := &Conn{nc: nc, cond: make(chan struct{}), asm: NewAssembler(peerHeader)}
	c.asm.Channels = channels
	go c.readLoop()
	return c
}

// Assembler gives access to the parsed state; hold no reference across waits.
func (c *Conn) Assembler() *Assembler { return c.asm }

// SetChannels tells the assembler how many channels the runner announced, so the peer writing
// on a higher channel is a parse error.
func (c *Conn) SetChannels(n int) {
	c.mu.Lock()
	c.asm.Channels = n
	c.mu.Unlock()
}

const maxReceived = 128 << 20

func (c *Conn) readLoop() {
	buf := make([]byte, 64<<10)
	for {
		n, err := c.nc.Read(buf)
		c.mu.Lock()
		if n > 0 {
			if len(c.received) < maxReceived {
				c.received = append(c.received, buf[:n]...)
			}
			if c.asm.Err == nil {
				evs, _ := c.asm.Feed(buf[:n])
				c.events = append(c.events, evs...)
			}
		}
		if err != nil && c.closed == nil {
			c.closed = err
		}
		close(c.cond)
		c.cond = make(chan struct{})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// CloseWrite half-closes the TCP connection if possible, else closes it.
func (c *Conn) CloseWrite() error {
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		return tc.CloseWrite()
	}
	return c.nc.Close()
}

// Send writes b, bounded by ctx.
func (c *Conn) Send(ctx context.Context, b []byte) error {
	if d, ok := ctx.Deadline(); ok {
		_ = c.nc.SetWriteDeadline(d)
	}
	_, err := c.nc.Write(b)
	c.mu.Lock()
	c.sent += len(b)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write to peer: %w", err)
	}
	return nil
}

// SendSlowly writes b in pieces of size step with a pause between them.
func (c *Conn) SendSlowly(ctx context.Context, b []byte, step int, pause time.Duration) error {
	for len(b) > 0 {
		n := min(step, len(b))
		if err := c.Send(ctx, b[:n]); err != nil {
			return err
		}
		b = b[n:]
		if len(b) > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
	}
	return nil
}

// Snapshot is a consistent view of what the peer wrote so far.
type Snapshot struct {
	Asm      *Assembler
	Received []byte
	Events   []Event
	Closed   error
}

// ErrTimeout is returned by Wait when the context ends first.
var ErrTimeout = errors.New("timed out waiting for the peer")

// Wait calls cond with the state under lock until it returns true, the peer closes or ctx ends.
// It returns nil when cond held, ErrTimeout on timeout, or the read error / parse error.
func (c *Conn) Wait(ctx context.Context, cond func(s *Snapshot) bool) error {
	for {
		c.mu.Lock()
		s := &Snapshot{Asm: c.asm, Received: c.received, Events: c.events, Closed: c.closed}
		ok := cond(s)
		ch := c.cond
		closed, perr := c.closed, c.asm.Err
		c.mu.Unlock()
		if ok {
			return nil
		}
		if perr != nil {
			return perr
		}
		if closed != nil {
			return fmt.Errorf("peer closed the connection: %w", closed)
		}
		select {
		case <-ctx.Done():
			return ErrTimeout
		case <-ch:
		}
	}
}

// With runs f with the state under lock.
func (c *Conn) With(f func(s *Snapshot)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&Snapshot{Asm: c.asm, Received: c.received, Events: c.events, Closed: c.closed})
}

// Received returns a copy of everything the peer wrote so far.
func (c *Conn) Received() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.received)
}

// WaitClosed waits until the peer closes the connection (EOF or reset); it returns false if
// ctx ends first. A protocol error in what the peer wrote does not count as closing.
func (c *Conn) WaitClosed(ctx context.Context) bool {
	for {
		c.mu.Lock()
		closed := c.closed
		ch := c.cond
		c.mu.Unlock()
		if closed != nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// ClosedErr returns the read-side error once the peer closed, else nil.
func (c *Conn) ClosedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed == io.EOF {
		return io.EOF
	}
	return c.closed
}
