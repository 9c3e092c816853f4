package servercases

import (
	"fmt"
	"strings"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
)

type builder struct {
	tg    Target
	cases []*runner.Case
}

func (b *builder) add(id, section, desc, rule string, run func(t *runner.T)) {
	b.cases = append(b.cases, &runner.Case{ID: id, Section: section, Desc: desc, Rule: rule, Run: run})
}

// on adds a case that runs on a fresh connection on which the runner announced every channel.
func (b *builder) on(id, section, desc, rule string, run func(t *runner.T, s *sess)) {
	tg := b.tg
	b.add(id, section, desc, rule, func(t *runner.T) { run(t, open(t, tg, raw.MaxChannels)) })
}

// Cases returns the server catalogue bound to a target.
func Cases(tg Target) []*runner.Case {
	b := &builder{tg: tg}
	b.header()
	b.message()
	b.fastReply()
	b.splitting()
	b.multiplexing()
	b.heartbeat()
	b.goAway()
	b.robustness()
	return b.cases
}

const (
	secHeader = "Connection header"
	secMsg    = "Packet format: Message"
	secFiles  = "Packet format: Message / Files header"
	secResp   = "Packet format: Response"
	secFast   = "Packet format: Fast Reply"
	secCont   = "Packet format: Continue"
	secPay    = "Packet format: Data / File / Stream"
	secMux    = "Multiplexing"
	secHB     = "Packet format: Heartbeat"
	secGA     = "Packet format: Go Away"
	secAbort  = "Packet format: Abort"
	secPkt    = "Packet format"
)

// fastOK sends `fast` on s and expects code 0.
func fastOK(s *sess, what string) {
	s.sendFast(newMsg("fast", nil), 0, what)
}

func (b *builder) header() {
	tg := b.tg
	forms := []struct {
		id, desc string
		hdr      []byte
		n        int
	}{
		{"header/1", "runner announces the maximum (0xE3)", []byte{0xE3}, 4096},
		{"header/2", "runner announces a single channel (0xE0)", []byte{0xE0}, 1},
		{"header/3", "runner announces 16 channels as uint8 (0xE1 0x10)", []byte{0xE1, 0x10}, 16},
		{"header/4", "runner announces 4096 channels as uint16 (0xE2 0x00 0x10)", []byte{0xE2, 0x00, 0x10}, 4096},
		{"header/5", "runner announces 256 channels as uint16 (0xE2 0x00 0x01)", []byte{0xE2, 0x00, 0x01}, 256},
		{"header/6", "runner announces 1 channel as uint8 (0xE1 0x01)", []byte{0xE1, 0x01}, 1},
	}
	for _, f := range forms {
		f := f
		b.add(f.id, secHeader, f.desc+"; then `fast` and `echo` work",
			"the server accepts every header form and then serves on it", func(t *runner.T) {
				s := dial(t, tg)
				s.announced = f.n
				s.c.SetChannels(f.n)
				s.send(f.hdr)
				s.waitHeader()
				fastOK(s, "`fast`")
				m := newMsg("echo", []byte("header form"))
				s.echo(m, "`echo`")
			})
	}
	b.add("header/7", secHeader, "server's header: control byte 0b111000AA and a valid channel count",
		"both sides send the connection header: control byte, then a count of 1-4096 when A is 01/10", func(t *runner.T) {
			s := dial(t, tg)
			s.send(raw.Header(raw.MaxChannels))
			n := s.waitHeader()
			var hdr []byte
			s.c.With(func(sn *raw.Snapshot) { hdr = sn.Asm.HeaderRaw })
			if hdr[0] == 0xE1 && n >= 256 || hdr[0] == 0xE2 && n < 256 {
				t.Lenient("channel count not in its smallest form", "smallest form", fmt.Sprintf("% x", hdr), hdr)
			}
			t.Logf("server header % x announces %d channels", hdr, n)
		})
	b.add("header/8", secHeader, "server sends its header without waiting for the runner's",
		"after connection, both sides should send the header to each other", func(t *runner.T) {
			s := dial(t, tg)
			err := s.c.Wait(within(t, 2*time.Second), func(sn *raw.Snapshot) bool { return sn.Asm.HeaderSeen() })
			if err != nil {
				t.Lenient("server waits for the client's header before sending its own", "header sent on connect", "no header within 2s before the runner sent one", nil)
				s.send(raw.Header(raw.MaxChannels))
				s.waitHeader()
			}
			s.send(raw.Header(raw.MaxChannels))
			fastOK(s, "`fast`")
		})
	b.add("header/9", secHeader, "header sent one byte at a time (0xE2, 0x00, 0x10 in three writes)",
		"a reader must not depend on TCP segmentation", func(t *runner.T) {
			s := dial(t, tg)
			if err := s.c.SendSlowly(t.Context(), []byte{0xE2, 0x00, 0x10}, 1, 30*time.Millisecond); err != nil {
				t.Fatalf("write: %v", err)
			}
			s.waitHeader()
			fastOK(s, "`fast`")
		})
	b.add("header/10", secHeader, "header and a first message in the same write",
		"the header is followed directly by packets", func(t *runner.T) {
			s := dial(t, tg)
			m := newMsg("fast", nil)
			s.send(append(raw.Header(raw.MaxChannels), m.bytes()...))
			s.fast(m.head.ID, 0, "`fast`")
		})
	b.add("header/11", secHeader, "server answers on channel 0 only when the runner announced one channel",
		"a side may write only on channels below the count the other side announced", func(t *runner.T) {
			s := open(t, tg, 1)
			// Several echoes in one write: the answers must all use channel 0 (assembler checks).
			ms, out := batch(4, func(i int) *msg { return newMsg("echo", pattern(100+i, byte(i))) })
			for _, o := range s.echoesOf(out, "`echo`", ms...) {
				if o.Channel != 0 {
					t.Fatal("response on a channel the runner did not announce", "channel 0", fmt.Sprint("channel ", o.Channel), o.Raw)
				}
			}
		})
}

