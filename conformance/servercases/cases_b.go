package servercases

import (
	"fmt"
	"strconv"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
)

func (b *builder) fastReply() {
	b.on("fastreply/1", secFast, "`fast` gets Fast Reply 0 in the low form (0x30 + UUID)",
		"`fast`: fast reply 0 (Accept); codes 0-15 use 0011AAAA", func(t *runner.T, s *sess) {
			fastOK(s, "`fast`")
		})
	for i, code := range []int{0, 1, 15, 16, 255, 256, 4095} {
		code := code
		form := "low form 0x3?"
		if code >= 16 {
			form = "12-bit form 0x4? 0x??"
		}
		b.on(fmt.Sprintf("fastreply/2.%d", i+1), secFast, fmt.Sprintf("`code` %d gets Fast Reply %d (%s)", code, code, form),
			"`code`: fast reply with the decimal code in the data; 12-bit form 0100AAAA AAAAAAAA for 16-4095", func(t *runner.T, s *sess) {
				s.sendFast(newMsg("code", []byte(strconv.Itoa(code))), code, "`code`")
			})
	}
	b.on("fastreply/3", secFast, "unknown action `no-such-action` gets Fast Reply 2 (Not Implemented)",
		"any other action: fast reply 2 when a response is expected", func(t *runner.T, s *sess) {
			s.sendFast(newMsg("no-such-action", []byte("x")), 2, "an unknown action")
		})
	b.on("fastreply/4", secFast, "unknown action with files and a stream: Fast Reply 2 after reading it whole",
		"any other action: fast reply 2; the message is read whole", func(t *runner.T, s *sess) {
			m := newMsg("nope", pattern(500, 0)).withFiles([]string{"f"}, [][]byte{pattern(10, 1)}).withStream([]byte("s"))
			s.sendFast(m, 2, "an unknown action")
			fastOK(s, "`fast` afterwards on the same connection")
		})
	b.on("fastreply/5", secFast, "the Fast Reply UUID is the message UUID",
		"Fast Reply: code then the UUID of the message", func(t *runner.T, s *sess) {
			m := newMsg("code", []byte("7"))
			f := s.sendFast(m, 7, "`code`")
			if f.ID != m.head.ID {
				t.Fatal("fast reply names another message", uuidStr(m.head.ID), uuidStr(f.ID), f.Raw)
			}
		})
	b.on("fastreply/6", secFast, "`code` 5 with a stream: the reply comes after the stream ends",
		"a message is complete when its stream has ended", func(t *runner.T, s *sess) {
			s.sendFast(newMsg("code", []byte("5")).withStream([]byte("a"), []byte("b")), 5, "`code` with a stream")
		})
	b.on("fastreply/7", secFast, "`code` with data \"abc\" (not a number) gets Fast Reply 4 (Bad Request)",
		"contract: `code` data that is not a number in 0-4095 gets 4", func(t *runner.T, s *sess) {
			s.sendFast(newMsg("code", []byte("abc")), 4, "`code` abc")
		})
}

