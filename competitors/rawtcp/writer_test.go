package rawtcp

import (
	"net"
	"testing"
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
		e := entry{payload: payload}
		putHeader(&e.hdr, kindOneWay, 0, len(payload))
		bt, err := w.send(e, false)
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
