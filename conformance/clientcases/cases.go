package clientcases

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
)

type builder struct {
	ss    *Session
	cases []*runner.Case
}

// Cases returns the client catalogue evaluated over the session (which runs on first use).
func Cases(ss *Session) []*runner.Case {
	b := &builder{ss: ss}
	b.build()
	return b.cases
}

func (b *builder) add(id, section, desc, rule string, check func(t *runner.T, s *session)) {
	b.cases = append(b.cases, &runner.Case{ID: id, Section: section, Desc: desc, Rule: rule, Timeout: 90 * time.Second,
		Run: func(t *runner.T) {
			s := b.ss.get(t.Context())
			if s.c == nil {
				t.Fatal("no client connected", "a client connects and runs the script", s.err.Error(), nil)
			}
			check(t, s)
		}})
}

// need fails the case when the client's message(s) of step (0-based) never arrived.
func need(t *runner.T, s *session, step int) {
	if len(s.msgs[step]) == 0 {
		t.Fatal(fmt.Sprintf("no message for step %d (%s)", step+1, Steps[step]), "the script's message", s.errString(), tail(s.total))
	}
}

func tail(b []byte) []byte {
	if len(b) > 64 {
		return b[len(b)-64:]
	}
	return b
}

func msgOf(t *runner.T, s *session, step int) *raw.Obj {
	need(t, s, step)
	return s.msgs[step][0]
}

func checkAction(t *runner.T, o *raw.Obj, action string, expects, stream bool) {
	if string(o.Action) != action {
		t.Fatal("wrong action", fmt.Sprintf("%q", action), fmt.Sprintf("%q", o.Action), o.Raw)
	}
	if o.Expects != expects {
		t.Fatal("wrong expects-response bit", fmt.Sprint("C=", expects), fmt.Sprint("C=", o.Expects), o.Raw)
	}
	if o.HasStream != stream {
		t.Fatal("wrong stream bit", fmt.Sprint("B=", stream), fmt.Sprint("B=", o.HasStream), o.Raw)
	}
}

func checkData(t *runner.T, o *raw.Obj, want []byte) {
	if !bytes.Equal(o.Data, want) {
		t.Fatal("wrong data", fmt.Sprintf("%d bytes %s", len(want), runner.HexExcerpt(want[:min(16, len(want))])),
			fmt.Sprintf("%d bytes %s", len(o.Data), runner.HexExcerpt(o.Data[:min(16, len(o.Data))])), o.Raw)
	}
}

func reportOK(t *runner.T, s *session, step int) {
	need(t, s, 11)
	r, ok := s.report[step]
	if !ok {
		t.Fatal(fmt.Sprintf("report has no line for step %d", step+1), fmt.Sprintf("\"%d ok\"", step+1), "no line", nil)
	}
	if r != "ok" {
		t.Fatal(fmt.Sprintf("client reports step %d (%s) failed", step+1, Steps[step]), "ok", r, nil)
	}
}

const (
	secHeader = "Connection header"
	secMsg    = "Packet format: Message"
	secFiles  = "Packet format: Message / Files header"
	secFast   = "Packet format: Fast Reply"
	secResp   = "Packet format: Response"
	secMux    = "Multiplexing"
	secHB     = "Packet format: Heartbeat"
	secGA     = "Packet format: Go Away"
	secCont   = "Packet format: Continue"
)

