package http2

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
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

// conn is one of the client's connections: the transport's ClientConn and
// the batchConn under it (under TLS, when there is TLS).
type conn struct {
	*http2.ClientConn
	bc *batchConn
}

type client struct {
	cfg   competitors.ClientConfig
	tr    *http2.Transport
	conns []conn
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

func (c *client) dial(ctx context.Context, tcfg *tls.Config) (conn, error) {
	var d net.Dialer
	tcp, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return conn{}, fmt.Errorf("http2: dial %s: %w", c.cfg.Addr, err)
	}
	// Tuning: the connection's writes are coalesced (batchConn), under TLS
	// when there is TLS, so that TLS records are sealed as before.
	bc := newBatchConn(tcp)
	nc := net.Conn(bc)
	if tcfg != nil {
		tc := tls.Client(bc, tcfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = bc.Close()
			return conn{}, fmt.Errorf("http2: TLS handshake with %s: %w", c.cfg.Addr, err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != http2.NextProtoTLS {
			_ = bc.Close()
			return conn{}, fmt.Errorf("http2: server %s negotiated %q, not h2", c.cfg.Addr, p)
		}
		nc = tc
	}
	cc, err := c.tr.NewClientConn(nc)
	if err != nil {
		_ = bc.Close()
		return conn{}, fmt.Errorf("http2: client connection: %w", err)
	}
	// Until the server's SETTINGS arrive the transport assumes 100
	// concurrent streams; a burst of requests sent before then can exceed a
	// lower server limit and be refused (REFUSED_STREAM). The server sends
	// its SETTINGS before it answers anything, so one PING round trip
	// guarantees the limit is known before the first operation.
	if err := cc.Ping(ctx); err != nil {
		_ = cc.Close()
		_ = bc.Close()
		return conn{}, fmt.Errorf("http2: first PING to %s (waiting for the server's SETTINGS): %w", c.cfg.Addr, err)
	}
	return conn{ClientConn: cc, bc: bc}, nil
}

func (c *client) pick() conn {
	return c.conns[int(c.next.Add(1)-1)%len(c.conns)]
}

func (c *client) Close() error {
	c.cancel()
	for _, cn := range c.conns {
		_ = cn.Close()
		_ = cn.bc.Close()
	}
	c.bg.Wait()
	c.conns = nil
	return nil
}

// ErrStatus reports an unexpected HTTP status (the same error as HTTP/1).
var ErrStatus = http1.ErrStatus

// roundTrip sends a request on the next connection. A failure of an earlier
// operation's background response is returned first (the body is closed,
// as a RoundTripper must).
func (c *client) roundTrip(req *http.Request) (*http.Response, error) {
	if p := c.bgErr.Swap(nil); p != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, *p
	}
	return c.pick().RoundTrip(req)
}

// send is an operation that does not wait for the response: it returns once
// the transport reports the request written (httptrace WroteRequest), which
// x/net/http2 signals after the frame carrying END_STREAM (HEADERS for a
// request without body, the last DATA frame otherwise) has been flushed to
// the connection, and then until the batchConn has handed those bytes to
// the kernel. The response is read and checked in the background (under
// c.ctx: it outlives the operation); a failure there is reported by a
// later operation. This is the Node.js benchmark's meaning of "no waiting"
// (resolved on the request stream's 'finish'); ctx bounds the wait.
func (c *client) send(ctx context.Context, req *http.Request) error {
	if p := c.bgErr.Swap(nil); p != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return *p
	}
	wrote := make(chan error, 2)
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) { wrote <- i.Err }}
	req = req.WithContext(httptrace.WithClientTrace(c.ctx, trace))
	method, path := req.Method, req.URL.Path
	cc := c.pick()
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		resp, err := cc.RoundTrip(req)
		if err != nil {
			err = fmt.Errorf("http2: %s %s: %w", method, path, err)
			wrote <- err // the request may have failed before it was written
		} else if _, err = http1.ReadResponse(resp, method, path, nil); err != nil {
			err = fmt.Errorf("http2: %w", err)
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
	case <-ctx.Done():
		return ctx.Err()
	}
	// The transport has flushed the request to the batchConn: wait until
	// the batchConn has handed those bytes to the kernel.
	if err := cc.bc.waitWritten(ctx, cc.bc.queuedBytes()); err != nil {
		return fmt.Errorf("http2: %s %s: write request: %w", method, path, err)
	}
	return nil
}

// Prepare returns the operation of b's scenario: Heartbeat and No response
// here, the others from http1.Requests over this client's connections,
// with data operations done when written (send).
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
	}
	r := &http1.Requests{Prefix: "http2", Base: c.base, Config: c.cfg, RoundTrip: c.roundTrip, Send: c.send}
	if sc.Kind == scenarios.OneWay {
		t, err := r.Template(http.MethodGet, http1.PathFast)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return c.send(ctx, t.Make(ctx, nil, 0)) }, nil
	}
	op, ok, err := r.Prepare(sc)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("http2: scenario %q is not supported", sc.ID)
	}
	return op, nil
}