func (b *builder) splitting() {
	// A message with every field present: data, two files, uint16 action size.
	// Cuts in the fields before the files use a message with data only, so that a peer's
	// trouble with files does not hide how it handles Continue; cuts in the file fields use
	// data and two files.
	full := func(files bool) *msg {
		m := newMsg("echo", pattern(300, 9))
		if files {
			m.withFiles([]string{"file-one", "żółw"}, [][]byte{pattern(70000, 1), pattern(5, 2)})
		}
		m.head.ActionWide = true
		return m
	}
	type split struct {
		name  string
		files bool
		cut   func(o raw.Offsets) []int
	}
	splits := []split{
		{"before the flags (empty Message packet)", false, func(o raw.Offsets) []int { return []int{0} }},
		{"after the flags", false, func(o raw.Offsets) []int { return []int{1} }},
		{"inside the UUID", false, func(o raw.Offsets) []int { return []int{o.ID + 7} }},
		{"after the UUID", false, func(o raw.Offsets) []int { return []int{o.ActionSize} }},
		{"inside the uint16 action size", false, func(o raw.Offsets) []int { return []int{o.ActionSize + 1} }},
		{"inside the action name", false, func(o raw.Offsets) []int { return []int{o.Action + 2} }},
		{"inside the data size", false, func(o raw.Offsets) []int { return []int{o.DataSize + 1} }},
		{"inside the files count", true, func(o raw.Offsets) []int { return []int{o.Count} }},
		{"inside the total files size", true, func(o raw.Offsets) []int { return []int{o.Total + 1} }},
		{"inside a file header (size)", true, func(o raw.Offsets) []int { return []int{o.FileHeads + 1} }},
		{"inside a file name", true, func(o raw.Offsets) []int { return []int{o.FileHeads + 4} }},
		{"before the last byte", false, func(o raw.Offsets) []int { return []int{o.End - 1} }},
		{"at every byte (one Continue per byte)", false, func(o raw.Offsets) []int {
			var c []int
			for i := 1; i < o.End; i++ {
				c = append(c, i)
			}
			return c
		}},
		{"at 5 places with an empty Continue, files included", true, func(o raw.Offsets) []int { return []int{3, 3, o.ID + 15, o.DataSize, o.FileHeads + 2} }},
	}
	for i, sp := range splits {
		sp := sp
		b.on(fmt.Sprintf("splitting/1.%d", i+1), secCont, "`echo` content split over Continue "+sp.name,
			"content may be cut anywhere and carried on in Continue packets", func(t *runner.T, s *sess) {
				m := full(sp.files)
				m.cuts = sp.cut(m.head.Layout())
				s.echo(m, "a split `echo`")
			})
	}
	b.on("splitting/1.15", secCont, "Continue packets with 2- and 4-byte size fields",
		"any packet size width that holds the size is valid", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("wide continue"))
			c := m.head.Content()
			out := raw.Sized(nil, raw.TMessage, 1, c[:5], 4, -1)
			out = raw.Sized(out, raw.TContinue, 0, c[5:20], 2, -1)
			out = raw.Sized(out, raw.TContinue, 0, c[20:], 4, -1)
			s.echoOf(m, m.payload(out), "`echo`")
		})
	b.on("splitting/1.16", secCont, "Response-free split: `code` 4095 content split inside the UUID",
		"content may be cut inside a UUID", func(t *runner.T, s *sess) {
			m := newMsg("code", []byte("4095"))
			m.cuts = []int{9}
			s.sendFast(m, 4095, "split `code`")
		})
	b.on("splitting/2.1", secPay, "data of 1000 bytes in 1000 one-byte Data packets",
		"payload may come in many Data packets", func(t *runner.T, s *sess) {
			m := newMsg("echo", pattern(1000, 4))
			m.dataChunk = 1
			s.echo(m, "`echo`")
		})
	b.on("splitting/2.2", secPay, "Data packets with a 4-byte size field",
		"any packet size width is valid", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("abc"))
			out := m.head.Start(nil)
			out = raw.Sized(out, raw.TData, 0, []byte("a"), 4, -1)
			out = raw.Sized(out, raw.TData, 0, []byte("bc"), 3, -1)
			s.echoOf(m, out, "`echo`")
		})
	b.on("splitting/2.3", secPay, "empty Data packets between real ones",
		"a Data packet may carry 0 bytes", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("xyz"))
			out := m.head.Start(nil)
			out = raw.Data(out, nil)
			out = raw.Data(out, []byte("x"))
			out = raw.Data(out, nil)
			out = raw.Data(out, []byte("yz"))
			s.echoOf(m, out, "`echo`")
		})
	b.on("splitting/3.1", secPay, "three files, each in many small File packets",
		"file content may come in many File packets", func(t *runner.T, s *sess) {
			m := newMsg("echo", nil).withFiles([]string{"a", "b", "c"}, [][]byte{pattern(100, 1), pattern(33, 2), pattern(7, 3)})
			m.fileChunk = 3
			s.echo(m, "`echo`")
		})
	b.on("splitting/3.2", secPay, "file packets of two files interleaved",
		"File packets carry their index, so files may interleave", func(t *runner.T, s *sess) {
			m := newMsg("echo", nil).withFiles([]string{"a", "b"}, [][]byte{[]byte("AAAA"), []byte("BBBB")})
			out := m.head.Start(nil)
			out = raw.File(out, 1, []byte("BB"))
			out = raw.File(out, 0, []byte("AA"))
			out = raw.File(out, 1, []byte("BB"))
			out = raw.File(out, 0, []byte("AA"))
			out = raw.FileEnd(out, 1)
			out = raw.FileEnd(out, 0)
			s.echoOf(m, out, "`echo`")
		})
	b.on("splitting/3.3", secPay, "File packet for index 0 with a 1-byte index field, File End with 2-byte index",
		"the index field width is given by BB", func(t *runner.T, s *sess) {
			m := newMsg("echo", nil).withFiles([]string{"a", "b"}, [][]byte{[]byte("zero"), []byte("one")})
			out := m.head.Start(nil)
			out = raw.FileW(out, 0, 1, []byte("zero"))
			out = raw.FileW(out, 1, 3, []byte("one"))
			out = append(out, 0xD1, 0x00)       // File End index 0, 1-byte index
			out = append(out, 0xD2, 0x01, 0x00) // File End index 1, 2-byte index
			s.echoOf(m, out, "`echo`")
		})
	b.on("splitting/3.4", secPay, "data and files interleaved with the stream",
		"payload packets of one message may come in any order", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("DD")).withFiles([]string{"f"}, [][]byte{[]byte("FF")}).withStream([]byte("S1"), []byte("S2"))
			out := m.head.Start(nil)
			out = raw.Stream(out, []byte("S1"))
			out = raw.File(out, 0, []byte("F"))
			out = raw.Data(out, []byte("D"))
			out = raw.Stream(out, []byte("S2"))
			out = raw.File(out, 0, []byte("F"))
			out = raw.Data(out, []byte("D"))
			out = raw.FileEnd(out, 0)
			out = append(out, raw.BStreamEnd)
			s.echoOf(m, out, "`echo`")
		})
	b.on("splitting/4.1", secPay, "a whole message written one byte per TCP write",
		"a reader must accept any cut of the byte stream", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("slow")).withFiles([]string{"f"}, [][]byte{[]byte("ff")})
			if err := s.c.SendSlowly(t.Context(), m.bytes(), 1, time.Millisecond); err != nil {
				t.Fatalf("write: %v", err)
			}
			s.echoed(m, "`echo`")
		})
}