func (b *builder) build() {
	b.add("header/1", secHeader, "client's connection header has a valid control byte",
		"control byte 0b111000AA", func(t *runner.T, s *session) {
			if len(s.hdr) == 0 {
				t.Fatal("no valid connection header", "0b111000AA", s.err.Error(), tail(s.total))
			}
		})
	b.add("header/2", secHeader, "client's channel count is 1-4096 in its smallest form",
		"count as uint8 (A=01) or uint16 (A=10), max 4096; 0 is invalid", func(t *runner.T, s *session) {
			if len(s.hdr) == 0 {
				t.Fatal("no valid connection header", "a header", "none", tail(s.total))
			}
			switch {
			case s.hdr[0] == 0xE1 && s.hdr[1] == 1, s.hdr[0] == 0xE2 && (int(s.hdr[1])|int(s.hdr[2])<<8) < 256,
				s.hdr[0] == 0xE2 && (int(s.hdr[1])|int(s.hdr[2])<<8) == 4096:
				t.Lenient("channel count not in its smallest form", "smallest form", fmt.Sprintf("% x", s.hdr), s.hdr)
			}
		})
	b.add("header/3", secHeader, "the header is the first thing the client writes",
		"after connection, both sides send the connection header", func(t *runner.T, s *session) {
			if len(s.total) == 0 || s.total[0]&0xFC != 0xE0 {
				t.Fatal("first byte is not a connection header", "0xE0-0xE3", fmt.Sprintf("% x", s.total[:min(1, len(s.total))]), tail(s.total))
			}
		})
	b.add("message/1", secMsg, "step 1: `ping` without expects-response, no payload",
		"C=0 when no response is wanted; D=00 and E=00 when there is no payload", func(t *runner.T, s *session) {
			o := msgOf(t, s, 0)
			checkAction(t, o, "ping", false, false)
			if o.HasData || len(o.Files) > 0 {
				t.Fatal("`ping` carries a payload", "no data, no files", fmt.Sprintf("data %d, files %d", o.DataSize, len(o.Files)), o.Raw)
			}
		})
	b.add("message/2", secMsg, "every client UUID is a version-4 UUID",
		"Message UUID: UUID v4 as 16 bytes", func(t *runner.T, s *session) {
			need(t, s, 0)
			for _, o := range allObjs(s) {
				if !raw.IsV4(o.ID) {
					t.Fatal("UUID is not version 4", "version nibble 4, variant 10", fmt.Sprintf("%x", o.ID), o.Raw)
				}
			}
		})
	b.add("message/3", secMsg, "client UUIDs are unique",
		"each message has its own UUID", func(t *runner.T, s *session) {
			need(t, s, 0)
			seen := map[[16]byte]bool{}
			for _, o := range allObjs(s) {
				if seen[o.ID] {
					t.Fatal("UUID used twice", "unique UUIDs", fmt.Sprintf("%x", o.ID), o.Raw)
				}
				seen[o.ID] = true
			}
		})
	b.add("message/4", secMsg, "client messages use the smallest widths",
		"smallest size fields (a lenient reading allows wider ones)", func(t *runner.T, s *session) {
			need(t, s, 0)
			for _, o := range allObjs(s) {
				if len(o.NonMinimal) > 0 {
					t.Lenient("a field is wider than needed", "smallest widths", strings.Join(o.NonMinimal, "; "), o.Raw)
				}
			}
		})
	b.add("message/5", secMsg, "step 2: `fast` expects a response, no payload",
		"C=1 when a response is wanted", func(t *runner.T, s *session) {
			o := msgOf(t, s, 1)
			checkAction(t, o, "fast", true, false)
			checkData(t, o, nil)
		})
	for i, code := range []string{"15", "16", "4095"} {
		step := 2 + i
		code := code
		b.add(fmt.Sprintf("message/6.%d", i+1), secMsg, fmt.Sprintf("step %d: `code` with data %q (uint8 data size)", step+1, code),
			"payload size uint8 for 1-255 bytes; the data is the ASCII code", func(t *runner.T, s *session) {
				o := msgOf(t, s, step)
				checkAction(t, o, "code", true, false)
				checkData(t, o, []byte(code))
			})
	}
	b.add("message/7", secMsg, "step 6: `echo` with data \"hello\"",
		"the data is carried in Data packets after the content", func(t *runner.T, s *session) {
			o := msgOf(t, s, 5)
			checkAction(t, o, "echo", true, false)
			checkData(t, o, []byte("hello"))
		})
	b.add("message/8", secFiles, "step 7: `echo` with three files (one empty, one unicode name)",
		"file headers: size, name; File packets; File End for every file, also an empty one", func(t *runner.T, s *session) {
			o := msgOf(t, s, 6)
			checkAction(t, o, "echo", true, false)
			names, contents := ScriptFiles()
			if len(o.Files) != len(names) {
				t.Fatal("wrong file count", fmt.Sprint(len(names)), fmt.Sprint(len(o.Files)), o.Raw)
			}
			for i, f := range o.Files {
				if string(f.Name) != names[i] || !bytes.Equal(f.Data, contents[i]) || !f.Ended {
					t.Fatal(fmt.Sprintf("file %d differs", i), fmt.Sprintf("%q, %d bytes, ended", names[i], len(contents[i])),
						fmt.Sprintf("%q, %d bytes, ended=%v", f.Name, len(f.Data), f.Ended), o.Raw)
				}
			}
		})
	b.add("message/9", secMsg, "step 8: `echo` with 70000 bytes of data (uint48 data size)",
		"payload size header 11 (uint48) above 65535", func(t *runner.T, s *session) {
			o := msgOf(t, s, 7)
			checkAction(t, o, "echo", true, false)
			checkData(t, o, Pattern(BigData))
			if o.DataW != 6 {
				t.Fatal("wrong data size width", "6 bytes", fmt.Sprint(o.DataW, " bytes"), o.Raw)
			}
		})
	b.add("message/10", secMsg, "step 9: `echo` with a stream of \"alpha\", \"beta\", \"gamma\", then Stream End",
		"B=1 announces a stream; Stream packets then Stream End", func(t *runner.T, s *session) {
			o := msgOf(t, s, 8)
			checkAction(t, o, "echo", true, true)
			if string(o.StreamBytes()) != strings.Join(StreamChunks, "") || !o.StreamEnd {
				t.Fatal("wrong stream", strings.Join(StreamChunks, "")+" then Stream End", fmt.Sprintf("%q ended=%v", o.StreamBytes(), o.StreamEnd), o.Raw)
			}
		})
	b.add("message/11", secMsg, "step 12: `report` carries one line per step 2-11",
		"the script's report message", func(t *runner.T, s *session) {
			o := msgOf(t, s, 11)
			checkAction(t, o, "report", true, false)
			for step := 1; step <= 10; step++ {
				if _, ok := s.report[step]; !ok {
					t.Fatal(fmt.Sprintf("report has no line for step %d", step+1), "a line per step", string(o.Data), o.Raw)
				}
			}
		})
	b.add("message/12", secMsg, "the script's messages arrive in order",
		"the client runs the script step by step", func(t *runner.T, s *session) {
			need(t, s, 11)
			want := []string{"ping", "fast", "code", "code", "code", "echo", "echo", "echo", "echo", "echo", "echo", "report"}
			for i, ms := range s.msgs {
				for _, o := range ms {
					if string(o.Action) != want[i] {
						t.Fatal(fmt.Sprintf("step %d has action %q", i+1, o.Action), want[i], string(o.Action), o.Raw)
					}
				}
			}
		})
	b.add("multiplexing/1", secMux, "step 10: four stream messages in flight use four channels",
		"a busy channel cannot start another message", func(t *runner.T, s *session) {
			need(t, s, 9)
			chans := map[int]bool{}
			for _, o := range s.msgs[9] {
				checkAction(t, o, "echo", true, true)
				chans[o.Channel] = true
			}
			if len(chans) != ConcurrentStreams {
				t.Fatal("concurrent messages share channels", fmt.Sprint(ConcurrentStreams, " channels"), fmt.Sprint(len(chans), " channels"), nil)
			}
			for i, o := range s.msgs[9] {
				if want := fmt.Sprintf("s%d", i); string(o.StreamBytes()) != want {
					t.Fatal("wrong stream in step 10", want, string(o.StreamBytes()), o.Raw)
				}
			}
		})
	b.add("multiplexing/2", secMux, "client writes only on channels 0-7 (the runner announced 8)",
		"a side writes only below the channel count the peer announced", func(t *runner.T, s *session) {
			need(t, s, 0)
			var max int
			s.c.With(func(sn *raw.Snapshot) { max = sn.Asm.MaxChannelUsed })
			if max >= RunnerChannels {
				t.Fatal("channel over the runner's limit", "< 8", fmt.Sprint(max), nil)
			}
		})
	b.add("multiplexing/3", secMux, "client's Switch Channel packets use the low form below 16",
		"Switch Channel: low value 0000AAAA for 0-15 (a lenient reading allows the 12-bit form)", func(t *runner.T, s *session) {
			need(t, s, 0)
			var n int
			s.c.With(func(sn *raw.Snapshot) { n = sn.Asm.SwitchNonMinimal })
			if n > 0 {
				t.Lenient("12-bit switch to a channel below 16", "low form", fmt.Sprint(n, " wide switches"), nil)
			}
		})
	b.add("multiplexing/4", secMux, "every client message and response is complete",
		"a message is finished when data, files and stream have all ended", func(t *runner.T, s *session) {
			need(t, s, 11)
			for _, o := range allObjs(s) {
				if !o.Complete() {
					t.Fatal("an incomplete message", "complete", fmt.Sprintf("%s %q", o.Kind(), o.Action), o.Raw)
				}
			}
		})
	b.add("multiplexing/5", secMux, "client writes only valid bytes for the whole session",
		"every packet valid for its channel state", func(t *runner.T, s *session) {
			var err error
			s.c.With(func(sn *raw.Snapshot) { err = sn.Asm.Err })
			if err != nil {
				t.Fatal("client wrote invalid bytes", "valid packets", err.Error(), tail(s.total))
			}
			if s.crossCheck != "" {
				t.Logf("codec cross-check: %s", s.crossCheck)
			}
		})
	reps := []struct {
		id, sec, desc, rule string
		step                int
	}{
		{"fastreply/1", secFast, "client reads Fast Reply 0 in the low form (step 2)", "Fast Reply: low value 0011AAAA + UUID", 1},
		{"fastreply/2", secFast, "client reads Fast Reply 15 in the low form (step 3)", "Fast Reply: low value for 0-15", 2},
		{"fastreply/3", secFast, "client reads Fast Reply 16 in the 12-bit form (step 4)", "Fast Reply 0100AAAA AAAAAAAA", 3},
		{"fastreply/4", secFast, "client reads Fast Reply 4095 (step 5)", "the largest code is 4095", 4},
		{"response/1", secResp, "client reads a Response with data after a Heartbeat (step 6)", "Response: parent UUID, own UUID, data", 5},
		{"response/2", secResp, "client reads a Response with three files (step 7)", "files in a Response as in a Message", 6},
		{"response/3", secCont, "client reads a Response split over Continue, data in 70 Data packets (step 8)", "content may be cut anywhere, also inside a UUID", 7},
		{"response/4", secResp, "client reads a Response with a stream (step 9)", "a Response may carry a stream", 8},
		{"response/5", secResp, "client matches four answers sent in reverse order (step 10)", "answers name their message by UUID", 9},
		{"response/6", secResp, "client reads the echo after serving the runner's messages (step 11)", "both sides may send messages", 10},
	}
	for _, r := range reps {
		r := r
		b.add(r.id, r.sec, r.desc, r.rule, func(t *runner.T, s *session) { reportOK(t, s, r.step) })
	}
	b.add("serve/1", secFast, "client answers the runner's `fast` with Fast Reply 0 (low form)",
		"the client serves the contract too; codes below 16 use the low form", func(t *runner.T, s *session) {
			checkFast(t, s, "fast", 0)
		})
	b.add("serve/2", secFast, "client answers the runner's `code` 300 with Fast Reply 300 (12-bit form)",
		"`code`: fast reply with the decimal code", func(t *runner.T, s *session) {
			checkFast(t, s, "code", 300)
		})
	b.add("serve/3", secFast, "client answers an unknown action with Fast Reply 2",
		"any other action: Not Implemented (2)", func(t *runner.T, s *session) {
			checkFast(t, s, "nope", 2)
		})
	b.add("serve/4", secResp, "client echoes the runner's `echo` (data and one file) in a Response",
		"`echo`: a Response with the same data and files; parent UUID is the message's", func(t *runner.T, s *session) {
			o := answerObj(t, s, "echo")
			if !raw.IsV4(o.ID) || o.ID == o.Parent {
				t.Fatal("bad Response UUID", "a fresh v4 UUID", fmt.Sprintf("%x", o.ID), o.Raw)
			}
			if string(o.Data) != "from-runner" || len(o.Files) != 1 || string(o.Files[0].Name) != "r.txt" || string(o.Files[0].Data) != "xyz" {
				t.Fatal("echo differs", `data "from-runner", file "r.txt"="xyz"`, fmt.Sprintf("data %q, %d files", o.Data, len(o.Files)), o.Raw)
			}
		})
	b.add("serve/5", secMsg, "client does not answer the runner's `ping`",
		"`ping`: no response", func(t *runner.T, s *session) {
			need(t, s, 10)
			id := s.runnerMs["ping"]
			s.c.With(func(sn *raw.Snapshot) {
				for _, f := range sn.Asm.Fasts {
					if f.ID == id {
						defer t.Fatal("answer to `ping`", "none", fmt.Sprint("Fast Reply ", f.Code), f.Raw)
					}
				}
				for _, o := range sn.Asm.Objs {
					if o.Response && o.Parent == id {
						defer t.Fatal("answer to `ping`", "none", "a Response", o.Raw)
					}
				}
			})
		})
	b.add("serve/6", secResp, "client's Response uses the smallest widths",
		"smallest widths (lenient: wider)", func(t *runner.T, s *session) {
			o := answerObj(t, s, "echo")
			if len(o.NonMinimal) > 0 {
				t.Lenient("a field is wider than needed", "smallest widths", strings.Join(o.NonMinimal, "; "), o.Raw)
			}
		})
	b.add("heartbeat/1", secHB, "client keeps going after the runner's Heartbeats (steps 6 and 8)",
		"a Heartbeat carries nothing and may come between packets", func(t *runner.T, s *session) {
			need(t, s, 8)
			reportOK(t, s, 5)
			reportOK(t, s, 7)
		})
	b.add("goaway/1", secGA, "client closes the connection within 5s of the runner's Go Away",
		"Go Away: the peer will soon disconnect; the client finishes and closes", func(t *runner.T, s *session) {
			need(t, s, 11)
			if s.goAway.IsZero() {
				t.Fatal("script ended before Go Away", "Go Away sent", s.errString(), nil)
			}
			if s.closedIn < 0 {
				t.Fatal("client did not close after Go Away", "closed within 5s", "still open", nil)
			}
		})
	b.add("goaway/2", secGA, "client starts no new message after the runner's Go Away",
		"after Go Away no new messages", func(t *runner.T, s *session) {
			need(t, s, 11)
			if s.afterGA > 0 {
				t.Fatal("messages after Go Away", "none", fmt.Sprint(s.afterGA), nil)
			}
		})
}

