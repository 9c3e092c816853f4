package http1

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Requests builds the operations that the HTTP/1 and HTTP/2 suites share
// (Short response, Regular response, data from memory and from files, Stream
// echo) on top of a suite's way of sending a request.
//
// Each operation's request is built once, when it is prepared (URL parsed,
// header map made), and copied per operation with Request.WithContext: one
// allocation instead of a URL parse, a string concatenation, a header map
// and a request per operation. The copies share the URL and the header map,
// which neither http.Transport nor http2.ClientConn modify. With
// RoundTripContext, a request without body is not even copied.
type Requests struct {
	// Prefix starts every error message ("http1", "http2").
	Prefix string
	// Base is "scheme://host:port".
	Base string
	// Config is the client's configuration (payloads, Verify).
	Config competitors.ClientConfig
	// RoundTrip sends a request and returns its response; it closes the
	// request body, also on errors (http.RoundTripper's contract).
	RoundTrip func(*http.Request) (*http.Response, error)
	// RoundTripContext, when set, is RoundTrip under ctx instead of the
	// request's context, for requests without body: operations then send
	// their prepared request itself, shared and only read, instead of a
	// copy per operation made with Request.WithContext (a 250-byte
	// allocation). Only a client that needs the context for nothing but
	// interrupting the exchange can offer it (connPool; x/net/http2 and
	// http.Transport read the request's context).
	RoundTripContext func(ctx context.Context, req *http.Request) (*http.Response, error)
	// Send, when set, sends a data request and returns once it has been
	// written, leaving the response to the background; when nil, a data
	// operation waits for the response.
	Send func(ctx context.Context, req *http.Request) error
}

// Template is a prepared request: Make copies it for one operation.
type Template struct{ req *http.Request }

// Template prepares a request for method and path.
func (r *Requests) Template(method, path string) (Template, error) {
	req, err := http.NewRequestWithContext(context.Background(), method, r.Base+path, nil)
	if err != nil {
		return Template{}, fmt.Errorf("%s: request: %w", r.Prefix, err)
	}
	// An empty User-Agent is not sent (both transports document it): the
	// request carries what wrk sends, so the server parses the same bytes
	// whichever client drives it (results/harness-vs-wrk-h2load.md).
	req.Header.Set("User-Agent", "")
	return Template{req: req}, nil
}

// Make returns a request for one operation, with body (nil for none) of
// size bytes. An in-memory payload gets a GetBody, as http.NewRequest gives
// it, so that the transport may replay it on a fresh connection.
func (t Template) Make(ctx context.Context, body io.Reader, size int64) *http.Request {
	req := t.req.WithContext(ctx)
	if body != nil {
		req.ContentLength = size
		switch b := body.(type) {
		case io.ReadCloser:
			req.Body = b
		case *bytes.Reader:
			snapshot := *b
			req.Body = io.NopCloser(b)
			req.GetBody = func() (io.ReadCloser, error) {
				r := snapshot
				return io.NopCloser(&r), nil
			}
		default:
			req.Body = io.NopCloser(body)
		}
	}
	return req
}

// Do sends req with RoundTrip and reads the whole response body into into
// (up to its capacity) or discards it. It returns the body length.
func (r *Requests) Do(req *http.Request, into []byte) (int, error) {
	resp, err := r.RoundTrip(req)
	return r.read(req, resp, err, into)
}

// get sends t's request, which has no body, for one operation under ctx:
// with RoundTripContext when set, else with Do on a copy (Make).
func (r *Requests) get(ctx context.Context, t Template, into []byte) (int, error) {
	if r.RoundTripContext == nil {
		return r.Do(t.Make(ctx, nil, 0), into)
	}
	resp, err := r.RoundTripContext(ctx, t.req)
	return r.read(t.req, resp, err, into)
}

