// Package conformance_test sends every invalid golden vector, as a hostile
// peer on loopback, to the reference implementation's server and client.
package conformance_test

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/vectors"
	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

func invalidVectors(t *testing.T) []*vectors.Vector {
	t.Helper()
	files, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []*vectors.Vector
	for _, v := range vectors.All(files) {
		if !v.Valid() {
			out = append(out, v)
		}
	}
	if len(out) < 40 {
		t.Fatalf("only %d invalid vectors", len(out))
	}
	return out
}

// optionsFor maps a vector's reader options onto sockety.Options; ok is
// false when sockety has no matching option.
func optionsFor(v *vectors.Vector) (sockety.Options, bool) {
	o := v.Options
	if o.MaxFileNameBytes != 0 {
		return sockety.Options{}, false // file names are bounded only by the protocol (65535)
	}
	return sockety.Options{Channels: o.MaxChannels, MaxActionLength: o.MaxActionBytes, MaxFiles: o.MaxFiles,
		HeaderTimeout: 2 * time.Second}, true
}

// wireBytes is what the hostile peer sends: the vector, after a header
// when the vector has none.
func wireBytes(v *vectors.Vector) []byte {
	if v.Options.Header {
		return v.Bytes
	}
	return append([]byte{0xE3}, v.Bytes...)
}

func leaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				t.Errorf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func heap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func checkVectorErr(t *testing.T, v *vectors.Vector, err error) {
	t.Helper()
	var pe *sockety.ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *sockety.ProtocolError", err)
	}
	if want := vectors.ErrorClass(v.Error.Class); !errors.Is(err, want) {
		t.Fatalf("error %v, want class %s", err, v.Error.Class)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// eachInvalid runs test as a subtest (with the goroutine check) for every
// invalid vector whose reader options sockety has.
func eachInvalid(t *testing.T, test func(t *testing.T, v *vectors.Vector, o sockety.Options)) {
	for _, v := range invalidVectors(t) {
		o, ok := optionsFor(v)
		if !ok {
			continue
		}
		t.Run(v.Group+"/"+v.Name, func(t *testing.T) {
			leaks(t)
			test(t, v, o)
		})
	}
}

// onLoopback runs serve on a new loopback listener in the background; when
// the test ends, stop ends it and serve's return is awaited. It returns the
// listener's address.
func onLoopback(t *testing.T, serve, stop func(ln net.Listener)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var served sync.WaitGroup
	served.Go(func() { serve(ln) })
	t.Cleanup(func() {
		stop(ln)
		served.Wait()
	})
	return ln.Addr().String()
}

func TestInvalidVectorsAgainstServer(t *testing.T) {
	eachInvalid(t, func(t *testing.T, v *vectors.Vector, o sockety.Options) {
		before := heap()
		errs := make(chan error, 4)
		o.OnError = func(_ *sockety.Conn, err error) {
			select {
			case errs <- err:
			default:
			}
		}
		srv := &sockety.Server{Handler: contract.NewContractHandler(), Options: &o}
		addr := onLoopback(t, func(ln net.Listener) { _ = srv.Serve(ln) }, func(net.Listener) { _ = srv.Close() })
		good, err := sockety.Dial(ctx(t), "tcp", addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer good.Close()
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if _, err := nc.Write(wireBytes(v)); err != nil {
			t.Fatal(err)
		}
		_ = nc.(*net.TCPConn).CloseWrite()
		select {
		case err := <-errs:
			checkVectorErr(t, v, err)
		case <-time.After(5 * time.Second):
			t.Fatal("no connection error")
		}
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, nc); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("not closed: %v", err)
		}
		if rep, err := good.Call(ctx(t), &sockety.Outgoing{Action: "fast"}); err != nil || rep.Code != sockety.Accept {
			t.Fatalf("healthy connection: %+v %v", rep, err)
		}
		if grow := heap() - before; grow > 64<<20 {
			t.Fatalf("heap grew by %d", grow)
		}
	})
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "read"
}

func TestInvalidVectorsAgainstClient(t *testing.T) {
	eachInvalid(t, func(t *testing.T, v *vectors.Vector, o sockety.Options) {
		addr := onLoopback(t, func(ln net.Listener) {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
			_, _ = nc.Write(wireBytes(v))
			_ = nc.(*net.TCPConn).CloseWrite()
			_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.Copy(io.Discard, nc)
		}, func(ln net.Listener) { _ = ln.Close() })
		c, err := sockety.Dial(ctx(t), "tcp", addr, &o)
		if err != nil {
			checkVectorErr(t, v, err)
			return
		}
		defer c.Close()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("client connection still open")
		}
		checkVectorErr(t, v, c.Err())
	})
}
