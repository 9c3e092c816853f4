package wire

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// sb builds a stream with the writer and the events a reader must report,
// in the flattened form of decodeCuts.
type sb struct {
	b    []byte
	want []string
	ch   int
}

func (s *sb) ev(e Event) {
	e.Offset = int64(len(s.b))
	e.Channel = s.ch
	s.want = append(s.want, fmtEvent(&e))
}

func (s *sb) header(n int) {
	s.ev(Event{Kind: KindConnHeader, Channels: n, First: 0})
	s.b = must(AppendConnHeader(s.b, n))
	s.want[len(s.want)-1] = strings.Replace(s.want[len(s.want)-1], "first=00", fmt.Sprintf("first=%02x", s.b[0]), 1)
}

func (s *sb) switchTo(ch int) {
	s.ch = ch
	first := byte(ch)
	if ch > 15 {
		first = 0x10 | byte(ch>>8)
	}
	s.ev(Event{Kind: KindSwitchChannel, First: first})
	s.b = must(AppendSwitchChannel(s.b, ch))
}

func (s *sb) single(kind Kind, first byte, aborted bool) {
	s.ev(Event{Kind: kind, First: first, Aborted: aborted})
	s.b = append(s.b, first)
}

func (s *sb) fast(id UUID, code int) {
	first := byte(0x30 | code)
	if code > 15 {
		first = 0x40 | byte(code>>8)
	}
	s.ev(Event{Kind: KindFastReply, First: first, ID: id, Code: code})
	s.b = must(AppendFastReply(s.b, id, code))
}

func contentEvent(kind Kind, id, parent UUID, action string, expects, stream bool, dataSize uint64, files []FileHeader, content []byte) Event {
	e := Event{Kind: kind, ID: id, ParentID: parent, Expects: expects, HasStream: stream, ContentFlags: content[0],
		DataSize: dataSize, FilesCount: len(files), PacketSize: len(content), ContentPackets: 1}
	if kind == KindMessage {
		e.Action = []byte(action)
	}
	for _, f := range files {
		e.Files = append(e.Files, FileInfo{Name: []byte(f.Name), Size: f.Size})
		e.TotalFilesSize += f.Size
	}
	e.First = nibMessage<<4 | FlagBits(stream, expects)
	if kind == KindResponse {
		e.First = nibResponse<<4 | FlagBits(stream, expects)
	}
	e.First |= sizeCode(uint64(len(content))) << 2
	return e
}

func (s *sb) message(m *MessageHeader, complete bool) {
	c := must(AppendMessageContent(nil, m))
	e := contentEvent(KindMessage, m.ID, UUID{}, m.Action, m.Expects, m.HasStream, m.DataSize, m.Files, c)
	e.Complete = complete
	s.ev(e)
	s.b = must(AppendMessage(s.b, m))
}

func (s *sb) response(m *ResponseHeader, complete bool) {
	c := must(AppendResponseContent(nil, m))
	e := contentEvent(KindResponse, m.ID, m.MessageID, "", m.Expects, m.HasStream, m.DataSize, m.Files, c)
	e.Complete = complete
	s.ev(e)
	s.b = must(AppendResponse(s.b, m))
}

func (s *sb) payload(kind Kind, index int, pay []byte, remaining uint64, complete bool) {
	off := len(s.b)
	switch kind {
	case KindData:
		s.b = must(AppendData(s.b, pay))
	case KindStream:
		s.b = must(AppendStream(s.b, pay))
	case KindFile:
		s.b = must(AppendFile(s.b, index, pay))
	}
	str := fmt.Sprintf("%s@%d ch=%d first=%02x index=%d size=%d remaining=%d payload=%s",
		kind, off, s.ch, s.b[off], index, len(pay), remaining, short(pay))
	if complete {
		str += " complete"
	}
	s.want = append(s.want, str)
}

func (s *sb) fileEnd(index int, complete bool) {
	b := must(AppendFileEnd(nil, index))
	s.ev(Event{Kind: KindFileEnd, First: b[0], Index: index, Complete: complete})
	s.b = append(s.b, b...)
}

