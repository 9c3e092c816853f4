package grpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/tlsutil"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

type client struct {
	cfg   competitors.ClientConfig
	conns []*grpc.ClientConn
	next  atomic.Uint32
}

// empty is the shared request of unary calls (marshalling only reads it).
var empty = new(emptypb.Empty)

func newClient(ctx context.Context, cfg competitors.ClientConfig, useTLS bool) (*client, error) {
	creds := insecure.NewCredentials()
	if useTLS {
		tcfg, err := tlsutil.ClientFor(cfg.TLS, cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("grpc: %w", err)
		}
		creds = credentials.NewTLS(tcfg)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithInitialWindowSize(streamWindow),
		grpc.WithInitialConnWindowSize(connWindow),
	}
	c := &client{cfg: cfg}
	// One grpc.ClientConn holds one HTTP/2 connection (pick_first to one
	// address): -cn ClientConns make exactly -cn connections, and calls are
	// spread over them round-robin.
	for range max(cfg.Connections, 1) {
		cc, err := grpc.NewClient("passthrough:///"+cfg.Addr, opts...)
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("grpc: client for %s: %w", cfg.Addr, err)
		}
		c.conns = append(c.conns, cc)
		if err := waitReady(ctx, cc); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("grpc: connect %s: %w", cfg.Addr, err)
		}
	}
	return c, nil
}

// waitReady connects cc and waits until it is ready (or failed).
func waitReady(ctx context.Context, cc *grpc.ClientConn) error {
	cc.Connect()
	for {
		s := cc.GetState()
		switch s {
		case connectivity.Ready:
			return nil
		case connectivity.TransientFailure, connectivity.Shutdown:
			return fmt.Errorf("connection state %v", s)
		}
		if !cc.WaitForStateChange(ctx, s) {
			return ctx.Err()
		}
	}
}

func (c *client) pick() *grpc.ClientConn {
	return c.conns[int(c.next.Add(1)-1)%len(c.conns)]
}

func (c *client) Close() error {
	var errs []error
	for _, cc := range c.conns {
		errs = append(errs, cc.Close())
	}
	c.conns = nil
	return errors.Join(errs...)
}

// upload streams chunks produced by next (nil at the end) and waits for the
// server's Empty, sent once it has read and counted everything.
func (c *client) upload(ctx context.Context, next func() ([]byte, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream if we stop early
	st, err := c.pick().NewStream(ctx, uploadDesc, methodUpload)
	if err != nil {
		return fmt.Errorf("grpc: upload: %w", err)
	}
	for {
		chunk, err := next()
		if err != nil {
			return err
		}
		if chunk == nil {
			break
		}
		// SendMsg serialises the message before it returns: chunk may be
		// reused afterwards.
		if err := st.SendMsg(&wrapperspb.BytesValue{Value: chunk}); err != nil {
			if err == io.EOF {
				err = st.RecvMsg(new(emptypb.Empty)) // the server's status
			}
			return fmt.Errorf("grpc: upload: %w", err)
		}
	}
	if err := st.CloseSend(); err != nil {
		return fmt.Errorf("grpc: upload: %w", err)
	}
	if err := st.RecvMsg(new(emptypb.Empty)); err != nil {
		return fmt.Errorf("grpc: upload: %w", err)
	}
	return nil
}

func memoryChunks(p []byte) func() ([]byte, error) {
	off := 0
	return func() ([]byte, error) {
		if off >= len(p) {
			return nil, nil
		}
		n := min(chunkSize, len(p)-off)
		off += n
		return p[off-n : off], nil
	}
}

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func (c *client) Prepare(_ context.Context, b competitors.Benchmark) (competitors.Op, error) {
	sc := b.Scenario
	switch sc.Kind {
	case scenarios.FastReply:
		// A unary call answered by an empty message and status OK: gRPC has
		// no response without a message, so this is its shortest answer.
		return func(ctx context.Context) error {
			if err := c.pick().Invoke(ctx, methodFast, empty, new(emptypb.Empty)); err != nil {
				return fmt.Errorf("grpc: fast: %w", err)
			}
			return nil
		}, nil
	case scenarios.Regular:
		return func(ctx context.Context) error {
			out := new(wrapperspb.BytesValue)
			if err := c.pick().Invoke(ctx, methodPing, empty, out); err != nil {
				return fmt.Errorf("grpc: ping: %w", err)
			}
			if c.cfg.Verify && !bytes.Equal(out.Value, pong) {
				return fmt.Errorf("grpc: ping answered %q", out.Value)
			}
			return nil
		}, nil
	case scenarios.Data, scenarios.File:
		if sc.Source == scenarios.FS {
			path, err := c.cfg.Payloads.Path(sc.Size)
			if err != nil {
				return nil, fmt.Errorf("grpc: %w", err)
			}
			return func(ctx context.Context) error {
				f, err := os.Open(path)
				if err != nil {
					return fmt.Errorf("grpc: open payload: %w", err)
				}
				defer f.Close()
				bp := chunkPool.Get().(*[]byte)
				defer chunkPool.Put(bp)
				return c.upload(ctx, func() ([]byte, error) {
					n, err := io.ReadFull(f, *bp)
					if n > 0 {
						return (*bp)[:n], nil
					}
					if err == io.EOF {
						return nil, nil
					}
					return nil, fmt.Errorf("grpc: read payload: %w", err)
				})
			}, nil
		}
		payload := c.cfg.Payloads.Bytes(sc.Size)
		return func(ctx context.Context) error { return c.upload(ctx, memoryChunks(payload)) }, nil
	case scenarios.StreamEcho:
		payload := c.cfg.Payloads.Bytes(sc.Size)
		return func(ctx context.Context) error { return c.echo(ctx, payload) }, nil
	}
	return nil, fmt.Errorf("grpc: scenario %q is not supported", sc.ID)
}

// echo sends payload in chunks on a bidirectional stream, half-closes, and
// reads the echo to the end (the server's status), comparing with Verify.
func (c *client) echo(ctx context.Context, payload []byte) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.pick().NewStream(ctx, echoDesc, methodEcho)
	if err != nil {
		return fmt.Errorf("grpc: echo: %w", err)
	}
	// Send from a goroutine while reading, as a streaming echo must: the
	// windows would otherwise bound the payload size.
	sent := make(chan error, 1)
	go func() {
		next := memoryChunks(payload)
		for {
			chunk, _ := next()
			if chunk == nil {
				sent <- st.CloseSend()
				return
			}
			if err := st.SendMsg(&wrapperspb.BytesValue{Value: chunk}); err != nil {
				sent <- err
				return
			}
		}
	}()
	got := 0
	for {
		m := new(wrapperspb.BytesValue)
		err := st.RecvMsg(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			cancel()
			<-sent
			return fmt.Errorf("grpc: echo: %w", err)
		}
		if c.cfg.Verify && (got+len(m.Value) > len(payload) || !bytes.Equal(m.Value, payload[got:got+len(m.Value)])) {
			cancel()
			<-sent
			return errors.New("grpc: echo differs from what was sent")
		}
		got += len(m.Value)
	}
	if err := <-sent; err != nil && err != io.EOF {
		return fmt.Errorf("grpc: echo: send: %w", err)
	}
	if got != len(payload) {
		return fmt.Errorf("grpc: echo of %d bytes, sent %d", got, len(payload))
	}
	return nil
}
