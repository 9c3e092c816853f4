package http2

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// TestBatchConnOrder writes numbered records from several goroutines and
// checks that the peer receives every record whole, each writer's in order,
// and that waitWritten returns once everything written before it is out.
func TestBatchConnOrder(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	bc := newBatchConn(a)
	defer bc.Close()
	const writers, records = 8, 200
	const recLen = 64
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, writers*records*recLen)
		_, _ = io.ReadFull(b, buf)
		got <- buf
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := make([]byte, recLen)
			for i := range records {
				binary.BigEndian.PutUint32(rec[0:], uint32(w))
				binary.BigEndian.PutUint32(rec[4:], uint32(i))
				if _, err := bc.Write(rec); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := bc.waitWritten(ctx, bc.queuedBytes()); err != nil {
		t.Fatal(err)
	}
	if q := bc.queuedBytes(); q != writers*records*recLen {
		t.Fatalf("queued %d bytes, want %d", q, writers*records*recLen)
	}
	var buf []byte
	select {
	case buf = <-got:
	case <-time.After(time.Minute):
		t.Fatal("the peer did not receive every byte within a minute")
	}
	next := make([]int, writers)
	for off := 0; off < len(buf); off += recLen {
		w := int(binary.BigEndian.Uint32(buf[off:]))
		i := int(binary.BigEndian.Uint32(buf[off+4:]))
		if w >= writers || i != next[w] || !bytes.Equal(buf[off+8:off+recLen], make([]byte, recLen-8)) {
			t.Fatalf("record at %d: writer %d number %d, want number %d of a whole record", off, w, i, next[min(w, writers-1)])
		}
		next[w]++
	}
}

// TestBatchConnStalledPeer checks the bounds when the peer stops reading:
// Write waits once maxBatch bytes are buffered, waitWritten gives up with
// its context, and Close ends both with an error instead of hanging.
func TestBatchConnStalledPeer(t *testing.T) {
	a, b := net.Pipe() // nobody reads b
	defer b.Close()
	bc := newBatchConn(a)
	chunk := make([]byte, 64<<10)
	wrote := make(chan int, 1)
	go func() {
		n := 0
		for ; n < 100; n++ { // 6.4 MiB: far past maxBatch plus the loop's batch
			if _, err := bc.Write(chunk); err != nil {
				break
			}
		}
		wrote <- n
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := bc.waitWritten(ctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waitWritten with a stalled peer: %v, want the context's deadline", err)
	}
	_ = bc.Close()
	var n int
	select {
	case n = <-wrote:
	case <-time.After(time.Minute):
		t.Fatal("Write still blocked a minute after Close")
	}
	// The loop holds one batch (at most maxBatch) in its blocked write, the
	// buffer at most maxBatch more (a first chunk always fits).
	if n*len(chunk) > 2*maxBatch+2*len(chunk) {
		t.Fatalf("%d bytes accepted while the peer read nothing, bound %d", n*len(chunk), 2*maxBatch)
	}
	if _, err := bc.Write(chunk); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	if err := bc.waitWritten(context.Background(), bc.queuedBytes()); err == nil {
		t.Fatal("waitWritten for bytes never written returned no error after Close")
	}
}
