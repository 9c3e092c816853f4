package servercases

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/mutants"
	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

// catches says which case must catch each mutant, with which reason, and whether only a
// strict run fails it (the mutant does something a lenient reading allows).
var catches = map[mutants.Mutation]struct {
	id, reason string
	strict     bool
}{
	mutants.FastWrongCode:      {"fastreply/1", "wrong fast reply code", false},
	mutants.CodeLowOnly:        {"fastreply/2.4", "wrong fast reply code", false},
	mutants.UnknownAccept:      {"fastreply/3", "wrong fast reply code", false},
	mutants.DropLastFile:       {"message/2.2", "echoed file count differs", false},
	mutants.DataShortByOne:     {"message/1.2", "echoed data differs", false},
	mutants.BadSizeWidth:       {"message/1.5", "server wrote invalid bytes", false},
	mutants.WrongChannel:       {"header/2", "server wrote invalid bytes", false},
	mutants.NoHeader:           {"header/7", "no valid connection header", false},
	mutants.StreamNotEnded:     {"message/4.1", "no answer to `echo` with stream: timed out", false},
	mutants.WrongParent:        {"message/6.1", "no answer to `echo`", false},
	mutants.IgnoreContinue:     {"splitting/1.3", "no answer to a split `echo`", false},
	mutants.PingReplies:        {"message/5.1", "answer to `ping`", false},
	mutants.Switch12AsLow:      {"multiplexing/3", "no answer to `echo`", false},
	mutants.BadControlByte:     {"header/7", "no valid connection header", false},
	mutants.DieOnUnknown:       {"robustness/1", "server no longer accepts connections", false},
	mutants.NotV4:              {"message/6.1", "Response UUID is not version 4", false},
	mutants.FilesReversed:      {"message/2.2", "echoed file 0 has another name", false},
	mutants.HeartbeatKills:     {"heartbeat/1", "no answer to `fast` after heartbeats", false},
	mutants.GoAwayDrops:        {"goaway/2", "no answer to `echo`", false},
	mutants.WideFastReply:      {"fastreply/1", "fast reply code below 16 in the 12-bit form", true},
	mutants.EmptyFileNoEnd:     {"message/2.4", "no answer to `echo`", false},
	mutants.StreamChunksMerged: {"message/4.4", "stream chunks are not echoed as they arrive", true},
}

// TestMutantsAreCaught runs the catching case against each broken server and checks it fails
// with the expected reason, and that the same case passes against the correct raw server.
func TestMutantsAreCaught(t *testing.T) {
	if len(catches) < 15 {
		t.Fatalf("only %d mutants", len(catches))
	}
	for _, m := range mutants.All() {
		c, ok := catches[m]
		if !ok {
			t.Errorf("mutant %s has no catching case", m)
			continue
		}
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			for _, mut := range []mutants.Mutation{m, mutants.None} {
				srv, err := mutants.Start("127.0.0.1:0", mut)
				if err != nil {
					t.Fatal(err)
				}
				cs, err := runner.Select(Cases(Target{Addr: srv.Addr()}), []string{c.id}, nil)
				if err != nil {
					t.Fatal(err)
				}
				rs := runner.Run(context.Background(), cs, runner.Options{CaseTimeout: 3 * time.Second, Strict: true})
				srv.Close()
				r := rs[0]
				if mut == mutants.None {
					if r.Verdict != runner.Pass {
						t.Errorf("%s against the correct server: %s %s", c.id, r.Verdict, r.Reason)
					}
					continue
				}
				want := runner.Fail
				if c.strict {
					want = runner.NonStrict
				}
				if r.Verdict != want || !strings.Contains(r.Reason, c.reason) {
					t.Errorf("%s: %s %q (actual %s, bytes %s), want %s containing %q", c.id, r.Verdict, r.Reason, r.Actual, r.Hex, want, c.reason)
				}
				if !r.Failed(true) {
					t.Errorf("%s does not fail a strict run", c.id)
				}
			}
		})
	}
}
