package clientcases

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
	"github.com/sockety-harness/sockety-harness/sockety"
)

// runWith runs the client suite with client(addr) as the client under test.
func runWith(t *testing.T, client func(addr string)) map[string]*runner.Result {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ss := NewSession(ln, 5*time.Second)
	go client(ln.Addr().String())
	rs := runner.Run(context.Background(), Cases(ss), runner.Options{Strict: true})
	out := map[string]*runner.Result{}
	for _, r := range rs {
		out[r.ID] = r
	}
	return out
}

func rawClient(t *testing.T, b []byte) func(addr string) {
	return func(addr string) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		defer nc.Close()
		nc.Write(b)
		time.Sleep(200 * time.Millisecond)
	}
}

func wantFail(t *testing.T, rs map[string]*runner.Result, id, reason string) {
	t.Helper()
	r := rs[id]
	if r == nil || r.Verdict != runner.Fail || !strings.Contains(r.Reason, reason) {
		t.Errorf("%s: %+v, want FAIL containing %q", id, r, reason)
	}
}

// The client suite has teeth: broken clients are caught by the right cases.
func TestBrokenClientsAreCaught(t *testing.T) {
	t.Run("bad-header", func(t *testing.T) {
		rs := runWith(t, rawClient(t, []byte{0xF3, 0x01}))
		wantFail(t, rs, "header/1", "no valid connection header")
		wantFail(t, rs, "header/3", "first byte is not a connection header")
		wantFail(t, rs, "message/1", "no message for step 1")
	})
	t.Run("ping-expects-and-not-v4", func(t *testing.T) {
		id := raw.NewID()
		id[6] = 0x11
		h := raw.Head{ID: id, Action: []byte("ping"), Expects: true}
		rs := runWith(t, rawClient(t, h.Start(raw.Header(4096))))
		wantFail(t, rs, "message/1", "wrong expects-response bit")
		wantFail(t, rs, "message/2", "UUID is not version 4")
		wantFail(t, rs, "message/5", "no message for step 2")
	})
	t.Run("channel-over-limit", func(t *testing.T) {
		h := raw.Head{ID: raw.NewID(), Action: []byte("ping")}
		rs := runWith(t, rawClient(t, h.Start(raw.Switch(raw.Header(4096), RunnerChannels, false))))
		wantFail(t, rs, "multiplexing/5", "client wrote invalid bytes")
	})
	t.Run("wrong-contract-handler", func(t *testing.T) {
		bad := sockety.HandlerFunc(func(m *sockety.Message) {
			if m.ExpectsResponse() {
				_ = m.FastReply(context.Background(), 1)
			}
		})
		rs := runWith(t, func(addr string) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = runScript(ctx, addr, nil, bad)
		})
		wantFail(t, rs, "serve/1", "wrong fast reply code")
		wantFail(t, rs, "serve/4", "no Response to the runner's `echo`")
		if rs["fastreply/1"].Verdict != runner.Pass {
			t.Errorf("fastreply/1 should still pass: %+v", rs["fastreply/1"])
		}
	})
}