// read finishes Do and get: the round trip's error, or the response body.
func (r *Requests) read(req *http.Request, resp *http.Response, err error, into []byte) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("%s: %s %s: %w", r.Prefix, req.Method, req.URL.Path, err)
	}
	n, err := ReadResponse(resp, req.Method, req.URL.Path, into)
	if err != nil {
		return n, fmt.Errorf("%s: %w", r.Prefix, err)
	}
	return n, nil
}

// Prepare returns the operation of sc, or ok false when sc is not one of
// the shared scenarios (the suite handles it, or refuses it).
func (r *Requests) Prepare(sc scenarios.Scenario) (op competitors.Op, ok bool, err error) {
	switch sc.Kind {
	case scenarios.FastReply:
		op, err = r.fast()
	case scenarios.Regular:
		op, err = r.regular()
	case scenarios.Data, scenarios.File:
		op, err = r.data(sc)
	case scenarios.StreamEcho:
		op, err = r.echo(sc)
	default:
		return nil, false, nil
	}
	return op, true, err
}

// fast: GET /fast, done on the 200 without body.
func (r *Requests) fast() (competitors.Op, error) {
	t, err := r.Template(http.MethodGet, PathFast)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		_, err := r.get(ctx, t, nil)
		return err
	}, nil
}

// regular: GET /ping, done on the whole 4-byte body (checked with Verify).
func (r *Requests) regular() (competitors.Op, error) {
	t, err := r.Template(http.MethodGet, PathPing)
	if err != nil {
		return nil, err
	}
	pool := sync.Pool{New: func() any { b := make([]byte, 0, 16); return &b }}
	return func(ctx context.Context) error {
		bp := pool.Get().(*[]byte)
		defer pool.Put(bp)
		n, err := r.get(ctx, t, *bp)
		if err != nil {
			return err
		}
		if n > cap(*bp) {
			return fmt.Errorf("%s: regular response of %d bytes", r.Prefix, n)
		}
		if r.Config.Verify {
			return CheckPong((*bp)[:n])
		}
		return nil
	}, nil
}

// data: POST /data with the payload from memory or, for FS, from its file
// opened per operation; done on the response, or when written with Send.
func (r *Requests) data(sc scenarios.Scenario) (competitors.Op, error) {
	t, err := r.Template(http.MethodPost, PathData)
	if err != nil {
		return nil, err
	}
	size := int64(sc.Size)
	send := func(ctx context.Context, body io.Reader) error {
		req := t.Make(ctx, body, size)
		if r.Send != nil {
			return r.Send(ctx, req)
		}
		_, err := r.Do(req, nil)
		return err
	}
	if sc.Source == scenarios.FS {
		path, err := r.Config.Payloads.Path(sc.Size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Prefix, err)
		}
		return func(ctx context.Context) error {
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("%s: open payload: %w", r.Prefix, err)
			}
			// The transport closes the body (the file) once sent.
			return send(ctx, f)
		}, nil
	}
	payload := r.Config.Payloads.Bytes(sc.Size)
	return func(ctx context.Context) error { return send(ctx, bytes.NewReader(payload)) }, nil
}

// echo: POST /echo with the payload, done when the echoed body was read
// (and compared with Verify).
func (r *Requests) echo(sc scenarios.Scenario) (competitors.Op, error) {
	t, err := r.Template(http.MethodPost, PathEcho)
	if err != nil {
		return nil, err
	}
	payload := r.Config.Payloads.Bytes(sc.Size)
	pool := sync.Pool{New: func() any { b := make([]byte, 0, len(payload)); return &b }}
	return func(ctx context.Context) error {
		bp := pool.Get().(*[]byte)
		defer pool.Put(bp)
		n, err := r.Do(t.Make(ctx, bytes.NewReader(payload), int64(len(payload))), *bp)
		if err != nil {
			return err
		}
		if n != len(payload) {
			return fmt.Errorf("%s: echo of %d bytes, sent %d", r.Prefix, n, len(payload))
		}
		if r.Config.Verify && !bytes.Equal((*bp)[:n], payload) {
			return errors.New(r.Prefix + ": echo differs from what was sent")
		}
		return nil
	}, nil
}
