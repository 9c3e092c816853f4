package http2

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"

	"golang.org/x/net/http2"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/http1"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// clientFrame is the largest DATA frame the client accepts (default 16 KiB):
// echoed bodies arrive in fewer frames.
const clientFrame = 1 << 20

type client struct {
	cfg   competitors.ClientConfig
	tr    *http2.Transport
	conns []*http2.ClientConn
	next  atomic.Uint32
	base  string

	// ctx is the lifetime of requests whose response is not awaited by
	// their operation; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
	// bgErr holds the first failure of a response that no operation waited
	// for; the next operation reports it, so that no failure is lost.
	bgErr atomic.Pointer[error]
}

func newClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (*client, error) {
	n := max(cfg.Connections, 1)
	c := &client{cfg: cfg}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.tr = &http2.Transport{
		AllowHTTP:          !useTLS,
		DisableCompression: true,
		MaxReadFrameSize:   clientFrame,
		// With exactly -cn connections and no pool to dial more, a request
		// beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS must wait for a
		// free stream; without this the ClientConn fails it at once ("client
		// conn not usable"), expecting the pool to open another connection.
		StrictMaxConcurrentStreams: true,
		// ReadIdleTimeout stays zero: no health-check PINGs of the
		// transport's own mixed into the Heartbeat figures.
	}
	var tcfg *tls.Config
	scheme := "http"
	if useTLS {
		var err error
		tcfg, err = tlsutil.ClientFor(cfg.TLS, cfg.Addr, http2.NextProtoTLS)
		if err != nil {
			return nil, fmt.Errorf("http2: %w", err)
		}
		scheme = "https"
	}
	c.base = scheme + "://" + cfg.Addr
	// The connections are dialled here and handed to the transport one by
	// one (NewClientConn), so that it cannot open more: streams are spread
	// over exactly n connections, round-robin.
	for range n {
		cc, err := c.dial(ctx, tcfg)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.conns = append(c.conns, cc)
	}
	return c, nil
}

func (c *client) dial(ctx context.Context, tcfg *tls.Config) (*http2.ClientConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("http2: dial %s: %w", c.cfg.Addr, err)
	}
	if tcfg != nil {
		tc := tls.Client(conn, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("http2: TLS handshake with %s: %w", c.cfg.Addr, err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != http2.NextProtoTLS {
			_ = conn.Close()
			return nil, fmt.Errorf("http2: server %s negotiated %q, not h2", c.cfg.Addr, p)
		}
		conn = tc
	}
	cc, err := c.tr.NewClientConn(conn)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("http2: client connection: %w", err)
	}
	// Until the server's SETTINGS arrive the transport assumes 100
	// concurrent streams; a burst of requests sent before then can exceed a
	// lower server limit and be refused (REFUSED_STREAM). The server sends
	// its SETTINGS before it answers anything, so one PING round trip
	// guarantees the limit is known before the first operation.
	if err := cc.Ping(ctx); err != nil {
		_ = cc.Close()
		return nil, fmt.Errorf("http2: first PING to %s (waiting for the server's SETTINGS): %w", c.cfg.Addr, err)
	}
	return cc, nil
}

func (c *client) pick() *http2.ClientConn {
	return c.conns[int(c.next.Add(1)-1)%len(c.conns)]
}

func (c *client) Close() error {
	c.cancel()
	for _, cc := range c.conns {
		_ = cc.Close()
	}
	c.bg.Wait()
	c.conns = nil
	return nil
}

// ErrStatus reports an unexpected HTTP status (the same error as HTTP/1).
var ErrStatus = http1.ErrStatus

func newRequest(ctx context.Context, method, url string, body io.Reader, size int64) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("http2: request: %w", err)
	}
	if body != nil {
		req.ContentLength = size
	}
	return req, nil
}

// roundTrip sends a request on the next connection and reads the whole
// response into into (up to its capacity) or discards it.
func (c *client) roundTrip(ctx context.Context, method, path string, body io.Reader, size int64, into []byte) (int, error) {
	if p := c.bgErr.Swap(nil); p != nil {
		if body, ok := body.(io.Closer); ok {
			_ = body.Close()
		}
		return 0, *p
	}
	req, err := newRequest(ctx, method, c.base+path, body, size)
	if err != nil {
		return 0, err
	}
	resp, err := c.pick().RoundTrip(req)
	if err != nil {
		return 0, fmt.Errorf("http2: %s %s: %w", method, path, err)
	}
	return readResponse(resp, method, path, into)
}

func readResponse(resp *http.Response, method, path string, into []byte) (int, error) {
	n, err := http1.ReadResponse(resp, method, path, into)
	if err != nil {
		return n, fmt.Errorf("http2: %w", err)
	}
	return n, nil
}

