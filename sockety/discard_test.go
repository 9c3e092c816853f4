package sockety_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
)

// TestDiscardCounts: Payload.Discard drops the rest of a payload that is
// still arriving (without buffering it for the handler) and returns how many
// bytes that was, for data, a file and a stream, after part of it was read
// with Read; an aborted message makes it return ErrAborted.
func TestDiscardCounts(t *testing.T) {
	checkLeaks(t)
	type result struct {
		n   int64
		err error
	}
	got := make(chan result, 4)
	readFirst := func(p io.Reader) int64 {
		buf := make([]byte, 1000)
		n, _ := io.ReadFull(p, buf)
		return int64(n)
	}
	r := sockety.NewRouter()
	r.HandleFunc("data", func(m *sockety.Message) {
		k := readFirst(m.Data())
		n, err := m.Data().Discard()
		got <- result{k + n, err}
	})
	r.HandleFunc("file", func(m *sockety.Message) {
		f := &m.Files()[0]
		k := readFirst(f)
		n, err := f.Discard()
		got <- result{k + n, err}
	})
	r.HandleFunc("stream", func(m *sockety.Message) {
		k := readFirst(m.Stream())
		n, err := m.Stream().Discard()
		got <- result{k + n, err}
	})
	ts := startServer(t, r, &sockety.Options{MaxMessageBuffer: 64 << 10}, nil)
	c := dial(t, ts.addr, nil)
	const size = 3<<20 + 17
	payload := bytes.Repeat([]byte{7}, size)
	tests := []struct {
		name string
		o    *sockety.Outgoing
	}{
		{"data", &sockety.Outgoing{Action: "data", DataReader: bytes.NewReader(payload), DataSize: size}},
		{"file", &sockety.Outgoing{Action: "file", Files: []sockety.OutFile{{Name: "f", Reader: bytes.NewReader(payload), Size: size}}}},
		{"stream", &sockety.Outgoing{Action: "stream", StreamReader: bytes.NewReader(payload)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Pass(tctx(t), tc.o); err != nil {
				t.Fatal(err)
			}
			select {
			case res := <-got:
				if res.err != nil || res.n != size {
					t.Fatalf("read + discarded %d bytes, %v; want %d, nil", res.n, res.err, size)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("handler did not finish")
			}
		})
	}
	t.Run("aborted", func(t *testing.T) {
		ctx, cancel := context.WithCancel(tctx(t))
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write(make([]byte, 200000))
			cancel() // give up half-way: the message is aborted
			time.Sleep(50 * time.Millisecond)
			_ = pw.CloseWithError(errors.New("stop"))
		}()
		if err := c.Pass(ctx, &sockety.Outgoing{Action: "data", DataReader: pr, DataSize: 10 << 20}); err == nil {
			t.Fatal("pass succeeded")
		}
		select {
		case res := <-got:
			if !errors.Is(res.err, sockety.ErrAborted) || res.n <= 0 || res.n >= 10<<20 {
				t.Fatalf("discard of an aborted message: %d bytes, %v", res.n, res.err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("handler did not see the abort")
		}
	})
}
