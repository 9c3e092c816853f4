package raw

import (
	"bytes"
	"testing"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// TestBuilderMatchesWire checks the runner's builder against sockety/wire's writer on
// canonical forms: two independent encoders must agree byte for byte.
func TestBuilderMatchesWire(t *testing.T) {
	id := NewID()
	parent := NewID()
	heads := []struct {
		h Head
		m wire.MessageHeader
	}{
		{Head{ID: id, Action: []byte("fast"), Expects: true}, wire.MessageHeader{ID: id, Action: "fast", Expects: true}},
		{Head{ID: id, Action: bytes.Repeat([]byte("a"), 300), DataSize: 70000, Stream: true},
			wire.MessageHeader{ID: id, Action: string(bytes.Repeat([]byte("a"), 300)), DataSize: 70000, HasStream: true}},
		{Head{ID: id, Action: []byte("echo"), DataSize: 256, Files: []FileSpec{{Name: []byte("żółw"), Size: 0}, {Name: bytes.Repeat([]byte("n"), 256), Size: 1 << 24}}, Expects: true},
			wire.MessageHeader{ID: id, Action: "echo", DataSize: 256, Files: []wire.FileHeader{{Name: "żółw"}, {Name: string(bytes.Repeat([]byte("n"), 256)), Size: 1 << 24}}, Expects: true}},
	}
	for i, x := range heads {
		want, err := wire.AppendMessage(nil, &x.m)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.h.Start(nil); !bytes.Equal(got, want) {
			t.Errorf("message %d:\n got % x\nwant % x", i, got, want)
		}
	}
	rh := Head{Response: true, ID: id, Parent: parent, DataSize: 5, Files: []FileSpec{{Name: []byte("f"), Size: 65536}}, Expects: true}
	want, _ := wire.AppendResponse(nil, &wire.ResponseHeader{MessageID: parent, ID: id, DataSize: 5, Files: []wire.FileHeader{{Name: "f", Size: 65536}}, Expects: true})
	if got := rh.Start(nil); !bytes.Equal(got, want) {
		t.Errorf("response:\n got % x\nwant % x", got, want)
	}
	for _, n := range []int{1, 2, 255, 256, 4095, 4096} {
		w, _ := wire.AppendConnHeader(nil, n)
		if got := Header(n); !bytes.Equal(got, w) {
			t.Errorf("header %d: % x, wire % x", n, got, w)
		}
	}
	for _, ch := range []int{0, 15, 16, 4095} {
		w, _ := wire.AppendSwitchChannel(nil, ch)
		if got := Switch(nil, ch, false); !bytes.Equal(got, w) {
			t.Errorf("switch %d: % x, wire % x", ch, got, w)
		}
	}
	for _, code := range []int{0, 15, 16, 4095} {
		w, _ := wire.AppendFastReply(nil, id, code)
		if got := FastReply(nil, id, code, false); !bytes.Equal(got, w) {
			t.Errorf("fast %d: % x, wire % x", code, got, w)
		}
	}
	for _, n := range []int{0, 1, 255, 256, 65536} {
		p := bytes.Repeat([]byte{7}, n)
		w, _ := wire.AppendData(nil, p)
		if got := Data(nil, p); !bytes.Equal(got, w) {
			t.Errorf("data %d differs", n)
		}
		for _, idx := range []int{0, 1, 256, 65536} {
			w, _ := wire.AppendFile(nil, idx, p)
			if got := File(nil, idx, p); !bytes.Equal(got, w) {
				t.Errorf("file %d/%d differs", idx, n)
			}
			we, _ := wire.AppendFileEnd(nil, idx)
			if got := FileEnd(nil, idx); !bytes.Equal(got, we) {
				t.Errorf("file end %d: % x, wire % x", idx, got, we)
			}
		}
	}
}

// TestAssemblerAgreesWithWire feeds split, multiplexed and bad streams to both decoders.
func TestAssemblerAgreesWithWire(t *testing.T) {
	h := Head{ID: NewID(), Action: []byte("echo"), DataSize: 3, Files: []FileSpec{{Name: []byte("a"), Size: 2}}, Stream: true, Expects: true}
	good := Header(4096)
	good = h.Split(good, []int{0, 5, 20, 21})
	good = Switch(good, 300, false)
	good = Heartbeat(good)
	good = Switch(good, 0, false)
	good = Data(good, []byte("abc"))
	good = File(good, 0, []byte("xy"))
	good = FileEnd(good, 0)
	good = Stream(good, []byte("s"))
	good = append(good, BStreamEnd)
	bad := [][]byte{
		append(Header(4096), 0xF0),
		Data(Header(4096), []byte("x")),
		append(h.Start(Header(4096)), h.Start(nil)...),
		FileEnd(FileEnd(File(Data((&Head{ID: h.ID, Action: []byte("e"), DataSize: 1, Files: []FileSpec{{Name: []byte("a")}}}).Start(Header(4096)), []byte("x")), 0, nil), 0), 0),
	}
	check := func(b []byte, wantOK bool) {
		a := NewAssembler(true)
		_, aerr := a.Feed(b)
		b2 := NewAssembler(true)
		for i := range b {
			if _, err := b2.Feed(b[i : i+1]); err != nil {
				break
			}
		}
		werr := WireCheck(b, 4096)
		if (aerr == nil) != wantOK || (werr == nil) != wantOK || (b2.Err == nil) != wantOK {
			t.Errorf("% x: assembler %v, byte-by-byte %v, wire %v, want ok=%v", b, aerr, b2.Err, werr, wantOK)
		}
	}
	check(good, true)
	for _, b := range bad {
		check(b, false)
	}
	a := NewAssembler(true)
	a.Feed(good)
	if len(a.Objs) != 1 || !a.Objs[0].Complete() || string(a.Objs[0].Data) != "abc" || string(a.Objs[0].Files[0].Data) != "xy" || a.Objs[0].Continues != 4 {
		t.Errorf("assembled %+v", a.Objs[0])
	}
}

// FuzzAssembler: no panic and bounded memory on any input, and byte-by-byte feeding agrees
// with feeding at once.
func FuzzAssembler(f *testing.F) {
	h := Head{ID: NewID(), Action: []byte("echo"), DataSize: 3, Files: []FileSpec{{Name: []byte("a"), Size: 2}}, Stream: true}
	f.Add(append(h.Split(Header(4096), []int{3}), 0xE3, 1, 0x61))
	f.Add([]byte{0xE0, 0x30, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		a := NewAssembler(true)
		_, err := a.Feed(b)
		c := NewAssembler(true)
		var err2 error
		for i := range b {
			if _, err2 = c.Feed(b[i : i+1]); err2 != nil {
				break
			}
		}
		if (err == nil) != (err2 == nil) || len(a.Objs) != len(c.Objs) || len(a.Fasts) != len(c.Fasts) {
			t.Fatalf("whole: %v (%d objs), byte by byte: %v (%d objs)", err, len(a.Objs), err2, len(c.Objs))
		}
	})
}

// Heartbeat appends a Heartbeat (test helper).
func Heartbeat(dst []byte) []byte { return append(dst, BHeartbeat) }
