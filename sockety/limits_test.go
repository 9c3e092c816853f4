package sockety_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// Each configurable limit of Options, at its value and one above. Most
// "one above" inputs, sent by a raw peer, are the hostileInputs marked
// with their limit (run against server and client there); here the value
// itself must be accepted from a real client and the connection must stay
// usable.

func TestLimitsAtBoundAccepted(t *testing.T) {
	checkLeaks(t)
	addr, errs := errServer(t, &sockety.Options{MaxActionLength: 16, MaxFiles: 4, Channels: 16})
	c := dial(t, addr, nil)
	if got := c.PeerChannels(); got != 16 {
		t.Fatalf("server announced %d channels, want 16", got)
	}
	files := make([]sockety.OutFile, 4)
	for i := range files {
		files[i] = sockety.OutFile{Name: "f", Data: []byte{byte(i)}}
	}
	rep, err := c.Call(tctx(t), &sockety.Outgoing{Action: strings.Repeat("a", 16), Files: files})
	if err != nil || rep.Code != sockety.NotImplemented {
		t.Fatalf("message at the limits: %+v %v", rep, err)
	}
	// 16 concurrent calls use all 16 channels.
	done := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			_, err := c.Call(tctx(t), &sockety.Outgoing{Action: "fast"})
			done <- err
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	noErr(t, errs, "server error")
}

func TestLimitsAboveBoundRejected(t *testing.T) {
	var cases []hostileInput
	for _, tc := range hostileInputs() {
		if tc.limit != "" {
			tc.name = tc.limit
			cases = append(cases, tc)
		}
	}
	cases = append(cases, hostileInput{name: "MaxBufferedBytes (headers)", opts: sockety.Options{MaxBufferedBytes: 32 << 10}, input: func(t *testing.T) []byte {
		var b []byte
		for ch := 0; ch < 4; ch++ {
			b = cat(b, must(wire.AppendSwitchChannel(nil, ch)), pkt(t, wire.MessageHeader{Action: strings.Repeat("z", 10<<10), DataSize: 1}))
		}
		return b
	}, class: sockety.ErrLimit})
	for _, tc := range cases {
		tc.protocol = true
		t.Run(tc.name, func(t *testing.T) {
			err := attackServer(t, tc)
			if !errors.Is(err, wire.ErrLimit) && !errors.Is(err, sockety.ErrLimit) && !errors.Is(err, wire.ErrChannelRange) {
				t.Fatalf("error %v is not a limit error", err)
			}
		})
	}
}

// TestLimitBufferedPayload: a handler that does not read its payload
// holds at most MaxBufferedBytes of it in memory; the sender is slowed
// (backpressure), nothing is lost once the handler reads, and the
// connection never fails.
func TestLimitBufferedPayload(t *testing.T) {
	checkLeaks(t)
	const total = 32 << 20
	release := make(chan struct{})
	got := make(chan int64, 1)
	r := sockety.NewRouter()
	r.HandleFunc("hold", func(m *sockety.Message) {
		<-release
		n, _ := io.Copy(io.Discard, m.Data())
		got <- n
	})
	ts := startServer(t, r, &sockety.Options{MaxBufferedBytes: 256 << 10, MaxMessageBuffer: 64 << 10}, nil)
	c := dial(t, ts.addr, nil)
	before := heapNow()
	passed := make(chan error, 1)
	go func() {
		passed <- c.Pass(tctx(t), &sockety.Outgoing{Action: "hold", DataReader: zeros{}, DataSize: total})
	}()
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-passed:
		t.Fatalf("32 MiB passed to a handler that reads nothing: %v", err)
	default:
	}
	// Client write queue + server buffer + codec, far below 32 MiB.
	checkHeapBound(t, before, 12<<20)
	close(release)
	if n := recvWithin(t, got, 20*time.Second, "handler did not get the payload"); n != total {
		t.Fatalf("handler read %d bytes, want %d", n, total)
	}
	if err := <-passed; err != nil {
		t.Fatal(err)
	}
}

// TestLimitTimeouts: IdleTimeout and HeaderTimeout end a silent peer in
// bounded time with their typed errors; negative IdleTimeout disables it.
func TestLimitTimeouts(t *testing.T) {
	t.Run("HeaderTimeout", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, &sockety.Options{HeaderTimeout: 200 * time.Millisecond})
		_ = rawDial(t, addr)
		errWithin(t, errs, sockety.ErrHeaderTimeout, 2*time.Second, "header timeout")
	})
	t.Run("IdleTimeout", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, &sockety.Options{IdleTimeout: 300 * time.Millisecond})
		mustWrite(t, rawDial(t, addr), []byte{0xE3})
		errWithin(t, errs, sockety.ErrIdleTimeout, 2*time.Second, "idle timeout")
	})
	t.Run("IdleTimeout disabled", func(t *testing.T) {
		checkLeaks(t)
		addr, errs := errServer(t, &sockety.Options{IdleTimeout: -1})
		c := dial(t, addr, &sockety.Options{HeartbeatInterval: -1})
		time.Sleep(700 * time.Millisecond)
		noErr(t, errs, "server error")
		healthy(t, c)
	})
}