func (b *builder) message() {
	widths := []struct {
		n    int
		note string
	}{{0, "0 bytes with no payload header"}, {1, "1 byte (uint8 size)"}, {255, "255 bytes (uint8 max)"},
		{256, "256 bytes (uint16 size)"}, {65535, "65535 bytes (uint16 max)"}, {65536, "65536 bytes (uint48 size)"}}
	for i, w := range widths {
		w := w
		b.on(fmt.Sprintf("message/1.%d", i+1), secMsg, "`echo` with data of "+w.note,
			"payload size width by D (none/uint8/uint16/uint48); the echo holds the same bytes", func(t *runner.T, s *sess) {
				s.echo(newMsg("echo", pattern(w.n, 3)), "`echo`")
			})
	}
	b.on("message/1.7", secMsg, "`echo` with 5 bytes of data declared in a 6-byte size field",
		"any width that holds the value is valid", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("wide!"))
			m.head.DataWidth = 6
			s.echo(m, "`echo`")
		})
	b.on("message/1.8", secMsg, "`echo` with 1 MiB of data in 64 KiB Data packets",
		"data may be carried in several Data packets", func(t *runner.T, s *sess) {
			m := newMsg("echo", pattern(1<<20, 5))
			m.dataChunk = 65536
			s.echo(m, "`echo`")
		})
	fileSets := []struct {
		desc  string
		names []string
		sizes []int
	}{
		{"one file of 10 bytes", []string{"a.txt"}, []int{10}},
		{"two files", []string{"a.txt", "b.bin"}, []int{3, 300}},
		{"three files", []string{"one", "two", "three"}, []int{1, 2, 70000}},
		{"an empty file", []string{"empty"}, []int{0}},
		{"unicode names (żółw, 🐢, 名前)", []string{"żółw.txt", "🐢", "名前.dat"}, []int{5, 0, 9}},
		{"a file with an empty name", []string{""}, []int{4}},
		{"a 300-byte name (uint16 name size)", []string{strings.Repeat("n", 300)}, []int{7}},
		{"files and data together", []string{"x"}, []int{11}},
	}
	for i, fs := range fileSets {
		fs := fs
		i := i
		b.on(fmt.Sprintf("message/2.%d", i+1), secFiles, "`echo` with "+fs.desc,
			"the echo has the same files: names, contents, order; each file ends with File End", func(t *runner.T, s *sess) {
				var data []byte
				if i == 7 {
					data = []byte("data too")
				}
				var cs [][]byte
				for j, n := range fs.sizes {
					cs = append(cs, pattern(n, byte(j)))
				}
				s.echo(newMsg("echo", data).withFiles(fs.names, cs), "`echo`")
			})
	}
	b.on("message/2.9", secFiles, "`echo` with a file of 3 bytes declared with a 6-byte size and a uint16 name size",
		"any width that holds the value is valid", func(t *runner.T, s *sess) {
			m := newMsg("echo", nil).withFiles([]string{"w"}, [][]byte{[]byte("abc")})
			m.head.Files[0].SizeWidth = 6
			m.head.Files[0].NameWide = true
			m.head.CountWidth = 3
			m.head.TotalWidth = 6
			s.echo(m, "`echo`")
		})
	// notImplemented adds a case sending an action the contract does not know: Fast Reply 2.
	notImplemented := func(id, desc, rule, action, what string) {
		b.on(id, secMsg, desc, rule, func(t *runner.T, s *sess) { s.sendFast(newMsg(action, nil), 2, what) })
	}
	notImplemented("message/3.1", "action of 255 bytes (uint8 size) is not implemented: Fast Reply 2",
		"unknown actions get Not Implemented (2)", strings.Repeat("a", 255), "a 255-byte action")
	notImplemented("message/3.2", "action of 256 bytes (uint16 size) is not implemented: Fast Reply 2",
		"action size is uint16 when G is 1", strings.Repeat("b", 256), "a 256-byte action")
	b.on("message/3.3", secMsg, "`echo` with its action size in a uint16 field",
		"any width that holds the value is valid", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("x"))
			m.head.ActionWide = true
			s.echo(m, "`echo`")
		})
	notImplemented("message/3.4", "unicode action name (\"żółw\") is not implemented: Fast Reply 2",
		"action names are UTF-8; their size is in bytes", "żółw", "a unicode action")
	notImplemented("message/3.5", "action of 65535 bytes is not implemented: Fast Reply 2",
		"the maximum action name size is 65535", strings.Repeat("c", 65535), "a 65535-byte action")
	b.on("message/4.1", secPay, "`echo` with a stream of three chunks",
		"the echo has a stream with the same bytes that ends when the message's stream ends", func(t *runner.T, s *sess) {
			s.echo(newMsg("echo", nil).withStream([]byte("one"), []byte("two"), []byte("three")), "`echo` with stream")
		})
	b.on("message/4.2", secPay, "`echo` with a stream ended at once (no chunks)",
		"a stream may end with no chunk", func(t *runner.T, s *sess) {
			s.echo(newMsg("echo", nil).withStream(), "`echo` with empty stream")
		})
	b.on("message/4.3", secPay, "`echo` with data, two files and a stream",
		"order: content, data, files, stream; all are echoed", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("payload")).withFiles([]string{"f1", "f2"}, [][]byte{[]byte("111"), pattern(1000, 1)}).
				withStream([]byte("s1"), pattern(5000, 2))
			s.echo(m, "`echo` with everything")
		})
	b.on("message/4.4", secPay, "stream echo is live: each chunk is echoed before the next is sent",
		"the response stream echoes every chunk (a lenient server echoes at the end)", func(t *runner.T, s *sess) {
			m := newMsg("echo", nil).withStream()
			s.send(m.head.Start(nil))
			live := true
			for i, chunk := range []string{"first", "second", "third"} {
				s.send(raw.Stream(nil, []byte(chunk)))
				if !live {
					continue
				}
				want := strings.Join([]string{"first", "second", "third"}[:i+1], "")
				err := s.c.Wait(within(t, 1500*time.Millisecond), func(sn *raw.Snapshot) bool {
					for _, o := range sn.Asm.Objs {
						if o.Response && o.Parent == m.head.ID && string(o.StreamBytes()) == want {
							return true
						}
					}
					return false
				})
				if err != nil {
					t.Lenient("stream chunks are not echoed as they arrive", "chunk "+chunk+" echoed before the next is sent", err.Error(), nil)
					live = false
				}
			}
			s.send([]byte{raw.BStreamEnd})
			o := s.response(m.head.ID, "`echo` with stream")
			if string(o.StreamBytes()) != "firstsecondthird" {
				t.Fatal("echoed stream differs", "firstsecondthird", string(o.StreamBytes()), o.Raw)
			}
		})
	b.on("message/4.5", secPay, "`echo` with 300 one-byte stream chunks",
		"every stream chunk is echoed", func(t *runner.T, s *sess) {
			var cs [][]byte
			for i := 0; i < 300; i++ {
				cs = append(cs, []byte{byte(i)})
			}
			s.echo(newMsg("echo", nil).withStream(cs...), "`echo` with 300 chunks")
		})
	b.on("message/5.1", secMsg, "`ping` expecting no response gets none",
		"`ping`: no response; the server reads the whole message", func(t *runner.T, s *sess) {
			m := newMsg("ping", []byte("ignored"))
			m.head.Expects = false
			s.send(m.bytes())
			s.noAnswer(m.head.ID, "`ping`")
		})
	b.on("message/5.2", secMsg, "`ping` with data, files and a stream is read whole, no response",
		"the server reads the whole message before the channel is reused", func(t *runner.T, s *sess) {
			m := newMsg("ping", pattern(3000, 1)).withFiles([]string{"p"}, [][]byte{pattern(2000, 2)}).withStream([]byte("zz"))
			m.head.Expects = false
			s.send(m.bytes())
			s.noAnswer(m.head.ID, "`ping`")
		})
	b.on("message/5.3", secMsg, "`fast` without the expects-response bit gets no answer",
		"C - expects any response: when 0 the sender wants none", func(t *runner.T, s *sess) {
			m := newMsg("fast", nil)
			m.head.Expects = false
			s.send(m.bytes())
			s.noAnswer(m.head.ID, "`fast` without expects-response")
		})
	b.on("message/6.1", secResp, "Response names the message by parent UUID and has its own v4 UUID",
		"Response: UUID of the Message, then its own UUID", func(t *runner.T, s *sess) {
			m := newMsg("echo", []byte("uuid"))
			o := s.echo(m, "`echo`")
			if o.Parent != m.head.ID {
				t.Fatal("wrong parent UUID", uuidStr(m.head.ID), uuidStr(o.Parent), o.Raw)
			}
		})
	b.on("message/6.2", secResp, "Response uses the smallest widths for sizes (1 KiB data, one file)",
		"smallest widths (a lenient reading allows wider ones)", func(t *runner.T, s *sess) {
			m := newMsg("echo", pattern(1024, 0)).withFiles([]string{"f"}, [][]byte{pattern(300, 1)})
			o := s.echo(m, "`echo`")
			if len(o.NonMinimal) > 0 {
				t.Lenient("response fields wider than needed", "smallest widths", strings.Join(o.NonMinimal, "; "), o.Raw)
			}
		})
	b.on("message/6.3", secResp, "two echoes get distinct response UUIDs",
		"every Response has its own UUID", func(t *runner.T, s *sess) {
			o1 := s.echo(newMsg("echo", []byte("a")), "`echo` 1")
			o2 := s.echo(newMsg("echo", []byte("b")), "`echo` 2")
			if o1.ID == o2.ID {
				t.Fatal("two responses share a UUID", "distinct UUIDs", uuidStr(o1.ID), o2.Raw)
			}
		})
	b.on("message/7.1", secAbort, "Abort in the middle of a message frees the channel; the next message is answered",
		"Abort: the Message in progress is marked aborted and ignored", func(t *runner.T, s *sess) {
			m := newMsg("echo", pattern(100, 0))
			part := m.head.Start(nil)
			part = raw.Data(part, m.data[:50])
			part = append(part, raw.BAbort)
			s.send(part)
			fastOK(s, "`fast` after an Abort")
			s.c.With(func(sn *raw.Snapshot) {
				for _, o := range sn.Asm.Objs {
					if o.Parent == m.head.ID {
						defer t.Lenient("aborted message was answered", "no answer", "a Response", o.Raw)
					}
				}
			})
		})
}