func (s *sb) streamEnd(complete bool) {
	s.ev(Event{Kind: KindStreamEnd, First: 0x80, Complete: complete})
	s.b = AppendStreamEnd(s.b)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

// sendAll appends a message's whole payload as Node.js orders it: data in
// up to two packets, then each file (up to two packets, then its end), then
// the stream (two packets, then its end).
func (s *sb) sendAll(dataSize uint64, files []FileHeader, stream bool) {
	left := dataSize
	for left > 0 {
		n := left
		if n > 1 && left == dataSize {
			n = left / 2
		}
		left -= n
		s.payload(KindData, 0, pattern(int(n), byte(left)), left, left == 0 && len(files) == 0 && !stream)
	}
	for i, f := range files {
		fl := f.Size
		for fl > 0 {
			n := fl
			if n > 1 && fl == f.Size {
				n = fl - 1
			}
			fl -= n
			s.payload(KindFile, i, pattern(int(n), byte(i)), fl, false)
		}
		s.fileEnd(i, i == len(files)-1 && !stream)
	}
	if stream {
		s.payload(KindStream, 0, []byte("st"), 0, false)
		s.payload(KindStream, 0, nil, 0, false)
		s.streamEnd(true)
	}
}

func checkStream(t *testing.T, name string, opts ReaderOptions, s *sb) {
	t.Helper()
	got, err := decodeThreeWays(opts, s.b, 42)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !equal(got, s.want) {
		t.Fatalf("%s:\ngot:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(s.want, "\n"))
	}
}

var long65535 = strings.Repeat("é", 32767) + "x"

// widthMessages cover every width of every content field.
var widthMessages = []MessageHeader{
	{ID: seqID, Action: "a"},
	{ID: seqID},
	{ID: seqID, Action: "ping", Expects: true},
	{ID: seqID, Action: strings.Repeat("a", 255), DataSize: 1},
	{ID: seqID, Action: strings.Repeat("b", 256), DataSize: 255, HasStream: true},
	{ID: seqID, Action: long65535, DataSize: 256},
	{ID: seqID, Action: "日本", DataSize: 65535, Expects: true, HasStream: true},
	{ID: seqID, Action: "d", DataSize: 65536},
	{ID: seqID, Action: "f", Files: []FileHeader{{Name: "a.txt", Size: 0}}},
	{ID: seqID, Action: "f", Files: []FileHeader{{Name: "a", Size: 255}, {Name: strings.Repeat("n", 256), Size: 256}}, DataSize: 3},
	{ID: seqID, Action: "f", Files: []FileHeader{{Name: "ä", Size: 65535}, {Name: "b", Size: 2}}},
	{ID: seqID, Action: "f", Files: []FileHeader{{Name: "big", Size: 65536}}, HasStream: true},
	{ID: seqID, Action: "f", Files: make([]FileHeader, 256)},
}

func TestReaderRoundTrip(t *testing.T) {
	for i := range widthMessages {
		m := &widthMessages[i]
		s := &sb{}
		s.header(4096)
		s.single(KindHeartbeat, 0xA0, false)
		done := m.DataSize == 0 && len(m.Files) == 0 && !m.HasStream
		s.message(m, done)
		s.sendAll(m.DataSize, m.Files, m.HasStream)
		// The channel is free again: a response on it.
		r := &ResponseHeader{MessageID: m.ID, ID: parentID, DataSize: m.DataSize % 300, Files: m.Files[:min(len(m.Files), 1)], Expects: i%2 == 0}
		r.HasStream = i%3 == 0
		s.response(r, r.DataSize == 0 && len(r.Files) == 0 && !r.HasStream)
		s.sendAll(r.DataSize, r.Files, r.HasStream)
		s.single(KindGoAway, 0xB0, false)
		checkStream(t, fmt.Sprintf("message %d", i), ReaderOptions{}, s)
	}
}

// TestReaderLargeDeclared: sizes no test can send are declared and read;
// nothing is allocated for them; Abort frees the channel.
func TestReaderLargeDeclared(t *testing.T) {
	files := []FileHeader{{Name: "x", Size: 1 << 24}, {Name: "y", Size: 1 << 32}, {Name: "z", Size: MaxSize48 - 1<<33}}
	for _, m := range []MessageHeader{
		{ID: seqID, Action: "big", DataSize: MaxSize48},
		{ID: seqID, Action: "big", Files: files},
		{ID: seqID, Action: "big", Files: files[:2]},
		{ID: seqID, Action: "big", Files: files[:1]},
	} {
		s := &sb{}
		s.header(2)
		s.switchTo(1)
		s.message(&m, false)
		if m.DataSize > 0 {
			s.payload(KindData, 0, []byte("abc"), MaxSize48-3, false)
		} else {
			s.payload(KindFile, 0, []byte("abc"), 1<<24-3, false)
		}
		s.single(KindAbort, ByteAbort, true)
		s.single(KindAbort, ByteAbort, false)
		s.message(&MessageHeader{ID: parentID, Action: "next"}, true)
		checkStream(t, m.Action, ReaderOptions{MaxChannels: 2}, s)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < 10; i++ {
			r := NewReader(ReaderOptions{MaxChannels: 2})
			p := s.b
			for len(p) > 0 {
				k, _, err := r.Next(p)
				if err != nil {
					t.Fatal(err)
				}
				p = p[k:]
			}
		}
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 10*4096 {
			t.Errorf("%d bytes allocated for 10 streams of %d bytes", n, len(s.b))
		}
	}
}

// TestReaderControlForms covers the header forms, switches, fast replies
// and single-byte packets.
func TestReaderControlForms(t *testing.T) {
	for _, n := range []int{1, 2, 255, 256, 4095, 4096} {
		s := &sb{}
		s.header(n)
		s.single(KindHeartbeat, 0xA0, false)
		checkStream(t, fmt.Sprint("header ", n), ReaderOptions{}, s)
	}
	s := &sb{}
	s.header(4096)
	for _, ch := range []int{0, 15, 16, 255, 256, 4095, 3} {
		s.switchTo(ch)
		s.fast(seqID, ch)
		s.message(&MessageHeader{ID: parentID, Action: "x"}, true)
	}
	s.single(KindHeartbeat, 0xA0, false)
	s.single(KindGoAway, 0xB0, false)
	s.single(KindAbort, 0x90, false)
	s.fast(parentID, 4095)
	s.fast(parentID, 16)
	s.fast(parentID, 0)
	checkStream(t, "control", ReaderOptions{}, s)
}

// TestReaderNodeCount256 reads the Node.js form of a 256 channel count.
func TestReaderNodeCount256(t *testing.T) {
	r := NewReader(ReaderOptions{})
	_, ev, err := r.Next([]byte{0xE1, 0x00})
	if err != nil || ev.Kind != KindConnHeader || ev.Channels != 256 {
		t.Fatalf("%v %+v", err, ev)
	}
	// And the non-minimal forms are accepted.
	for _, in := range []string{"e1 01", "e2 0100", "e2 0010", "e2 ff00"} {
		r := NewReader(ReaderOptions{})
		if _, _, err := r.Next(unhex(in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
}

func TestReaderHeaderModes(t *testing.T) {
	msg := must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a"}))
	data := must(AppendData(nil, []byte{1}))
	for _, tt := range []struct {
		name  string
		opts  ReaderOptions
		in    []byte
		kinds string
		class error
	}{
		{"header", ReaderOptions{}, append([]byte{0xE3}, msg...), "header message", nil},
		{"header missing", ReaderOptions{}, msg, "", ErrInvalidHeader},
		{"no header", ReaderOptions{NoHeader: true}, msg, "message", nil},
		{"no header but header", ReaderOptions{NoHeader: true}, append([]byte{0xE3}, msg...), "", ErrReservedBits},
		{"auto with", ReaderOptions{AutoHeader: true}, append([]byte{0xE0}, msg...), "header message", nil},
		{"auto without", ReaderOptions{AutoHeader: true, NoHeader: true}, msg, "message", nil},
		// 0xE0 is both the 1-channel header and a Data packet's first byte:
		// auto-detection reads it as the header.
		{"auto data", ReaderOptions{AutoHeader: true}, data, "header switch switch", nil},
		{"auto heartbeat", ReaderOptions{AutoHeader: true}, []byte{0xA0}, "heartbeat", nil},
		{"empty", ReaderOptions{}, nil, "", nil},
	} {
		r := NewReader(tt.opts)
		var kinds []string
		p := tt.in
		var err error
		for len(p) > 0 {
			var n int
			var ev *Event
			n, ev, err = r.Next(p)
			if err != nil {
				break
			}
			if ev != nil {
				kinds = append(kinds, ev.Kind.String())
			}
			p = p[n:]
		}
		if err == nil {
			err = r.Finish()
		}
		if !errors.Is(err, tt.class) || (tt.class == nil && err != nil) || strings.Join(kinds, " ") != tt.kinds {
			t.Errorf("%s: %v %v", tt.name, kinds, err)
		}
	}
}

// TestReaderSplitContent cuts content at every offset (and twice, at every
// pair of offsets for a small message), with another channel's packets in
// between, and checks the Message event is the same as unsplit.
func TestReaderSplitContent(t *testing.T) {
	headers := []MessageHeader{
		{ID: seqID, Action: "a"},
		{ID: seqID, Action: "action", DataSize: 70000, Expects: true, Files: []FileHeader{{Name: "a", Size: 1}, {Name: strings.Repeat("n", 300), Size: 1 << 40}}},
		{ID: seqID, Action: strings.Repeat("é", 200), HasStream: true},
	}
	for hi := range headers {
		m := &headers[hi]
		c := must(AppendMessageContent(nil, m))
		bare := m.DataSize == 0 && len(m.Files) == 0 && !m.HasStream
		whole := &sb{}
		whole.message(m, bare)
		wantMsg := whole.want[0]
		for i := 0; i <= len(c); i++ {
			var b []byte
			b = must(AppendSized(b, KindMessage, FlagBits(m.HasStream, m.Expects), c[:i]))
			// Other channels in between.
			b = must(AppendSwitchChannel(b, 300))
			b = must(AppendMessage(b, &MessageHeader{ID: parentID, Action: "other"}))
			b = must(AppendFastReply(b, parentID, 7))
			b = AppendHeartbeat(b)
			b = must(AppendSwitchChannel(b, 0))
			packets := 1
			if i < len(c) {
				// (a Continue after complete content is unexpected)
				b = must(AppendContinue(b, c[i:]))
				packets = 2
			}
			b = AppendAbort(b)
			got, err := decodeThreeWays(ReaderOptions{NoHeader: true}, b, int64(i))
			if err != nil {
				t.Fatalf("header %d cut %d: %v", hi, i, err)
			}
			var msg string
			for _, g := range got {
				if strings.HasPrefix(g, "message@0 ") {
					msg = g
				}
			}
			want := strings.Replace(wantMsg, fmt.Sprintf("size=%d packets=1", len(c)), fmt.Sprintf("size=%d packets=%d", i, packets), 1)
			want = strings.Replace(want, fmt.Sprintf("first=%02x", 0x20|sizeCode(uint64(len(c)))<<2|FlagBits(m.HasStream, m.Expects)),
				fmt.Sprintf("first=%02x", 0x20|sizeCode(uint64(i))<<2|FlagBits(m.HasStream, m.Expects)), 1)
			if msg != want {
				t.Fatalf("header %d cut %d:\ngot  %s\nwant %s\nall:\n%s", hi, i, msg, want, strings.Join(got, "\n"))
			}
			if last := got[len(got)-1]; !strings.Contains(last, "abort") || !strings.Contains(last, fmt.Sprintf("aborted=%v", !bare)) {
				t.Fatalf("header %d cut %d: last event %s", hi, i, last)
			}
		}
	}
	// Two cuts, three packets, every pair of offsets, with ContinueEvents.
	m := &headers[1]
	c := must(AppendMessageContent(nil, m))
	for i := 0; i <= len(c); i += 7 {
		for j := i; j < len(c); j += 11 {
			var b []byte
			b = must(AppendSized(b, KindMessage, 1, c[:i]))
			b = must(AppendContinue(b, c[i:j]))
			b = AppendHeartbeat(b)
			b = must(AppendContinue(b, c[j:]))
			got, err := decodeThreeWays(ReaderOptions{NoHeader: true, ContinueEvents: true}, b, int64(j))
			if err != nil {
				t.Fatalf("cuts %d %d: %v", i, j, err)
			}
			if len(got) != 4 || !strings.HasPrefix(got[0], "continue@") || !strings.HasPrefix(got[3], "message@0 ") || !strings.Contains(got[3], "packets=3") {
				t.Fatalf("cuts %d %d: %s", i, j, strings.Join(got, "\n"))
			}
		}
	}
}

// TestReaderZeroCopy checks that whole content is parsed in place.
func TestReaderZeroCopy(t *testing.T) {
	b := must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "act", Files: []FileHeader{{Name: "name", Size: 0}}}))
	r := NewReader(ReaderOptions{NoHeader: true})
	_, ev, err := r.Next(b)
	if err != nil || ev == nil {
		t.Fatal(err)
	}
	if indexIn(b, ev.Action) < 0 || indexIn(b, ev.Files[0].Name) < 0 || r.Buffered() != 0 {
		t.Fatal("content copied")
	}
}

// TestReaderAllocs: decoding small packets allocates nothing.
func TestReaderAllocs(t *testing.T) {
	s := mixedPackets(300)
	var withFiles []byte
	withFiles = must(AppendSwitchChannel(withFiles, 9))
	for i := 0; i < 10; i++ {
		withFiles = must(AppendMessage(withFiles, &MessageHeader{ID: seqID, Action: "f", DataSize: 2, Files: []FileHeader{{Name: "a", Size: 1}}}))
		withFiles = must(AppendData(withFiles, []byte{1, 2}))
		withFiles = must(AppendFile(withFiles, 0, []byte{1}))
		withFiles = must(AppendFileEnd(withFiles, 0))
	}
	r := NewReader(ReaderOptions{NoHeader: true})
	run := func(in []byte) {
		for p := in; len(p) > 0; {
			n, _, err := r.Next(p)
			if err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
	}
	run(withFiles) // warm up the channel state
	if n := testing.AllocsPerRun(50, func() { run(s); run(withFiles) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

// TestReaderErrors checks the class and offset of every kind of bad input.
func TestReaderErrors(t *testing.T) {
	msg := func(m *MessageHeader) string { return fmt.Sprintf("%x", must(AppendMessage(nil, m))) }
	minimal := msg(&MessageHeader{ID: seqID, Action: "a"})                     // 21 bytes
	withData := msg(&MessageHeader{ID: seqID, Action: "a", DataSize: 2})       // 22 bytes
	withStream := msg(&MessageHeader{ID: seqID, Action: "a", HasStream: true}) // 21 bytes
	twoFiles := msg(&MessageHeader{ID: seqID, Action: "a", Files: []FileHeader{{Name: "f", Size: 2}, {Name: "g", Size: 1}}})
	content := fmt.Sprintf("%x", must(AppendMessageContent(nil, &MessageHeader{ID: seqID, Action: "a"})))
	tests := []struct {
		name   string
		opts   ReaderOptions
		in     string
		class  error
		offset int64
	}{
		{"control byte", ReaderOptions{}, "e4", ErrInvalidHeader, 0},
		{"control byte high", ReaderOptions{}, "a0", ErrInvalidHeader, 0},
		{"count 0", ReaderOptions{}, "e2 0000", ErrInvalidHeader, 0},
		{"count 4097", ReaderOptions{}, "e2 0110", ErrInvalidHeader, 0},
		{"nibble 15", ReaderOptions{NoHeader: true}, "a0 f0", ErrUnknownPacket, 1},
		{"nibble 15 ff", ReaderOptions{NoHeader: true}, "ff", ErrUnknownPacket, 0},
		{"continue reserved", ReaderOptions{NoHeader: true}, "61 00", ErrReservedBits, 0},
		{"stream reserved", ReaderOptions{NoHeader: true}, "72 00", ErrReservedBits, 0},
		{"data reserved", ReaderOptions{NoHeader: true}, "e1 00", ErrReservedBits, 0},
		{"heartbeat reserved", ReaderOptions{NoHeader: true}, "a1", ErrReservedBits, 0},
		{"go away reserved", ReaderOptions{NoHeader: true}, "b8", ErrReservedBits, 0},
		{"abort reserved", ReaderOptions{NoHeader: true}, "94", ErrReservedBits, 0},
		{"stream end reserved", ReaderOptions{NoHeader: true}, "82", ErrReservedBits, 0},
		{"file end reserved", ReaderOptions{NoHeader: true}, "d4", ErrReservedBits, 0},
		{"file end reserved 2", ReaderOptions{NoHeader: true}, "d9 01", ErrReservedBits, 0},
		{"file header reserved", ReaderOptions{NoHeader: true}, "20 1a 10" + seqHex + "01 61 01 0200 10 02 01 66", ErrReservedBits, 0},
		{"channel range", ReaderOptions{NoHeader: true, MaxChannels: 16}, "0f 10 10", ErrChannelRange, 1},
		{"channel range 1", ReaderOptions{NoHeader: true, MaxChannels: 1}, "00 01", ErrChannelRange, 1},
		{"continue idle", ReaderOptions{NoHeader: true}, "60 00", ErrUnexpected, 0},
		{"continue complete", ReaderOptions{NoHeader: true}, withData + "60 00", ErrUnexpected, 22},
		{"data idle", ReaderOptions{NoHeader: true}, "e0 01 00", ErrUnexpected, 0},
		{"data none declared", ReaderOptions{NoHeader: true}, withStream + "e0 01 00", ErrUnexpected, 21},
		{"data too much", ReaderOptions{NoHeader: true}, withData + "e0 03 000000", ErrUnexpected, 22},
		{"data after all", ReaderOptions{NoHeader: true}, withData + "e0 02 0000 e0 00", ErrUnexpected, 26},
		{"stream idle", ReaderOptions{NoHeader: true}, "70 00", ErrUnexpected, 0},
		{"stream not declared", ReaderOptions{NoHeader: true}, withData + "70 00", ErrUnexpected, 22},
		{"stream after end", ReaderOptions{NoHeader: true}, msg(&MessageHeader{ID: seqID, HasStream: true, DataSize: 1}) + "80 70 00", ErrUnexpected, 22},
		{"stream end twice", ReaderOptions{NoHeader: true}, msg(&MessageHeader{ID: seqID, HasStream: true, DataSize: 1}) + "80 80", ErrUnexpected, 22},
		{"stream end idle", ReaderOptions{NoHeader: true}, "80", ErrUnexpected, 0},
		{"file idle", ReaderOptions{NoHeader: true}, "c0 00", ErrUnexpected, 0},
		{"file end idle", ReaderOptions{NoHeader: true}, "d0", ErrUnexpected, 0},
		{"file index beyond", ReaderOptions{NoHeader: true}, twoFiles + "c1 01 02 00", ErrUnexpected, 32},
		{"file too long", ReaderOptions{NoHeader: true}, twoFiles + "c1 02 01 0000", ErrUnexpected, 32},
		{"file too long 2", ReaderOptions{NoHeader: true}, twoFiles + "c0 01 00 c0 02 0000", ErrUnexpected, 35},
		{"file end early", ReaderOptions{NoHeader: true}, twoFiles + "c0 01 00 d0", ErrUnexpected, 35},
		{"file end twice", ReaderOptions{NoHeader: true}, twoFiles + "c0 02 0000 d0 d0", ErrUnexpected, 37},
		{"file after end", ReaderOptions{NoHeader: true}, twoFiles + "c0 02 0000 d0 c0 00", ErrUnexpected, 37},
		{"file end beyond", ReaderOptions{NoHeader: true}, twoFiles + "d1 02", ErrUnexpected, 32},
		{"message busy", ReaderOptions{NoHeader: true}, withData + minimal, ErrUnexpected, 22},
		{"response busy", ReaderOptions{NoHeader: true}, withData + "50 21 00" + parentHex + seqHex, ErrUnexpected, 22},
		{"data awaiting continue", ReaderOptions{NoHeader: true}, "20 05 40" + seqHex[:8] + "e0 01 00", ErrUnexpected, 7},
		{"message awaiting continue", ReaderOptions{NoHeader: true}, "20 05 40" + seqHex[:8] + minimal, ErrUnexpected, 7},
		{"stream end awaiting continue", ReaderOptions{NoHeader: true}, "22 01 00 80", ErrUnexpected, 3},
		{"content too long", ReaderOptions{NoHeader: true}, "20 14" + content + "00", ErrMalformed, 0},
		{"continue too long", ReaderOptions{NoHeader: true}, "20 01 00 60 13" + content[2:] + "00", ErrMalformed, 3},
		{"continue too long later", ReaderOptions{NoHeader: true}, "20 01 00 60 14" + content[2:] + "0000", ErrMalformed, 3},
		{"total too small", ReaderOptions{NoHeader: true}, "20 1a 10" + seqHex + "01 61 01 0100 00 02 01 66", ErrMalformed, 0},
		{"total too large", ReaderOptions{NoHeader: true}, "20 1a 10" + seqHex + "01 61 01 0300 00 02 01 66", ErrMalformed, 0},
		{"count 0 total 1", ReaderOptions{NoHeader: true}, "20 16 10" + seqHex + "01 61 00 0100", ErrMalformed, 0},
		{"action utf8", ReaderOptions{NoHeader: true}, "20 13 00" + seqHex + "01 ff", ErrInvalidUTF8, 0},
		{"action utf8 split", ReaderOptions{NoHeader: true}, "20 12 00" + seqHex + "01 60 01 ff", ErrInvalidUTF8, 20},
		{"name utf8", ReaderOptions{NoHeader: true}, "20 1a 10" + seqHex + "01 61 01 0200 00 02 01 80", ErrInvalidUTF8, 0},
		{"action limit", ReaderOptions{NoHeader: true, MaxActionSize: 3}, "20 17 00" + seqHex + "04 61616161", ErrLimit, 0},
		{"action limit split", ReaderOptions{NoHeader: true, MaxActionSize: 3}, "20 12 00" + seqHex + "04", ErrLimit, 0},
		{"files limit", ReaderOptions{NoHeader: true, MaxFiles: 1}, twoFiles, ErrLimit, 0},
		{"name limit", ReaderOptions{NoHeader: true, MaxFileNameSize: 2}, "20 1c 10" + seqHex + "01 61 01 0200 00 02 03 666666", ErrLimit, 0},
		{"buffer limit", ReaderOptions{NoHeader: true, MaxContentBuffer: 10}, "20 0b 00" + seqHex[:20], ErrLimit, 0},
		{"buffer limit over channels", ReaderOptions{NoHeader: true, MaxContentBuffer: 20}, "20 0a 00" + seqHex[:18] + "01 20 0a 00" + seqHex[:18] + "02 20 0a 00" + seqHex[:18], ErrLimit, 26},
		{"truncated header", ReaderOptions{}, "e2 00", ErrTruncated, 0},
		{"truncated packet header", ReaderOptions{NoHeader: true}, "34 0102", ErrTruncated, 0},
		{"truncated content", ReaderOptions{NoHeader: true}, "20 13 00 0102", ErrTruncated, 0},
		{"truncated continue", ReaderOptions{NoHeader: true}, "20 01 00", ErrTruncated, 0},
		{"truncated continue 2", ReaderOptions{NoHeader: true}, "20 01 00 01 a0 00 60 01 00", ErrTruncated, 0},
		{"truncated data", ReaderOptions{NoHeader: true}, withData + "e0 02 00", ErrTruncated, 22},
	}
	for _, tt := range tests {
		in := unhex(tt.in)
		for _, cuts := range [][]int{nil, everyByte(len(in))} {
			_, err := decodeCuts(tt.opts, in, cuts)
			var pe *ProtocolError
			if !errors.Is(err, tt.class) || !errors.As(err, &pe) || pe.Offset != tt.offset {
				t.Errorf("%s (cuts %v): got %v, want %v at offset %d", tt.name, cuts != nil, err, tt.class, tt.offset)
				break
			}
		}
	}
}

// TestReaderStickyError: after an error every call returns it.
func TestReaderStickyError(t *testing.T) {
	r := NewReader(ReaderOptions{NoHeader: true})
	_, _, err := r.Next([]byte{0xF0})
	if err == nil {
		t.Fatal("accepted 0xF0")
	}
	if _, _, err2 := r.Next([]byte{0xA0}); err2 != err {
		t.Fatal(err2)
	}
	if err3 := r.Finish(); err3 != err {
		t.Fatal(err3)
	}
	want := "sockety/wire: unknown packet type: first byte 0xf0 (offset 0, channel 0)"
	if err.Error() != want {
		t.Fatalf("%q", err.Error())
	}
}

func TestReaderBusy(t *testing.T) {
	var b []byte
	b = must(AppendSwitchChannel(b, 20))
	b = must(AppendMessage(b, &MessageHeader{ID: seqID, DataSize: 1}))
	r := NewReader(ReaderOptions{NoHeader: true})
	for p := b; len(p) > 0; {
		n, _, err := r.Next(p)
		if err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
	if !r.Busy(20) || r.Busy(0) || r.Busy(5000) || r.Channel() != 20 || r.Offset() != int64(len(b)) || r.Finish() != nil {
		t.Fatal("state")
	}
	_, ev, err := r.Next([]byte{0xE0, 0x01, 0x09})
	if err != nil || !ev.Complete || r.Busy(20) {
		t.Fatal(err, ev)
	}
}

func TestKindNames(t *testing.T) {
	seen := map[string]bool{}
	for k := KindNone; k <= KindFileEnd; k++ {
		s := k.String()
		if seen[s] || strings.HasPrefix(s, "kind(") {
			t.Errorf("kind %d: %q", k, s)
		}
		seen[s] = true
	}
	if Kind(99).String() != "kind(99)" {
		t.Error(Kind(99).String())
	}
	_ = bytes.Equal
}

// TestReaderRetainedMemory: split content on every channel, one after the
// other, does not leave large buffers behind on each channel.
func TestReaderRetainedMemory(t *testing.T) {
	files := make([]FileHeader, 100)
	for i := range files {
		files[i] = FileHeader{Name: strings.Repeat("n", 100)}
	}
	c := must(AppendMessageContent(nil, &MessageHeader{ID: seqID, Action: strings.Repeat("a", 5000), Files: files}))
	r := NewReader(ReaderOptions{NoHeader: true})
	for ch := 0; ch < MaxChannels; ch++ {
		var b []byte
		b = must(AppendSwitchChannel(b, ch))
		b = must(AppendSized(b, KindMessage, 0, c[:len(c)/2]))
		b = must(AppendContinue(b, c[len(c)/2:]))
		for i := range files {
			b = must(AppendFileEnd(b, i))
		}
		for p := b; len(p) > 0; {
			n, _, err := r.Next(p)
			if err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
	}
	kept := 0
	for _, cs := range r.chans {
		kept += cap(cs.buf) + cap(cs.files)*16 + cap(cs.cp.files)*24
	}
	if kept > MaxChannels*2048 || r.Buffered() != 0 {
		t.Fatalf("%d bytes kept over %d channels, %d buffered", kept, len(r.chans), r.Buffered())
	}
}

// TestReaderWideForms decodes the widest forms: a 3-byte Message size, File
// packets with 2- and 3-byte indexes, File End with 2- and 3-byte indexes,
// and a Data packet with a 4-byte size (whole and at random cuts).
func TestReaderWideForms(t *testing.T) {
	files := make([]FileHeader, 65537)
	files[256].Size = 1
	files[65536].Size = 2
	s := &sb{}
	s.header(4096)
	s.switchTo(4095)
	s.message(&MessageHeader{ID: seqID, Action: "many", Files: files, DataSize: 1<<24 + 5}, false)
	if first := s.b[3]; first>>2&3 != 2 {
		t.Fatalf("message first byte %02x: want a 3-byte size", first)
	}
	s.payload(KindFile, 65536, []byte{1, 2}, 0, false)
	s.payload(KindFile, 256, []byte{3}, 0, false)
	for i := len(files) - 1; i >= 0; i-- {
		s.fileEnd(i, false)
	}
	s.payload(KindData, 0, pattern(1<<24+5, 1), 0, true)
	opts := ReaderOptions{MaxFiles: 1 << 20}
	whole, err := decodeCuts(opts, s.b, nil)
	if err != nil || !equal(whole, s.want) {
		t.Fatalf("whole: %v (%d events, want %d)", err, len(whole), len(s.want))
	}
	var cuts []int
	for i := 1; i < len(s.b); i += 1 + (i*7919)%70000 {
		cuts = append(cuts, i)
	}
	cut, err := decodeCuts(opts, s.b, cuts)
	if err != nil || !equal(cut, s.want) {
		t.Fatalf("cuts: %v", err)
	}
}
