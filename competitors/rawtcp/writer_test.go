package rawtcp

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestWriterBackpressure checks that frames sent without waiting stop
// piling up once maxQueued bytes wait for a peer that does not read.
func TestWriterBackpressure(t *testing.T) {
	a, b := net.Pipe() // writes block until the other end reads: it never does
	defer b.Close()
	w := newWriter(a)
	payload := make([]byte, 1024)
	limit := maxQueued/(hdrLen+len(payload)) + 2
	got := -1
	for i := 0; i < 4*limit; i++ {
		bt, err := w.send(kindOneWay, 0, payload, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		if bt != nil {
			got = i
			break
		}
	}
	if got < 0 || got > limit {
		t.Fatalf("sender asked to wait after %d frames, want by %d", got, limit)
	}
	_ = a.Close()
	w.close(errClosed)
}

// TestWriterFrames checks the bytes a writer puts on the wire for frames of
// every shape (1-byte heartbeats, copied small payloads, referenced big
// ones), in the order sent, and when each payload is released.
func TestWriterFrames(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	w := newWriter(a)
	small := bytes.Repeat([]byte{0x5a}, 100)
	big := bytes.Repeat([]byte{0xa5}, bigPayload)
	var want []byte
	smallReleased := false
	bigReleased := make(chan struct{})
	type frame struct {
		kind    byte
		id      uint32
		payload []byte
		release func()
	}
	frames := []frame{
		{kindHeartbeat, 0, nil, nil},
		{kindHeartbeat, 0, nil, nil},
		{kindData, 0, small, func() { smallReleased = true }},
		{kindHeartbeat, 0, nil, nil},
		{kindData, 0, big, func() { close(bigReleased) }},
		{kindFast, 3, nil, nil},
		{kindHeartbeat, 0, nil, nil},
	}
	// The reader starts first: net.Pipe's writes wait for it.
	got := make(chan []byte, 1)
	total := 0
	for _, f := range frames {
		want = appendHeader(want, f.kind, f.id, len(f.payload))
		want = append(want, f.payload...)
	}
	total = len(want)
	go func() {
		buf := make([]byte, total)
		_, _ = io.ReadFull(b, buf)
		got <- buf
	}()
	var last *batch
	for i, f := range frames {
		var bt *batch
		var err error
		if f.kind == kindHeartbeat && i < len(frames)-1 {
			bt, err = w.heartbeat() // the heartbeat path, and send, give the same byte
		} else {
			bt, err = w.send(f.kind, f.id, f.payload, f.release, i == len(frames)-1)
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.payload != nil && len(f.payload) < bigPayload && !smallReleased {
			t.Fatal("a small payload is copied: its release must run before send returns")
		}
		last = bt
	}
	if last == nil {
		t.Fatal("send with wait returned no batch")
	}
	select {
	case <-last.done:
	case <-time.After(time.Minute):
		t.Fatal("the batch was not written within a minute")
	}
	if last.err != nil {
		t.Fatal(last.err)
	}
	select {
	case <-bigReleased:
	case <-time.After(time.Minute):
		t.Fatal("the big payload was not released after its write")
	}
	if g := <-got; !bytes.Equal(g, want) {
		t.Fatalf("wire bytes differ:\n got %x\nwant %x", g, want)
	}
	_ = a.Close()
	w.close(errClosed)
	if _, err := w.send(kindHeartbeat, 0, nil, nil, false); err == nil {
		t.Fatal("send after close succeeded")
	}
	if _, err := w.heartbeat(); err == nil {
		t.Fatal("heartbeat after close succeeded")
	}
}