func (b *builder) multiplexing() {
	tg := b.tg
	b.on("multiplexing/1", secMux, "two messages on channels 0 and 1 with interleaved Data packets",
		"a Switch Channel changes the channel for every following packet", func(t *runner.T, s *sess) {
			a, c := newMsg("echo", pattern(20, 1)), newMsg("echo", pattern(30, 2))
			out := a.head.Start(nil)
			out = raw.Data(out, a.data[:10])
			out = raw.Switch(out, 1, false)
			out = c.head.Start(out)
			out = raw.Data(out, c.data[:15])
			out = raw.Switch(out, 0, false)
			out = raw.Data(out, a.data[10:])
			out = raw.Switch(out, 1, false)
			out = raw.Data(out, c.data[15:])
			s.echoOf(a, out, "`echo` on channel 0")
			s.echoed(c, "`echo` on channel 1")
		})
	inFlight := func(t *runner.T, s *sess, chans []int, wide bool) {
		var ms []*msg
		var out []byte
		for i, ch := range chans {
			m := newMsg("echo", pattern(40, byte(i))).withStream()
			ms = append(ms, m)
			out = raw.Switch(out, ch, wide)
			out = m.head.Start(out)
		}
		for i, ch := range chans {
			out = raw.Switch(out, ch, wide)
			out = raw.Data(out, ms[i].data[:20])
		}
		for i := len(chans) - 1; i >= 0; i-- {
			out = raw.Switch(out, chans[i], wide)
			out = raw.Data(out, ms[i].data[20:])
			out = append(out, raw.BStreamEnd)
		}
		s.echoesOf(out, "`echo`", ms...)
	}
	b.on("multiplexing/2", secMux, "16 messages in flight on channels 0-15 (low switches)",
		"a channel stays busy until its message is complete; others carry other messages", func(t *runner.T, s *sess) {
			var chans []int
			for i := 0; i < 16; i++ {
				chans = append(chans, i)
			}
			inFlight(t, s, chans, false)
		})
	b.on("multiplexing/3", secMux, "messages on channels 16, 255, 256 and 1000 (12-bit switches)",
		"Switch Channel 0001AAAA AAAAAAAA selects channels 0-4095", func(t *runner.T, s *sess) {
			n := s.peerChannels()
			chans := []int{16, 255, 256, 1000}
			var use []int
			for _, c := range chans {
				if c < n {
					use = append(use, c)
				}
			}
			if len(use) == 0 {
				t.Skip(fmt.Sprintf("server announced only %d channels", n))
			}
			inFlight(t, s, use, false)
		})
	b.on("multiplexing/4", secMux, "a message on channel 4095",
		"the highest channel is 4095", func(t *runner.T, s *sess) {
			if n := s.peerChannels(); n < 4096 {
				t.Skip(fmt.Sprintf("server announced %d channels", n))
			}
			inFlight(t, s, []int{4095}, false)
		})
	b.on("multiplexing/5", secMux, "12-bit switches to channels 1-3 (valid, not minimal)",
		"the 12-bit switch form may name any channel", func(t *runner.T, s *sess) {
			inFlight(t, s, []int{1, 2, 3}, true)
		})
	b.on("multiplexing/6", secMux, "200 messages in flight on 64 channels, answers matched by UUID",
		"answers name their message by UUID; any order is allowed", func(t *runner.T, s *sess) {
			n := min(64, s.peerChannels())
			var ms []*msg
			var out []byte
			// Round r: start messages on every channel, then finish them in reverse order.
			for r := 0; r < 200/n+1 && len(ms) < 200; r++ {
				var round []*msg
				for ch := 0; ch < n && len(ms)+len(round) < 200; ch++ {
					var m *msg
					switch (len(ms) + ch) % 3 {
					case 0:
						m = newMsg("echo", pattern(10+ch, byte(ch)))
					case 1:
						m = newMsg("code", []byte(strconv.Itoa(100+ch)))
					default:
						m = newMsg("fast", nil)
					}
					round = append(round, m)
					out = raw.Switch(out, ch, false)
					h := m.head
					h.DataSize = int64(len(m.data))
					out = h.Start(out)
				}
				for i := len(round) - 1; i >= 0; i-- {
					out = raw.Switch(out, i, false)
					if len(round[i].data) > 0 {
						out = raw.Data(out, round[i].data)
					}
				}
				ms = append(ms, round...)
			}
			s.send(out)
			for i, m := range ms {
				switch string(m.head.Action) {
				case "echo":
					s.echoed(m, fmt.Sprintf("message %d (`echo`)", i))
				case "code":
					c, _ := strconv.Atoi(string(m.data))
					s.fast(m.head.ID, c, fmt.Sprintf("message %d (`code`)", i))
				default:
					s.fast(m.head.ID, 0, fmt.Sprintf("message %d (`fast`)", i))
				}
			}
		})
	b.on("multiplexing/7", secMux, "channel reused after its message completed",
		"a channel is free again once the message is finished", func(t *runner.T, s *sess) {
			ms, out := batch(5, func(i int) *msg { return newMsg("echo", pattern(5, byte(i))) })
			s.echoesOf(out, "`echo`", ms...)
		})
	b.add("multiplexing/8", secMux, "server keeps to 2 channels when the runner announces 2",
		"a side writes only on channels below the count the other side announced", func(t *runner.T) {
			s := open(t, tg, 2)
			var ms []*msg
			var out []byte
			for i := 0; i < 2; i++ {
				m := newMsg("echo", nil).withStream([]byte("x"))
				ms = append(ms, m)
				out = raw.Switch(out, i, false)
				out = m.head.Start(out)
				out = raw.Stream(out, m.stream[0])
			}
			s.send(out)
			time.Sleep(50 * time.Millisecond)
			var end []byte
			for i := range ms {
				end = raw.Switch(end, i, false)
				end = append(end, raw.BStreamEnd)
			}
			s.echoesOf(end, "`echo` with stream", ms...)
		})
	b.on("multiplexing/9", secMux, "responses with open streams use distinct channels",
		"a Response occupies its channel until its stream ends", func(t *runner.T, s *sess) {
			a, c := newMsg("echo", nil).withStream(), newMsg("echo", nil).withStream()
			out := a.head.Start(nil)
			out = raw.Switch(out, 1, false)
			out = c.head.Start(out)
			s.send(out)
			err := s.c.Wait(within(t, 3*time.Second), func(sn *raw.Snapshot) bool {
				n := 0
				for _, o := range sn.Asm.Objs {
					if o.Response && (o.Parent == a.head.ID || o.Parent == c.head.ID) {
						n++
					}
				}
				return n == 2
			})
			var chans []int
			s.c.With(func(sn *raw.Snapshot) {
				for _, o := range sn.Asm.Objs {
					if o.Response {
						chans = append(chans, o.Channel)
					}
				}
			})
			end := raw.Switch(nil, 0, false)
			end = append(end, raw.BStreamEnd)
			end = raw.Switch(end, 1, false)
			end = append(end, raw.BStreamEnd)
			s.echoOf(a, end, "`echo` 1")
			s.echoed(c, "`echo` 2")
			if err != nil {
				t.Lenient("responses with streams are not started before the message streams end", "both Response heads while streams are open", err.Error(), nil)
			} else if len(chans) == 2 && chans[0] == chans[1] {
				t.Fatal("two open responses on one channel", "distinct channels", fmt.Sprint(chans), nil)
			}
		})
}

