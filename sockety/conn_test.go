package sockety_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/contract"
)

type fileSpec struct {
	name string
	size int
}

func TestMessageShapes(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	c := dial(t, ts.addr, nil)
	dataSizes := []int{0, 1, 255, 256, 65535, 65536, 65537, 300000}
	fileSets := [][]fileSpec{
		nil,
		{{"empty.bin", 0}},
		{{"zażółć gęślą jaźń.txt", 100}, {"空.dat", 0}},
		{{"a", 255}, {"b", 256}, {"c", 70000}},
	}
	for _, ds := range dataSizes {
		for fi, fs := range fileSets {
			for _, stream := range []bool{false, true} {
				for _, fromReader := range []bool{false, true} {
					name := fmt.Sprintf("data%d/files%d/stream%v/reader%v", ds, fi, stream, fromReader)
					t.Run(name, func(t *testing.T) {
						roundTrip(t, c, ds, fs, stream, fromReader)
					})
				}
			}
		}
	}
}

func roundTrip(t *testing.T, c *sockety.Conn, ds int, fs []fileSpec, stream, fromReader bool) {
	ctx := tctx(t)
	data := pattern(ds, 1)
	o := &sockety.Outgoing{Action: "echo", Stream: stream}
	if fromReader {
		o.DataReader, o.DataSize = bytes.NewReader(data), int64(ds)
	} else {
		o.Data = data
	}
	var contents [][]byte
	for i, f := range fs {
		b := pattern(f.size, byte(i+2))
		contents = append(contents, b)
		of := sockety.OutFile{Name: f.name}
		if fromReader {
			of.Reader, of.Size = bytes.NewReader(b), int64(f.size)
		} else {
			of.Data = b
		}
		o.Files = append(o.Files, of)
	}
	req, err := c.Send(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	streamData := pattern(3*ds/2+10, 9)
	if stream {
		sw := req.Stream()
		if sw == nil {
			t.Fatal("no stream writer")
		}
		go func() {
			// Write in uneven pieces.
			b := streamData
			for len(b) > 0 {
				n := min(len(b), 7000)
				if _, err := sw.Write(b[:n]); err != nil {
					return
				}
				b = b[n:]
			}
			_ = sw.Close()
		}()
	}
	rep, err := req.Response(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.IsFast() {
		t.Fatalf("fast reply %v, want a response", rep.Code)
	}
	r := rep.Response
	if r.Parent != req.ID() {
		t.Fatalf("parent %v, want %v", r.Parent, req.ID())
	}
	got, err := r.Data().Bytes()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("data: %d bytes, err %v; want %d bytes", len(got), err, len(data))
	}
	if len(r.Files()) != len(fs) {
		t.Fatalf("%d files, want %d", len(r.Files()), len(fs))
	}
	for i := range r.Files() {
		f := &r.Files()[i]
		b, err := f.Bytes()
		if err != nil || f.Name != fs[i].name || !bytes.Equal(b, contents[i]) {
			t.Fatalf("file %d: %q %d bytes err %v; want %q %d bytes", i, f.Name, len(b), err, fs[i].name, fs[i].size)
		}
	}
	if stream != r.HasStream() {
		t.Fatalf("response stream %v, want %v", r.HasStream(), stream)
	}
	if stream {
		b, err := r.Stream().Bytes()
		if err != nil || !bytes.Equal(b, streamData) {
			t.Fatalf("stream: %d bytes err %v; want %d", len(b), err, len(streamData))
		}
	}
}

func TestFastReplyCodes(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	c := dial(t, ts.addr, nil)
	for _, code := range []int{0, 1, 5, 15, 16, 255, 256, 4095} {
		rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "code", Data: []byte(strconv.Itoa(code))})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.IsFast() || int(rep.Code) != code {
			t.Fatalf("code %d: got %+v", code, rep)
		}
	}
	rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
	if err != nil || !rep.IsFast() || rep.Code != sockety.Accept {
		t.Fatalf("fast: %+v %v", rep, err)
	}
	rep, err = c.Call(tctx(t), &sockety.Outgoing{Action: "nope"})
	if err != nil || !rep.IsFast() || rep.Code != sockety.NotImplemented {
		t.Fatalf("unknown: %+v %v", rep, err)
	}
	if err := c.Pass(tctx(t), &sockety.Outgoing{Action: "ping"}); err != nil {
		t.Fatal(err)
	}
}

