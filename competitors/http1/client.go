package http1

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
)

// bufSize is the client's read and write buffer size, in both variants.
// net/http's default is 4 KiB; users who upload megabytes raise it so that a body goes out in
// fewer, larger writes.
const bufSize = 64 << 10

// ClientEnv selects the HTTP/1 client variant: unset or "conns" is
// net/http's HTTP/1.1 codec on connections the adapter owns (connPool, the
// default), "transport" is http.Transport (transportClient). Both send the
// same requests over exactly -cn keep-alive connections and check the same
// responses; results/harness-vs-wrk-h2load.md has the figures of both.
const ClientEnv = "SOCKETY_HTTP1_CLIENT"

type client struct {
	cfg  competitors.ClientConfig
	base string
	// roundTrip sends a request and returns its response; closing the
	// response body ends the exchange and frees the connection.
	roundTrip func(*http.Request) (*http.Response, error)
	// roundTripContext is connPool's (Requests.RoundTripContext), nil
	// for the transport.
	roundTripContext func(context.Context, *http.Request) (*http.Response, error)
	close            func() error
}

func newClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (*client, error) {
	n := max(cfg.Connections, 1)
	c := &client{cfg: cfg}
	var tcfg *tls.Config
	scheme := "http"
	if useTLS {
		var err error
		if tcfg, err = tlsutil.ClientFor(cfg.TLS, cfg.Addr, "http/1.1"); err != nil {
			return nil, fmt.Errorf("http1: %w", err)
		}
		scheme = "https"
	}
	c.base = scheme + "://" + cfg.Addr
	switch v := os.Getenv(ClientEnv); v {
	case "", "conns":
		p, err := newConnPool(ctx, cfg.Addr, tcfg, n)
		if err != nil {
			return nil, err
		}
		c.roundTrip, c.roundTripContext, c.close = p.RoundTrip, p.RoundTripContext, p.Close
	case "transport":
		t, err := newTransportClient(ctx, c.base, cfg.Addr, tcfg, n)
		if err != nil {
			return nil, err
		}
		c.roundTrip, c.close = t.tr.RoundTrip, t.Close
	default:
		return nil, fmt.Errorf("http1: %s=%q: want conns or transport", ClientEnv, v)
	}
	return c, nil
}

func (c *client) Close() error { return c.close() }

// transportClient is the http.Transport variant of the client.
type transportClient struct {
	tr    *http.Transport
	hc    *http.Client
	base  string
	addr  string
	dials atomic.Int64
}

func newTransportClient(ctx context.Context, base, addr string, tcfg *tls.Config, n int) (*transportClient, error) {
	c := &transportClient{base: base, addr: addr}
	var d net.Dialer
	c.tr = &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		// Exactly n keep-alive connections: never more at once, and all of
		// them kept when idle. Requests beyond n wait for a free connection
		// (HTTP/1.1 has one request in flight per connection).
		MaxConnsPerHost:     n,
		MaxIdleConnsPerHost: n,
		MaxIdleConns:        n,
		IdleConnTimeout:     0, // never drop idle connections mid-run
		DisableCompression:  true,
		ReadBufferSize:      bufSize,
		WriteBufferSize:     bufSize,
		// A non-nil empty map disables HTTP/2 over TLS: HTTPS/1 is HTTP/1.1.
		TLSNextProto:      map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2: false,
		TLSClientConfig:   tcfg,
	}
	c.hc = &http.Client{Transport: c.tr}
	if err := c.open(ctx, n); err != nil {
		c.tr.CloseIdleConnections()
		return nil, err
	}
	return c, nil
}

// open makes the transport dial exactly n connections: n concurrent
// requests each hold their connection (their bodies stay unread) until all
// n have answered, so none can reuse another's connection.
func (c *transportClient) open(ctx context.Context, n int) error {
	resps := make([]*http.Response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathPing, nil)
			if err != nil {
				errs[i] = err
				return
			}
			resps[i], errs[i] = c.hc.Do(req)
		}()
	}
	wg.Wait()
	for _, r := range resps {
		if r != nil {
			_, _ = io.Copy(io.Discard, r.Body)
			_ = r.Body.Close()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("http1: open %d connections to %s: %w", n, c.addr, err)
	}
	if d := c.dials.Load(); d != int64(n) {
		return fmt.Errorf("http1: opened %d connections, want %d", d, n)
	}
	return nil
}

func (c *transportClient) Close() error {
	c.tr.CloseIdleConnections()
	return nil
}

// ErrStatus reports an unexpected HTTP status.
var ErrStatus = errors.New("unexpected HTTP status")

// ReadResponse reads a whole response body into into (when not nil, up to its
// capacity; the rest is counted and discarded) or discards it, closes it and
// returns the body length. A status other than 200 is an ErrStatus. HTTP/1
// and HTTP/2 clients share it.
func ReadResponse(resp *http.Response, method, path string, into []byte) (int, error) {
	defer resp.Body.Close()
	var n int
	var err error
	if into != nil {
		n, err = io.ReadFull(resp.Body, into[:cap(into)])
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = nil
		}
		if err == nil {
			var extra int64
			extra, err = io.Copy(io.Discard, resp.Body)
			n += int(extra)
		}
	} else {
		var m int64
		m, err = io.Copy(io.Discard, resp.Body)
		n = int(m)
	}
	if err != nil {
		return n, fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("%w %d for %s %s", ErrStatus, resp.StatusCode, method, path)
	}
	return n, nil
}

// Prepare returns the operation of b's scenario. Every HTTP/1 operation
// waits for its response (see the package documentation). Requests go
// straight to the client's round trip (connPool or http.Transport): the
// benchmark needs none of what http.Client adds (redirects, cookies,
// timeouts are the harness's context).
func (c *client) Prepare(_ context.Context, b competitors.Benchmark) (competitors.Op, error) {
	r := &Requests{Prefix: "http1", Base: c.base, Config: c.cfg, RoundTrip: c.roundTrip, RoundTripContext: c.roundTripContext}
	op, ok, err := r.Prepare(b.Scenario)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("http1: scenario %q is not supported", b.Scenario.ID)
	}
	return op, nil
}