// send is an operation that does not wait for the response: it returns once
// the transport reports the request written (httptrace WroteRequest), which
// x/net/http2 signals after the frame carrying END_STREAM (HEADERS for a
// request without body, the last DATA frame otherwise) has been flushed to
// the connection, i.e. handed to the kernel. The response is read and
// checked in the background; a failure there is reported by a later
// operation. This is the Node.js benchmark's meaning of "no waiting"
// (resolved on the request stream's 'finish').
func (c *client) send(ctx context.Context, method, path string, body io.Reader, size int64) error {
	if p := c.bgErr.Swap(nil); p != nil {
		if body, ok := body.(io.Closer); ok {
			_ = body.Close()
		}
		return *p
	}
	wrote := make(chan error, 2)
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) { wrote <- i.Err }}
	req, err := newRequest(httptrace.WithClientTrace(c.ctx, trace), method, c.base+path, body, size)
	if err != nil {
		return err
	}
	cc := c.pick()
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		resp, err := cc.RoundTrip(req)
		if err == nil {
			_, err = readResponse(resp, method, path, nil)
		} else {
			err = fmt.Errorf("http2: %s %s: %w", method, path, err)
			wrote <- err // the request may have failed before it was written
		}
		if err != nil && c.ctx.Err() == nil {
			c.bgErr.CompareAndSwap(nil, &err)
		}
	}()
	select {
	case err := <-wrote:
		if err != nil {
			return fmt.Errorf("http2: %s %s: write request: %w", method, path, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *client) Prepare(_ context.Context, b competitors.Benchmark) (competitors.Op, error) {
	sc := b.Scenario
	switch sc.Kind {
	case scenarios.Heartbeat:
		// Done when the server acknowledged the PING (as Node's
		// session.ping callback).
		return func(ctx context.Context) error {
			if err := c.pick().Ping(ctx); err != nil {
				return fmt.Errorf("http2: ping: %w", err)
			}
			return nil
		}, nil
	case scenarios.OneWay:
		return func(ctx context.Context) error {
			return c.send(ctx, http.MethodGet, http1.PathFast, nil, 0)
		}, nil
	case scenarios.FastReply:
		// Done on the response HEADERS (:status 200, END_STREAM).
		return func(ctx context.Context) error {
			_, err := c.roundTrip(ctx, http.MethodGet, http1.PathFast, nil, 0, nil)
			return err
		}, nil
	case scenarios.Regular:
		pool := sync.Pool{New: func() any { b := make([]byte, 0, 16); return &b }}
		return func(ctx context.Context) error {
			bp := pool.Get().(*[]byte)
			defer pool.Put(bp)
			n, err := c.roundTrip(ctx, http.MethodGet, http1.PathPing, nil, 0, *bp)
			if err != nil {
				return err
			}
			if n > cap(*bp) {
				return fmt.Errorf("http2: regular response of %d bytes", n)
			}
			if c.cfg.Verify {
				return http1.CheckPong((*bp)[:n])
			}
			return nil
		}, nil
	case scenarios.Data, scenarios.File:
		size := int64(sc.Size)
		if sc.Source == scenarios.FS {
			path, err := c.cfg.Payloads.Path(sc.Size)
			if err != nil {
				return nil, fmt.Errorf("http2: %w", err)
			}
			return func(ctx context.Context) error {
				f, err := os.Open(path)
				if err != nil {
					return fmt.Errorf("http2: open payload: %w", err)
				}
				// The transport closes the body (the file).
				return c.send(ctx, http.MethodPost, http1.PathData, f, size)
			}, nil
		}
		payload := c.cfg.Payloads.Bytes(sc.Size)
		return func(ctx context.Context) error {
			return c.send(ctx, http.MethodPost, http1.PathData, bytes.NewReader(payload), size)
		}, nil
	case scenarios.StreamEcho:
		payload := c.cfg.Payloads.Bytes(sc.Size)
		pool := sync.Pool{New: func() any { b := make([]byte, 0, len(payload)); return &b }}
		return func(ctx context.Context) error {
			bp := pool.Get().(*[]byte)
			defer pool.Put(bp)
			n, err := c.roundTrip(ctx, http.MethodPost, http1.PathEcho, bytes.NewReader(payload), int64(len(payload)), *bp)
			if err != nil {
				return err
			}
			if n != len(payload) {
				return fmt.Errorf("http2: echo of %d bytes, sent %d", n, len(payload))
			}
			if c.cfg.Verify && !bytes.Equal((*bp)[:n], payload) {
				return errors.New("http2: echo differs from what was sent")
			}
			return nil
		}, nil
	}
	return nil, fmt.Errorf("http2: scenario %q is not supported", sc.ID)
}