func TestSeveralResponsesAndReplyToResponse(t *testing.T) {
	checkLeaks(t)
	gotBack := make(chan sockety.Reply, 1)
	r := sockety.NewRouter()
	r.HandleFunc("multi", func(m *sockety.Message) {
		ctx := context.Background()
		_ = m.FastReply(ctx, 16)
		_ = m.Respond(ctx, &sockety.Outgoing{Data: []byte("one")})
		req, err := m.RespondStart(ctx, &sockety.Outgoing{Data: []byte("two")}, true)
		if err != nil {
			return
		}
		rep, err := req.Response(ctx)
		if err == nil {
			gotBack <- rep
		}
	})
	ts := startServer(t, r, nil, nil)
	c := dial(t, ts.addr, nil)
	ctx := tctx(t)
	req, err := c.SendMulti(ctx, &sockety.Outgoing{Action: "multi"})
	if err != nil {
		t.Fatal(err)
	}
	defer req.Close()
	rep, err := req.Response(ctx)
	if err != nil || !rep.IsFast() || rep.Code != 16 {
		t.Fatalf("first: %+v %v", rep, err)
	}
	for _, want := range []string{"one", "two"} {
		rep, err = req.Response(ctx)
		if err != nil || rep.IsFast() {
			t.Fatalf("%s: %+v %v", want, rep, err)
		}
		b, _ := rep.Response.Data().Bytes()
		if string(b) != want {
			t.Fatalf("got %q want %q", b, want)
		}
		if want == "two" {
			if !rep.Response.ExpectsResponse() {
				t.Fatal("response should expect a response")
			}
			if err := rep.Response.FastReply(ctx, 77); err != nil {
				t.Fatal(err)
			}
		}
	}
	select {
	case back := <-gotBack:
		if !back.IsFast() || back.Code != 77 {
			t.Fatalf("reply to response: %+v", back)
		}
	case <-ctx.Done():
		t.Fatal("no reply to the response")
	}
}

func TestServerSendsToClient(t *testing.T) {
	checkLeaks(t)
	result := make(chan error, 1)
	srv := &sockety.Server{Handler: contract.NewContractHandler(), OnConnect: func(c *sockety.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, err := c.Start(ctx, &sockety.Outgoing{Action: "hello", Data: []byte("from server"), Stream: true}, true)
		if err != nil {
			result <- err
			return
		}
		_, _ = req.Stream().Write([]byte("streamed"))
		_ = req.Stream().Close()
		rep, err := req.Response(ctx)
		if err == nil && (rep.IsFast() || rep.Response == nil) {
			err = fmt.Errorf("got %+v", rep)
		}
		if err == nil {
			b, _ := rep.Response.Data().Bytes()
			if string(b) != "from server|streamed" {
				err = fmt.Errorf("response data %q", b)
			}
		}
		result <- err
	}}
	ts2 := serveWith(t, srv)
	client := sockety.NewRouter()
	client.HandleFunc("hello", func(m *sockety.Message) {
		d, _ := m.Data().Bytes()
		s, _ := m.Stream().Bytes()
		_ = m.Respond(context.Background(), &sockety.Outgoing{Data: append(append(d, '|'), s...)})
	})
	_ = dial(t, ts2, &sockety.Options{Handler: client})
	select {
	case err := <-result:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("timeout")
	}
}

func TestConcurrentSends(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	conns := []*sockety.Conn{dial(t, ts.addr, nil), dial(t, ts.addr, nil)}
	const total = 10000
	var wg sync.WaitGroup
	var failed atomic.Int64
	ctx := tctx(t)
	for i := 0; i < total; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := conns[i%2]
			switch i % 4 {
			case 0:
				rep, err := c.Call(ctx, &sockety.Outgoing{Action: "fast"})
				if err != nil || !rep.IsFast() || rep.Code != 0 {
					failed.Add(1)
				}
			case 1:
				d := []byte(strconv.Itoa(i))
				rep, err := c.Call(ctx, &sockety.Outgoing{Action: "echo", Data: d})
				if err != nil || rep.IsFast() {
					failed.Add(1)
					return
				}
				b, _ := rep.Response.Data().Bytes()
				if !bytes.Equal(b, d) {
					failed.Add(1)
				}
			case 2:
				if err := c.Pass(ctx, &sockety.Outgoing{Action: "ping"}); err != nil {
					failed.Add(1)
				}
			case 3:
				rep, err := c.Call(ctx, &sockety.Outgoing{Action: "code", Data: []byte(strconv.Itoa(i % 4096))})
				if err != nil || !rep.IsFast() || int(rep.Code) != i%4096 {
					failed.Add(1)
				}
			}
		}(i)
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d operations failed", n, total)
	}
}