func (b *builder) heartbeat() {
	b.on("heartbeat/1", secHB, "Heartbeat before a message is ignored",
		"Heartbeat 10100000 keeps an idle connection alive and carries nothing", func(t *runner.T, s *sess) {
			s.send([]byte{raw.BHeartbeat, raw.BHeartbeat})
			fastOK(s, "`fast` after heartbeats")
		})
	b.on("heartbeat/2", secHB, "Heartbeats between the Data packets of a message",
		"a Heartbeat may come between any two packets", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("hello world"))
			out := m.head.Start(nil)
			out = append(out, raw.BHeartbeat)
			out = raw.Data(out, m.data[:5])
			out = append(out, raw.BHeartbeat)
			out = raw.Data(out, m.data[5:])
			out = append(out, raw.BHeartbeat)
			s.echoOf(m, out, "`echo`")
		})
	b.on("heartbeat/3", secHB, "Heartbeat between a Message packet and its Continue",
		"a Heartbeat is a connection-level packet", func(t *runner.T, s *sess) {
			m := newMsg("code", []byte("9"))
			c := m.head.Content()
			out := raw.Sized(nil, raw.TMessage, 1, c[:10], 0, -1)
			out = append(out, raw.BHeartbeat)
			out = raw.Sized(out, raw.TContinue, 0, c[10:], 0, -1)
			s.fastOf(m, m.payload(out), 9, "`code` with a heartbeat inside its content")
		})
	b.on("heartbeat/4", secHB, "1000 heartbeats in one write, then `fast`",
		"heartbeats are cheap and carry nothing", func(t *runner.T, s *sess) {
			hb := make([]byte, 1000)
			for i := range hb {
				hb[i] = raw.BHeartbeat
			}
			s.send(hb)
			fastOK(s, "`fast` after 1000 heartbeats")
		})
	b.on("heartbeat/5", secHB, "an idle connection stays open for 2 seconds",
		"heartbeats exist so idle connections persist; a server must not drop a fresh idle one", func(t *runner.T, s *sess) {
			ctx := within(t, 2*time.Second)
			if s.c.WaitClosed(ctx) {
				t.Fatal("server closed an idle connection within 2s", "connection open", "closed", tail(s.c.Received()))
			}
			var hb int
			s.c.With(func(sn *raw.Snapshot) { hb = sn.Asm.Heartbeats })
			t.Logf("server sent %d heartbeats in 2s", hb)
			fastOK(s, "`fast` after idling")
		})
}

