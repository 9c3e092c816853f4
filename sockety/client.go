package sockety

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
)

// Dial connects to a Sockety server over TCP (network "tcp", "tcp4",
// "tcp6" or "unix"), or over TLS when opts.TLSConfig is set, exchanges the
// connection headers and returns the connection. ctx bounds the whole
// setup; opts.HeaderTimeout bounds the TLS handshake and header exchange.
func Dial(ctx context.Context, network, addr string, opts *Options) (*Conn, error) {
	o := opts.withDefaults()
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("sockety: dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if o.TLSConfig != nil {
		cfg := minTLS12(o.TLSConfig)
		if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg.ServerName = host
		}
		tc := tls.Client(nc, cfg)
		hctx, cancel := context.WithTimeout(ctx, o.HeaderTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("sockety: TLS handshake with %s: %w", addr, err)
		}
		nc = tc
	}
	return NewConn(ctx, nc, &o, false)
}

// DialTLS is Dial over TLS with cfg.
func DialTLS(ctx context.Context, network, addr string, cfg *tls.Config, opts *Options) (*Conn, error) {
	o := opts.withDefaults()
	o.TLSConfig = cfg
	return Dial(ctx, network, addr, &o)
}

// NewConn runs Sockety over an established connection (any net.Conn: TCP,
// TLS after its handshake, net.Pipe in tests). It sends our connection
// header, waits for the peer's (at most opts.HeaderTimeout) and returns the
// ready connection. server only tells which side this is (for errors and
// statistics); the protocol is symmetric. On failure nc is closed.
func NewConn(ctx context.Context, nc net.Conn, opts *Options, server bool) (*Conn, error) {
	o := opts.withDefaults()
	c := newConn(nc, o, server)
	hctx, cancel := context.WithTimeout(ctx, o.HeaderTimeout)
	defer cancel()
	if err := c.waitReady(hctx); err != nil {
		if hctx.Err() != nil && ctx.Err() == nil {
			err = ErrHeaderTimeout
		}
		c.fail(err)
		<-c.readerDone
		<-c.w.dead
		return nil, fmt.Errorf("sockety: connection header exchange: %w", err)
	}
	return c, nil
}