func TestTLS(t *testing.T) {
	checkLeaks(t)
	scfg, ccfg := selfSigned(t)
	ts := startServer(t, contract.NewContractHandler(), nil, scfg)
	ctx := tctx(t)
	c, err := sockety.DialTLS(ctx, "tcp", ts.addr, ccfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rep, err := c.Call(ctx, &sockety.Outgoing{Action: "echo", Data: pattern(200000, 3)})
	if err != nil || rep.IsFast() {
		t.Fatalf("%+v %v", rep, err)
	}
	b, _ := rep.Response.Data().Bytes()
	if !bytes.Equal(b, pattern(200000, 3)) {
		t.Fatal("echo mismatch over TLS")
	}
	// A client that does not trust the certificate fails the handshake.
	if _, err := sockety.DialTLS(ctx, "tcp", ts.addr, &tls.Config{MinVersion: tls.VersionTLS12}, nil); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
}

func TestGoAwayShutdown(t *testing.T) {
	checkLeaks(t)
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	r := sockety.NewRouter()
	r.HandleFunc("slow", func(m *sockety.Message) {
		started <- struct{}{}
		<-release
		_ = m.FastReply(context.Background(), sockety.Accept)
	})
	ts := startServer(t, r, nil, nil)
	c := dial(t, ts.addr, nil)
	ctx := tctx(t)
	req, err := c.Send(ctx, &sockety.Outgoing{Action: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	shut := make(chan error, 1)
	go func() { shut <- ts.srv.Shutdown(ctx) }()
	// The client learns about Go Away and refuses new messages.
	deadline := time.Now().Add(5 * time.Second)
	for !c.PeerGoingAway() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !c.PeerGoingAway() {
		t.Fatal("no Go Away received")
	}
	if _, err := c.Send(ctx, &sockety.Outgoing{Action: "slow"}); !errors.Is(err, sockety.ErrGoingAway) {
		t.Fatalf("send after Go Away: %v", err)
	}
	close(release)
	rep, err := req.Response(ctx)
	if err != nil || !rep.IsFast() || rep.Code != sockety.Accept {
		t.Fatalf("in-flight reply: %+v %v", rep, err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed after shutdown")
	}
}

func TestAbortMidPayload(t *testing.T) {
	checkLeaks(t)
	got := make(chan error, 1)
	r := sockety.NewRouter()
	r.HandleFunc("big", func(m *sockety.Message) {
		_, err := io.Copy(io.Discard, m.Data())
		got <- err
	})
	ts := startServer(t, r, nil, nil)
	c := dial(t, ts.addr, nil)
	ctx, cancel := context.WithCancel(tctx(t))
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(make([]byte, 200000))
		cancel() // give up half-way
		<-time.After(50 * time.Millisecond)
		_ = pw.CloseWithError(errors.New("stop"))
	}()
	err := c.Pass(ctx, &sockety.Outgoing{Action: "big", DataReader: pr, DataSize: 10 << 20})
	if err == nil {
		t.Fatal("pass succeeded")
	}
	select {
	case err := <-got:
		if !errors.Is(err, sockety.ErrAborted) {
			t.Fatalf("handler read error %v, want ErrAborted", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not see the abort")
	}
	// The connection still works.
	rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: "x"})
	if err != nil || rep.Code != sockety.NotImplemented {
		t.Fatalf("after abort: %+v %v", rep, err)
	}
}

func TestFastReplyDuringLargeTransfer(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, contract.NewContractHandler(), nil, nil)
	c := dial(t, ts.addr, nil)
	ctx := tctx(t)
	big := make([]byte, 64<<20)
	done := make(chan error, 1)
	go func() { done <- c.Pass(ctx, &sockety.Outgoing{Action: "ping", Data: big}) }()
	time.Sleep(20 * time.Millisecond)
	var worst time.Duration
	for i := 0; i < 20; i++ {
		start := time.Now()
		rep, err := c.Call(ctx, &sockety.Outgoing{Action: "fast"})
		if err != nil || !rep.IsFast() {
			t.Fatalf("%+v %v", rep, err)
		}
		worst = max(worst, time.Since(start))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Generous bound: a 64 MiB transfer over loopback takes far longer
	// than this when the fast replies wait behind it on a busy machine.
	if worst > 2*time.Second {
		t.Fatalf("fast reply took %v during the transfer", worst)
	}
	t.Logf("worst fast reply round trip during a 64 MiB transfer: %v", worst)
}

func serveWith(t testing.TB, srv *sockety.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		<-errc
	})
	return ln.Addr().String()
}

func TestCloseFromInlineHandler(t *testing.T) {
	checkLeaks(t)
	r := sockety.NewRouter()
	r.HandleInline("bye", func(m *sockety.Message) { _ = m.Conn().Close() })
	ts := startServer(t, r, nil, nil)
	c := dial(t, ts.addr, nil)
	if err := c.Pass(tctx(t), &sockety.Outgoing{Action: "bye"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server did not close the connection")
	}
}

// TestNoHandlerRefuses: a side without a handler answers every message
// that expects a response NotImplemented and drops the others, whether the
// message is its start packet alone or has payloads still arriving.
func TestNoHandlerRefuses(t *testing.T) {
	checkLeaks(t)
	ts := startServer(t, nil, nil, nil)
	c := dial(t, ts.addr, nil)
	for _, tc := range []struct {
		name string
		o    sockety.Outgoing
	}{
		{"empty", sockety.Outgoing{Action: "ping"}},
		{"data", sockety.Outgoing{Action: "ping", Data: []byte("hello")}},
		{"file", sockety.Outgoing{Action: "ping", Files: []sockety.OutFile{{Name: "a", Data: []byte("x")}}}},
		{"large data", sockety.Outgoing{Action: "ping", Data: make([]byte, 300<<10)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 {
				if err := c.Pass(tctx(t), &tc.o); err != nil {
					t.Fatalf("pass: %v", err)
				}
				rep, err := c.Call(tctx(t), &tc.o)
				if err != nil || !rep.IsFast() || rep.Code != sockety.NotImplemented {
					t.Fatalf("call: %+v %v, want NotImplemented", rep, err)
				}
			}
		})
	}
}
