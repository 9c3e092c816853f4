package sockety

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
	"github.com/sockety-harness/sockety-harness/sockety"
)

type client struct {
	cfg   competitors.ClientConfig
	conns []*sockety.Conn
	next  atomic.Uint32
}

func newClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (*client, error) {
	opts := &sockety.Options{}
	if useTLS {
		tcfg, err := tlsutil.ClientFor(cfg.TLS, cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("sockety: %w", err)
		}
		opts.TLSConfig = tcfg
	}
	c := &client{cfg: cfg}
	for range max(cfg.Connections, 1) {
		conn, err := sockety.Dial(ctx, "tcp", cfg.Addr, opts)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.conns = append(c.conns, conn)
	}
	return c, nil
}

func (c *client) pick() *sockety.Conn {
	return c.conns[int(c.next.Add(1)-1)%len(c.conns)]
}

// Close closes every connection.
func (c *client) Close() error {
	for _, conn := range c.conns {
		_ = conn.Close()
	}
	c.conns = nil
	return nil
}

func (c *client) Prepare(_ context.Context, b competitors.Benchmark) (competitors.Op, error) {
	sc := b.Scenario
	switch sc.Kind {
	case scenarios.Heartbeat:
		return func(ctx context.Context) error { return c.pick().Heartbeat(ctx) }, nil
	case scenarios.OneWay:
		o := &sockety.Outgoing{Action: "ping"}
		return func(ctx context.Context) error { return c.pick().Pass(ctx, o) }, nil
	case scenarios.FastReply:
		o := &sockety.Outgoing{Action: "fast"}
		return func(ctx context.Context) error {
			rep, err := c.pick().Call(ctx, o)
			if err != nil {
				return err
			}
			if !rep.IsFast() || rep.Code != sockety.Accept {
				return fmt.Errorf("sockety: fast answered %+v", rep)
			}
			return nil
		}, nil
	case scenarios.Regular:
		o := &sockety.Outgoing{Action: "echo"}
		return func(ctx context.Context) error {
			rep, err := c.pick().Call(ctx, o)
			if err != nil {
				return err
			}
			if rep.IsFast() {
				return fmt.Errorf("sockety: echo answered fast reply %d", rep.Code)
			}
			rep.Response.Discard()
			return nil
		}, nil
	case scenarios.Data, scenarios.File:
		return c.prepareData(sc)
	case scenarios.StreamEcho:
		payload := c.cfg.Payloads.Bytes(sc.Size)
		return func(ctx context.Context) error { return c.streamEcho(ctx, payload) }, nil
	}
	return nil, fmt.Errorf("sockety: scenario %q is not supported", sc.ID)
}

func (c *client) prepareData(sc scenarios.Scenario) (competitors.Op, error) {
	file := sc.Kind == scenarios.File
	if sc.Source == scenarios.FS {
		path, err := c.cfg.Payloads.Path(sc.Size)
		if err != nil {
			return nil, fmt.Errorf("sockety: %w", err)
		}
		size := int64(sc.Size)
		return func(ctx context.Context) error {
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("sockety: open payload: %w", err)
			}
			defer f.Close()
			o := &sockety.Outgoing{Action: "data"}
			if file {
				o.Files = []sockety.OutFile{{Name: "payload.bin", Reader: f, Size: size}}
			} else {
				o.DataReader, o.DataSize = f, size
			}
			return c.pick().Pass(ctx, o)
		}, nil
	}
	payload := c.cfg.Payloads.Bytes(sc.Size)
	return func(ctx context.Context) error {
		o := sockety.Outgoing{Action: "data"}
		if file {
			o.Files = []sockety.OutFile{{Name: "payload.bin", Data: payload}}
		} else {
			o.Data = payload
		}
		return c.pick().Pass(ctx, &o)
	}, nil
}

// streamEcho sends payload on the stream of an "echo" message while reading
// the echo of the response, comparing it with Verify.
func (c *client) streamEcho(ctx context.Context, payload []byte) error {
	req, err := c.pick().Send(ctx, &sockety.Outgoing{Action: "echo", Stream: true})
	if err != nil {
		return err
	}
	sent := make(chan error, 1)
	go func() {
		sw := req.Stream()
		if _, err := sw.WriteContext(ctx, payload); err != nil {
			sent <- err
			return
		}
		sent <- sw.Close()
	}()
	rep, err := req.Response(ctx)
	if err != nil {
		req.Stream().Abort()
		<-sent
		return err
	}
	if rep.IsFast() || !rep.Response.HasStream() {
		<-sent
		return fmt.Errorf("sockety: stream echo answered %+v", rep)
	}
	v := &prefixChecker{want: payload, verify: c.cfg.Verify}
	n, err := io.Copy(v, rep.Response.Stream())
	if serr := <-sent; serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("sockety: stream echo: %w", err)
	}
	if v.bad {
		return errors.New("sockety: stream echo differs from what was sent")
	}
	if n != int64(len(payload)) {
		return fmt.Errorf("sockety: stream echo of %d bytes, sent %d", n, len(payload))
	}
	return nil
}

type prefixChecker struct {
	want   []byte
	off    int
	verify bool
	bad    bool
}

func (p *prefixChecker) Write(b []byte) (int, error) {
	if p.verify && !p.bad && (p.off+len(b) > len(p.want) || !bytes.Equal(b, p.want[p.off:p.off+len(b)])) {
		p.bad = true
	}
	p.off += len(b)
	return len(b), nil
}