func (s *session) errString() string {
	if s.err == nil {
		return ""
	}
	return s.err.Error()
}

// allObjs lists every message and response the client wrote.
func allObjs(s *session) []*raw.Obj {
	var out []*raw.Obj
	s.c.With(func(sn *raw.Snapshot) { out = append(out, sn.Asm.Objs...) })
	return out
}

func checkFast(t *runner.T, s *session, action string, code int) {
	need(t, s, 10)
	id := s.runnerMs[action]
	var f *raw.Fast
	var resp *raw.Obj
	s.c.With(func(sn *raw.Snapshot) {
		for _, x := range sn.Asm.Fasts {
			if x.ID == id {
				f = x
			}
		}
		for _, o := range sn.Asm.Objs {
			if o.Response && o.Parent == id {
				resp = o
			}
		}
	})
	if resp != nil {
		t.Fatal("Response instead of a Fast Reply", fmt.Sprint("Fast Reply ", code), "a Response", resp.Raw)
	}
	if f == nil {
		t.Fatal("no answer to the runner's `"+action+"`", fmt.Sprint("Fast Reply ", code), "none", tail(s.total))
	}
	if f.Code != code {
		t.Fatal("wrong fast reply code", fmt.Sprint(code), fmt.Sprint(f.Code), f.Raw)
	}
	if f.Wide != (code >= 16) {
		if f.Wide {
			t.Lenient("code below 16 in the 12-bit form", "low form", "12-bit form", f.Raw)
		} else {
			t.Fatal("code >= 16 in the low form", "12-bit form", "low form", f.Raw)
		}
	}
}

func answerObj(t *runner.T, s *session, action string) *raw.Obj {
	need(t, s, 10)
	id := s.runnerMs[action]
	var o *raw.Obj
	s.c.With(func(sn *raw.Snapshot) {
		for _, x := range sn.Asm.Objs {
			if x.Response && x.Parent == id && x.Complete() {
				o = x
			}
		}
	})
	if o == nil {
		t.Fatal("no Response to the runner's `"+action+"`", "a complete Response", "none", tail(s.total))
	}
	return o
}
