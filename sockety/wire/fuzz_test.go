package wire

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// fuzzOptions derives reader options from one fuzz byte: header mode,
// Continue events and (for FuzzReader) small limits.
func fuzzOptions(b byte, limits bool) ReaderOptions {
	o := ReaderOptions{
		NoHeader:       b&1 != 0,
		AutoHeader:     b&2 != 0,
		ContinueEvents: b&4 != 0,
	}
	if b&8 != 0 {
		o.MaxChannels = 1 + int(b>>4)
	}
	if limits && b&16 != 0 {
		o.MaxActionSize = 8
		o.MaxFiles = 3
		o.MaxFileNameSize = 5
		o.MaxContentBuffer = 40
	}
	return o
}

// seedCorpus adds streams built with the writer and the bad inputs of the
// error tests.
func seedCorpus(f *testing.F, add func(b []byte)) {
	add(mixedPackets(9))
	for i := range widthMessages {
		m := widthMessages[i]
		if len(m.Action) > 300 || m.DataSize > 300 || len(m.Files) > 3 {
			continue
		}
		s := &sb{}
		s.header(4096)
		s.switchTo(17)
		s.message(&m, false)
		s.sendAll(m.DataSize, m.Files, m.HasStream)
		add(s.b)
	}
	c := must(AppendMessageContent(nil, &MessageHeader{ID: seqID, Action: "act", DataSize: 2, Files: []FileHeader{{Name: "f", Size: 1}}}))
	var b []byte
	b = must(AppendSized(b, KindMessage, 1, c[:10]))
	b = must(AppendSwitchChannel(b, 3))
	b = AppendHeartbeat(b)
	b = must(AppendSwitchChannel(b, 0))
	b = must(AppendContinue(b, c[10:]))
	b = must(AppendData(b, []byte{1, 2}))
	b = must(AppendFile(b, 0, []byte{3}))
	b = must(AppendFileEnd(b, 0))
	add(b)
	// The golden vectors seed conformance/vectors.FuzzDecodeVectors, which
	// loads them with the strict vector loader (this package cannot import it).
}

// FuzzReader decodes arbitrary bytes: no panic, no hang (every call makes
// progress), bounded buffering, only *ProtocolError errors.
func FuzzReader(f *testing.F) {
	seedCorpus(f, func(b []byte) {
		f.Add(b, byte(0))
		f.Add(b, byte(1))
		f.Add(b, byte(0x1f))
	})
	f.Fuzz(func(t *testing.T, data []byte, ob byte) {
		opts := fuzzOptions(ob, true)
		r := NewReader(opts)
		p := data
		calls := 0
		for len(p) > 0 {
			calls++
			if calls > len(data)+1 {
				t.Fatal("no progress")
			}
			n, ev, err := r.Next(p)
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) || pe.Class == nil || pe.Offset < 0 || pe.Offset > int64(len(data)) {
					t.Fatalf("bad error %#v", err)
				}
				return
			}
			if n < 0 || n > len(p) || (n == 0 && ev == nil) || (ev != nil && n == 0) {
				t.Fatalf("consumed %d of %d, event %v", n, len(p), ev != nil)
			}
			if r.Buffered() > r.maxBuf+24 {
				t.Fatalf("buffered %d, limit %d", r.Buffered(), r.maxBuf)
			}
			if ev != nil {
				if len(ev.Payload) > 0 && indexIn(p, ev.Payload) < 0 {
					t.Fatal("payload not a slice of the input")
				}
				if ev.Offset < 0 || ev.Offset >= int64(len(data)) || ev.Channel < 0 || ev.Channel >= r.maxCh {
					t.Fatalf("event offset %d channel %d", ev.Offset, ev.Channel)
				}
				if len(ev.Files) != ev.FilesCount || len(ev.Action) > r.maxAction {
					t.Fatalf("files %d/%d", len(ev.Files), ev.FilesCount)
				}
			}
			p = p[n:]
		}
		if err := r.Finish(); err != nil && !errors.Is(err, ErrTruncated) {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatal(err)
			}
		}
	})
}

// FuzzReaderChunked decodes the same bytes whole, byte by byte (for short
// inputs) and at random cut points: the events and the error must be equal.
func FuzzReaderChunked(f *testing.F) {
	seedCorpus(f, func(b []byte) {
		f.Add(b, byte(0), int64(1))
		f.Add(b, byte(5), int64(2))
	})
	f.Fuzz(func(t *testing.T, data []byte, ob byte, seed int64) {
		opts := fuzzOptions(ob, false)
		whole, err := decodeCuts(opts, data, nil)
		rng := rand.New(rand.NewSource(seed))
		cuts := randomCuts(rng, len(data))
		if seed&1 == 0 && len(data) < 4096 {
			cuts = everyByte(len(data))
		}
		cut, err2 := decodeCuts(opts, data, cuts)
		if fmt.Sprint(err) != fmt.Sprint(err2) || !equal(whole, cut) {
			t.Fatalf("whole:\n%s\n%v\ncut:\n%s\n%v", strings.Join(whole, "\n"), err, strings.Join(cut, "\n"), err2)
		}
		for _, e := range []error{err, err2} {
			var pe *ProtocolError
			if e != nil && !errors.As(e, &pe) {
				t.Fatalf("not a protocol error: %v", e)
			}
		}
	})
}