func (b *builder) goAway() {
	b.on("goaway/1", secGA, "Go Away after a message: the in-flight message is still answered",
		"Go Away: the sender will soon gracefully disconnect", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("before go away"))
			out := append(m.bytes(), raw.BGoAway)
			s.echoOf(m, out, "`echo` before Go Away")
		})
	b.on("goaway/2", secGA, "Go Away in the middle of a message: the message still completes",
		"a graceful disconnect lets in-flight work finish", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("split by go away"))
			out := m.head.Start(nil)
			out = raw.Data(out, m.data[:5])
			out = append(out, raw.BGoAway)
			out = raw.Data(out, m.data[5:])
			s.echoOf(m, out, "`echo`")
		})
	b.on("goaway/3", secGA, "Go Away then close: a new connection still works",
		"a graceful disconnect of one connection does not affect others", func(t *runner.T, s *sess) {
			s.send([]byte{raw.BGoAway})
			s.c.Close()
			alive(t, s.tg)
		})
	b.on("goaway/4", secGA, "any Go Away the server sends is the single byte 0xB0",
		"Go Away is 10110000", func(t *runner.T, s *sess) {
			fastOK(s, "`fast`")
			s.send([]byte{raw.BGoAway})
			_ = s.c.CloseWrite()
			s.c.WaitClosed(within(t, 2*time.Second))
			var bad error
			s.c.With(func(sn *raw.Snapshot) { bad = sn.Asm.Err })
			if bad != nil {
				s.fatalErr("invalid bytes while closing", "valid packets, 0xB0 for Go Away", bad)
			}
		})
}