// FuzzRoundTrip encodes a Message or Response built from the fuzz values,
// sends its payload split at fuzzed points, and decodes it three ways: the
// decoded fields and payload must be what was encoded.
func FuzzRoundTrip(f *testing.F) {
	f.Add(int64(1), "action", "file", uint16(3), byte(2), byte(0), uint16(5))
	f.Add(int64(2), "", "", uint16(0), byte(0), byte(0xff), uint16(0))
	f.Add(int64(3), strings.Repeat("é", 200), "ñ", uint16(300), byte(1), byte(0x13), uint16(400))
	f.Fuzz(func(t *testing.T, seed int64, action, name string, dataSize uint16, nfiles byte, flags byte, cut uint16) {
		rng := rand.New(rand.NewSource(seed))
		files := make([]FileHeader, int(nfiles)%6)
		for i := range files {
			files[i] = FileHeader{Name: name + strings.Repeat("x", rng.Intn(3)*150), Size: uint64(rng.Intn(4)) * uint64(rng.Intn(100))}
		}
		resp := flags&0x10 != 0
		m := &MessageHeader{ID: UUID{byte(seed), 1}, Action: action, Expects: flags&1 != 0, HasStream: flags&2 != 0, DataSize: uint64(dataSize) % 1000, Files: files}
		r := &ResponseHeader{MessageID: UUID{9}, ID: m.ID, Expects: m.Expects, HasStream: m.HasStream, DataSize: m.DataSize, Files: files}
		var c []byte
		var err error
		if resp {
			c, err = AppendResponseContent(nil, r)
		} else {
			c, err = AppendMessageContent(nil, m)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidUTF8) && !errors.Is(err, ErrValueRange) {
				t.Fatal(err)
			}
			return
		}
		ch := int(flags>>5) * 500
		var b []byte
		b = must(AppendConnHeader(b, 4096))
		b = must(AppendSwitchChannel(b, ch))
		at := int(cut) % (len(c) + 1)
		kind := KindMessage
		if resp {
			kind = KindResponse
		}
		b = must(AppendSized(b, kind, FlagBits(m.HasStream, m.Expects), c[:at]))
		if at < len(c) {
			b = must(AppendSwitchChannel(b, ch+1))
			b = must(AppendFastReply(b, m.ID, int(cut)%4096))
			b = must(AppendSwitchChannel(b, ch))
			b = must(AppendContinue(b, c[at:]))
		}
		data := pattern(int(m.DataSize), byte(seed))
		for len(data) > 0 {
			n := 1 + rng.Intn(len(data))
			b = must(AppendData(b, data[:n]))
			data = data[n:]
		}
		for i, fh := range files {
			fd := pattern(int(fh.Size), byte(i))
			for len(fd) > 0 {
				n := 1 + rng.Intn(len(fd))
				b = must(AppendFile(b, i, fd[:n]))
				fd = fd[n:]
			}
			b = must(AppendFileEnd(b, i))
		}
		if m.HasStream {
			b = must(AppendStream(b, []byte("stream")))
			b = AppendStreamEnd(b)
		}
		events, err := decodeThreeWays(ReaderOptions{}, b, seed)
		if err != nil {
			t.Fatal(err)
		}
		var head string
		for _, e := range events {
			if strings.HasPrefix(e, kind.String()+"@") {
				head = e
			}
		}
		ev := contentEvent(kind, m.ID, UUID{}, m.Action, m.Expects, m.HasStream, m.DataSize, files, c)
		if resp {
			ev.ParentID = r.MessageID
		}
		ev.Offset = int64(len(must(AppendConnHeader(nil, 4096))) + len(must(AppendSwitchChannel(nil, ch))))
		ev.Channel = ch
		ev.PacketSize = at
		ev.First = ev.First&^0x0c | sizeCode(uint64(at))<<2
		ev.ContentPackets = 1
		if at < len(c) {
			ev.ContentPackets = 2
		}
		ev.Complete = m.DataSize == 0 && len(files) == 0 && !m.HasStream
		if want := fmtEvent(&ev); head != want {
			t.Fatalf("got  %s\nwant %s", head, want)
		}
		if last := events[len(events)-1]; !strings.HasSuffix(last, " complete") {
			t.Fatalf("last event not complete: %s", last)
		}
	})
}