func (b *builder) robustness() {
	tg := b.tg
	bad := func(id, section, desc, rule string, build func(s *sess) []byte) {
		b.on(id, section, desc, rule, func(t *runner.T, s *sess) {
			fastOK(s, "`fast` before the bad input")
			s.send(build(s))
			s.rejects(desc)
		})
	}
	bad("robustness/1", secPkt, "unknown packet type 0xF0", "type nibble 15 is not defined: reject",
		func(s *sess) []byte { return []byte{0xF0, 0, 0, 0} })
	bad("robustness/2", secPay, "Data packet larger than the declared payload", "data beyond the declared size is invalid",
		func(s *sess) []byte { return raw.Data(newMsg("echo", []byte("abc")).head.Start(nil), []byte("abcdef")) })
	bad("robustness/3", secPay, "Data packet with no payload declared", "Data is only valid when a payload is declared",
		func(s *sess) []byte { return raw.Data(newMsg("echo", nil).withStream().head.Start(nil), []byte("x")) })
	bad("robustness/4", secMux, "new Message on a busy channel", "a channel with a message in progress cannot start another",
		func(s *sess) []byte {
			m := newMsg("echo", []byte("abc"))
			n := newMsg("fast", nil)
			return n.head.Start(m.head.Start(nil))
		})
	bad("robustness/5", secCont, "Continue with nothing in progress", "Continue continues a Message/Response that is not finished",
		func(s *sess) []byte { return raw.Sized(nil, raw.TContinue, 0, []byte{1, 2, 3}, 0, -1) })
	bad("robustness/6", secPay, "File packet for index 3 of a 1-file message", "File index must be below the file count",
		func(s *sess) []byte {
			return raw.File(newMsg("echo", nil).withFiles([]string{"a"}, [][]byte{[]byte("x")}).head.Start(nil), 3, []byte("x"))
		})
	bad("robustness/7", secPay, "File End twice for the same file", "a file ends once",
		func(s *sess) []byte {
			m := newMsg("echo", nil).withFiles([]string{"a", "b"}, [][]byte{nil, []byte("x")})
			out := raw.FileEnd(m.head.Start(nil), 0)
			return raw.FileEnd(out, 0)
		})
	bad("robustness/8", secPay, "Stream packet for a message without a stream", "Stream is only valid when B is set",
		func(s *sess) []byte { return raw.Stream(newMsg("echo", []byte("a")).head.Start(nil), []byte("x")) })
	bad("robustness/9", secMsg, "content with extra bytes after the last file header", "the packet size must match the content",
		func(s *sess) []byte {
			m := newMsg("fast", nil)
			c := append(m.head.Content(), 0xEE, 0xEE)
			return raw.Sized(nil, raw.TMessage, 1, c, 0, -1)
		})
	bad("robustness/10", secFiles, "total files size that disagrees with the file sizes", "total files size is the sum of the file sizes",
		func(s *sess) []byte {
			m := newMsg("echo", nil).withFiles([]string{"a"}, [][]byte{[]byte("xy")})
			m.head.LieTotal, m.head.Total = true, 1000
			return m.bytes()
		})
	b.add("robustness/11", secHeader, "invalid connection header control byte (0xF3)", "control byte is 111000AA: reject",
		func(t *runner.T) {
			c := dial(t, tg)
			c.send([]byte{0xF3, 0x20})
			c.rejects("an invalid control byte")
		})
	bad("robustness/12", secMux, "Switch Channel to the channel count the server announced (one over its limit)",
		"a channel at or over the announced count is invalid", func(s *sess) []byte {
			n := s.peerChannels()
			if n >= raw.MaxChannels {
				// The server announced every channel: exercise the limit on a fresh connection
				// where the server is told nothing larger is possible. Nothing to violate.
				s.t.Skip("server announced 4096 channels; no channel is over its limit")
			}
			return raw.Switch(nil, n, false)
		})
	b.on("robustness/13", secPay, "a Message declaring a 256 TiB payload, then the connection is closed",
		"nothing is allocated from a declared size; the server survives", func(t *runner.T, s *sess) {
			m := newMsg("echo", nil)
			m.head.DataSize = 1<<48 - 1
			out := m.head.Start(nil)
			out = raw.Data(out, pattern(1000, 0))
			s.send(out)
			s.c.Close()
			alive(t, s.tg)
		})
	b.on("robustness/14", secPkt, "connection truncated in the middle of a Message packet",
		"a truncated connection must not crash the server", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("never finished"))
			b := m.bytes()
			s.send(b[:7])
			s.c.Close()
			alive(t, s.tg)
		})
	b.on("robustness/15", secPkt, "packet size that lies (declares 1000 bytes, 10 sent, then close)",
		"a truncated connection must not crash the server", func(t *runner.T, s *sess) {
			out := raw.Sized(nil, raw.TMessage, 1, make([]byte, 10), 2, 1000)
			s.send(out)
			s.c.Close()
			alive(t, s.tg)
		})
	b.on("robustness/16", secFast, "a Fast Reply and a Response for unknown messages are ignored",
		"answers to messages never sent name no waiter; the connection keeps working", func(t *runner.T, s *sess) {
			out := raw.FastReply(nil, raw.NewID(), 0, false)
			h := raw.Head{Response: true, ID: raw.NewID(), Parent: raw.NewID()}
			out = h.Start(out)
			s.send(out)
			ctx := within(t, 500*time.Millisecond)
			if s.c.WaitClosed(ctx) {
				t.Lenient("server closed the connection on an unsolicited answer", "ignored", "closed", nil)
				alive(t, s.tg)
				return
			}
			fastOK(s, "`fast` after unsolicited answers")
		})
	b.on("robustness/17", secMsg, "unused last flags bit set", "the last bit of the flags is not used yet",
		func(t *runner.T, s *sess) {
			m := newMsg("fast", nil)
			m.head.ExtraFlags = 1
			s.send(m.bytes())
			ctx := within(t, 2*time.Second)
			err := s.c.Wait(ctx, func(sn *raw.Snapshot) bool { return len(sn.Asm.Fasts) > 0 })
			if err != nil {
				t.Logf("no answer (%v); checking the server survives", err)
			}
			alive(t, s.tg)
		})
}
