package wire

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var seqID = UUID{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

const seqHex = "000102030405060708090a0b0c0d0e0f"

var parentID = UUID{0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff}

const parentHex = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestWriterBytes checks every form and width boundary against bytes
// written by hand from the specification.
func TestWriterBytes(t *testing.T) {
	long := strings.Repeat("x", 256)
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"header 1", must(AppendConnHeader(nil, 1)), "e0"},
		{"header 2", must(AppendConnHeader(nil, 2)), "e1 02"},
		{"header 255", must(AppendConnHeader(nil, 255)), "e1 ff"},
		{"header 256", must(AppendConnHeader(nil, 256)), "e2 0001"},
		{"header 4095", must(AppendConnHeader(nil, 4095)), "e2 ff0f"},
		{"header 4096", must(AppendConnHeader(nil, 4096)), "e3"},
		{"switch 0", must(AppendSwitchChannel(nil, 0)), "00"},
		{"switch 15", must(AppendSwitchChannel(nil, 15)), "0f"},
		{"switch 16", must(AppendSwitchChannel(nil, 16)), "10 10"},
		{"switch 256", must(AppendSwitchChannel(nil, 256)), "11 00"},
		{"switch 4095", must(AppendSwitchChannel(nil, 4095)), "1f ff"},
		{"heartbeat", AppendHeartbeat(nil), "a0"},
		{"go away", AppendGoAway(nil), "b0"},
		{"abort", AppendAbort(nil), "90"},
		{"stream end", AppendStreamEnd(nil), "80"},
		{"fast reply 0", must(AppendFastReply(nil, seqID, 0)), "30" + seqHex},
		{"fast reply 15", must(AppendFastReply(nil, seqID, 15)), "3f" + seqHex},
		{"fast reply 16", must(AppendFastReply(nil, seqID, 16)), "40 10" + seqHex},
		{"fast reply 4095", must(AppendFastReply(nil, seqID, 4095)), "4f ff" + seqHex},
		{"data 0", must(AppendData(nil, nil)), "e0 00"},
		{"data 3", must(AppendData(nil, []byte("abc"))), "e0 03 616263"},
		{"data header 255", must(AppendDataHeader(nil, 255)), "e0 ff"},
		{"data header 256", must(AppendDataHeader(nil, 256)), "e4 0001"},
		{"data header 65535", must(AppendDataHeader(nil, 65535)), "e4 ffff"},
		{"data header 65536", must(AppendDataHeader(nil, 65536)), "e8 000001"},
		{"data header 2^24-1", must(AppendDataHeader(nil, 1<<24-1)), "e8 ffffff"},
		{"data header 2^24", must(AppendDataHeader(nil, 1<<24)), "ec 00000001"},
		{"data header 2^32-1", must(AppendDataHeader(nil, 1<<32-1)), "ec ffffffff"},
		{"stream 1", must(AppendStream(nil, []byte{7})), "70 01 07"},
		{"stream header 256", must(AppendStreamHeader(nil, 256)), "74 0001"},
		{"file 0", must(AppendFile(nil, 0, []byte{9})), "c0 01 09"},
		{"file 1", must(AppendFile(nil, 1, []byte{9})), "c1 01 01 09"},
		{"file 255", must(AppendFileHeader(nil, 255, 1)), "c1 01 ff"},
		{"file 256", must(AppendFileHeader(nil, 256, 1)), "c2 01 0001"},
		{"file 65536", must(AppendFileHeader(nil, 65536, 1)), "c3 01 000001"},
		{"file max index", must(AppendFileHeader(nil, MaxFileIndex, 1)), "c3 01 feffff"},
		{"file 1 size 256", must(AppendFileHeader(nil, 1, 256)), "c5 0001 01"},
		{"file 0 size 2^24", must(AppendFileHeader(nil, 0, 1<<24)), "cc 00000001"},
		{"file end 0", must(AppendFileEnd(nil, 0)), "d0"},
		{"file end 1", must(AppendFileEnd(nil, 1)), "d1 01"},
		{"file end 256", must(AppendFileEnd(nil, 256)), "d2 0001"},
		{"file end 65536", must(AppendFileEnd(nil, 65536)), "d3 000001"},
		{"message minimal", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a"})), "20 13 00" + seqHex + "01 61"},
		{"message empty action", must(AppendMessage(nil, &MessageHeader{ID: seqID})), "20 12 00" + seqHex + "00"},
		{"message expects", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", Expects: true})), "21 13 00" + seqHex + "01 61"},
		{"message stream", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", HasStream: true})), "22 13 00" + seqHex + "01 61"},
		{"message data 255", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", DataSize: 255, Expects: true, HasStream: true})), "23 14 40" + seqHex + "01 61 ff"},
		{"message data 256", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", DataSize: 256})), "20 15 80" + seqHex + "01 61 0001"},
		{"message data 65536", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", DataSize: 65536})), "20 19 c0" + seqHex + "01 61 000001000000"},
		{"message data max", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", DataSize: MaxSize48})), "20 19 c0" + seqHex + "01 61 ffffffffffff"},
		{"message action 256", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: long})), "24 1301 02" + seqHex + "0001" + strings.Repeat("78", 256)},
		{"message utf8 action", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "é"})), "20 14 00" + seqHex + "02 c3a9"},
		{"message one file", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", Files: []FileHeader{{Name: "f", Size: 2}}})),
			"20 1a 10" + seqHex + "01 61 01 0200 00 02 01 66"},
		{"message two files", must(AppendMessage(nil, &MessageHeader{ID: seqID, Action: "a", DataSize: 1, Files: []FileHeader{{Name: "f", Size: 256}, {Name: "", Size: 0}}})),
			"20 1f 50" + seqHex + "01 61 01 02 0001 04 0001 01 66 00 00 00"},
		{"message total 3 bytes", must(AppendMessage(nil, &MessageHeader{ID: seqID, Files: []FileHeader{{Size: 65536}}})),
			"20 1b 14" + seqHex + "00 01 000001 08 000001 00"},
		{"message total 4 bytes", must(AppendMessage(nil, &MessageHeader{ID: seqID, Files: []FileHeader{{Size: 1 << 24}}})),
			"20 1f 18" + seqHex + "00 01 00000001 0c 000000010000 00"},
		{"message total 6 bytes", must(AppendMessage(nil, &MessageHeader{ID: seqID, Files: []FileHeader{{Size: 1 << 32}}})),
			"20 21 1c" + seqHex + "00 01 000000000100 0c 000000000100 00"},
		{"message long file name", must(AppendMessage(nil, &MessageHeader{ID: seqID, Files: []FileHeader{{Name: long, Size: 1}}})),
			"24 1901 10" + seqHex + "00 01 0100 02 01 0001" + strings.Repeat("78", 256)},
		{"response minimal", must(AppendResponse(nil, &ResponseHeader{MessageID: parentID, ID: seqID})), "50 21 00" + parentHex + seqHex},
		{"response all", must(AppendResponse(nil, &ResponseHeader{MessageID: parentID, ID: seqID, Expects: true, HasStream: true, DataSize: 5, Files: []FileHeader{{Name: "f", Size: 1}}})),
			"53 29 50" + parentHex + seqHex + "05 01 0100 00 01 01 66"},
		{"sized message low", must(AppendSized(nil, KindMessage, 3, []byte{1, 2})), "23 02 0102"},
		{"sized response", must(AppendSized(nil, KindResponse, 0, []byte{1})), "50 01 01"},
		{"continue", must(AppendContinue(nil, []byte{1, 2, 3})), "60 03 010203"},
		{"continue 256", must(AppendContinue(nil, make([]byte, 256)))[:3], "64 0001"},
		{"content", must(AppendMessageContent(nil, &MessageHeader{ID: seqID, Action: "a"})), "00" + seqHex + "01 61"},
		{"response content", must(AppendResponseContent(nil, &ResponseHeader{MessageID: parentID, ID: seqID, DataSize: 1})), "40" + parentHex + seqHex + "01"},
	}
	for _, tt := range tests {
		if want := unhex(tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s: got % x, want % x", tt.name, tt.got, want)
		}
	}
}

// TestWriterAppends checks that packets are appended after existing bytes.
func TestWriterAppends(t *testing.T) {
	b := []byte{0xAA}
	b = AppendHeartbeat(b)
	b = must(AppendSwitchChannel(b, 300))
	b = must(AppendMessage(b, &MessageHeader{ID: seqID}))
	if want := unhex("aa a0 112c 2012 00" + seqHex + "00"); !bytes.Equal(b, want) {
		t.Fatalf("got % x, want % x", b, want)
	}
}

func TestWriterContentSize(t *testing.T) {
	m := &MessageHeader{ID: seqID, Action: "hello", DataSize: 70000, Files: []FileHeader{{Name: "a", Size: 1 << 40}, {Name: "bb", Size: 3}}}
	n, err := MessageContentSize(m)
	c := must(AppendMessageContent(nil, m))
	if err != nil || n != len(c) {
		t.Fatalf("MessageContentSize %d, %v; content %d bytes", n, err, len(c))
	}
	r := &ResponseHeader{ID: seqID, DataSize: 1, Files: m.Files}
	n, err = ResponseContentSize(r)
	c = must(AppendResponseContent(nil, r))
	if err != nil || n != len(c) {
		t.Fatalf("ResponseContentSize %d, %v; content %d bytes", n, err, len(c))
	}
}

// TestWriterRefuses checks that values no width can hold are refused with
// a typed error and dst is returned unchanged.
func TestWriterRefuses(t *testing.T) {
	bad := string([]byte{0xff, 0xfe})
	huge := strings.Repeat("x", 65536)
	dst := []byte{1, 2, 3}
	tests := []struct {
		name  string
		f     func([]byte) ([]byte, error)
		class error
	}{
		{"header 0", func(b []byte) ([]byte, error) { return AppendConnHeader(b, 0) }, ErrValueRange},
		{"header 4097", func(b []byte) ([]byte, error) { return AppendConnHeader(b, 4097) }, ErrValueRange},
		{"switch -1", func(b []byte) ([]byte, error) { return AppendSwitchChannel(b, -1) }, ErrValueRange},
		{"switch 4096", func(b []byte) ([]byte, error) { return AppendSwitchChannel(b, 4096) }, ErrValueRange},
		{"fast reply 4096", func(b []byte) ([]byte, error) { return AppendFastReply(b, seqID, 4096) }, ErrValueRange},
		{"fast reply -1", func(b []byte) ([]byte, error) { return AppendFastReply(b, seqID, -1) }, ErrValueRange},
		{"data header 2^32", func(b []byte) ([]byte, error) { return AppendDataHeader(b, 1<<32) }, ErrValueRange},
		{"data header -1", func(b []byte) ([]byte, error) { return AppendDataHeader(b, -1) }, ErrValueRange},
		{"stream header 2^32", func(b []byte) ([]byte, error) { return AppendStreamHeader(b, 1<<32) }, ErrValueRange},
		{"file header 2^32", func(b []byte) ([]byte, error) { return AppendFileHeader(b, 0, 1<<32) }, ErrValueRange},
		{"file index 2^24-1", func(b []byte) ([]byte, error) { return AppendFileHeader(b, 1<<24-1, 0) }, ErrValueRange},
		{"file index -1", func(b []byte) ([]byte, error) { return AppendFile(b, -1, nil) }, ErrValueRange},
		{"file end 2^24", func(b []byte) ([]byte, error) { return AppendFileEnd(b, 1<<24) }, ErrValueRange},
		{"action 65536", func(b []byte) ([]byte, error) { return AppendMessage(b, &MessageHeader{Action: huge}) }, ErrValueRange},
		{"action utf8", func(b []byte) ([]byte, error) { return AppendMessage(b, &MessageHeader{Action: bad}) }, ErrInvalidUTF8},
		{"data 2^48", func(b []byte) ([]byte, error) { return AppendMessage(b, &MessageHeader{DataSize: 1 << 48}) }, ErrValueRange},
		{"response data 2^48", func(b []byte) ([]byte, error) { return AppendResponse(b, &ResponseHeader{DataSize: 1 << 48}) }, ErrValueRange},
		{"file size 2^48", func(b []byte) ([]byte, error) {
			return AppendMessage(b, &MessageHeader{Files: []FileHeader{{Size: 1 << 48}}})
		}, ErrValueRange},
		{"total 2^48", func(b []byte) ([]byte, error) {
			return AppendMessage(b, &MessageHeader{Files: []FileHeader{{Size: MaxSize48}, {Size: 1}}})
		}, ErrValueRange},
		{"file name 65536", func(b []byte) ([]byte, error) {
			return AppendResponse(b, &ResponseHeader{Files: []FileHeader{{Name: huge}}})
		}, ErrValueRange},
		{"file name utf8", func(b []byte) ([]byte, error) {
			return AppendMessageContent(b, &MessageHeader{Files: []FileHeader{{Name: bad}}})
		}, ErrInvalidUTF8},
		{"files 2^24", func(b []byte) ([]byte, error) {
			return AppendResponseContent(b, &ResponseHeader{Files: make([]FileHeader, 1<<24)})
		}, ErrValueRange},
		{"sized file", func(b []byte) ([]byte, error) { return AppendSized(b, KindFile, 0, nil) }, ErrValueRange},
		{"sized low 4", func(b []byte) ([]byte, error) { return AppendSized(b, KindMessage, 4, nil) }, ErrValueRange},
	}
	for _, tt := range tests {
		got, err := tt.f(dst)
		if !errors.Is(err, tt.class) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.class)
		}
		if !bytes.Equal(got, []byte{1, 2, 3}) {
			t.Errorf("%s: dst changed to % x", tt.name, got)
		}
	}
}

// TestWriterFileCountWidths covers the 2- and 3-byte files count.
func TestWriterFileCountWidths(t *testing.T) {
	for _, tt := range []struct {
		count int
		flags byte
		want  string
	}{{255, 0x10, "ff"}, {256, 0x20, "0001"}, {65535, 0x20, "ffff"}, {65536, 0x30, "000001"}} {
		c := must(AppendMessageContent(nil, &MessageHeader{Files: make([]FileHeader, tt.count)}))
		w := len(tt.want) / 2
		if c[0] != tt.flags || !bytes.Equal(c[18:18+w], unhex(tt.want)) || !bytes.Equal(c[18+w:18+w+2], []byte{0, 0}) {
			t.Errorf("count %d: flags %02x, count bytes % x", tt.count, c[0], c[18:18+w])
		}
		if len(c) != 18+w+2+3*tt.count {
			t.Errorf("count %d: %d bytes", tt.count, len(c))
		}
	}
}

func TestWriterAllocs(t *testing.T) {
	buf := make([]byte, 0, 4096)
	m := &MessageHeader{ID: seqID, Action: "action", DataSize: 100, Files: []FileHeader{{Name: "f", Size: 10}}}
	r := &ResponseHeader{ID: seqID, DataSize: 100}
	n := testing.AllocsPerRun(100, func() {
		b := buf[:0]
		b, _ = AppendMessage(b, m)
		b, _ = AppendResponse(b, r)
		b, _ = AppendFastReply(b, seqID, 100)
		b, _ = AppendDataHeader(b, 1000)
		b, _ = AppendFileHeader(b, 3, 1000)
		b, _ = AppendSwitchChannel(b, 100)
		_ = AppendHeartbeat(b)
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestUUID(t *testing.T) {
	s := seqID.String()
	if s != "00010203-0405-0607-0809-0a0b0c0d0e0f" {
		t.Fatal(s)
	}
	for _, in := range []string{s, strings.ToUpper(s), strings.ReplaceAll(s, "-", "")} {
		u, err := ParseUUID(in)
		if err != nil || u != seqID {
			t.Errorf("ParseUUID(%q) = %v, %v", in, u, err)
		}
	}
	for _, in := range []string{"", "00010203-0405-0607-0809-0a0b0c0d0e0", "00010203x0405-0607-0809-0a0b0c0d0e0f", "g0010203-0405-0607-0809-0a0b0c0d0e0f"} {
		if _, err := ParseUUID(in); err == nil {
			t.Errorf("ParseUUID(%q) accepted", in)
		}
	}
	var u UUID
	if err := u.UnmarshalText([]byte(s)); err != nil || u != seqID {
		t.Fatal(u, err)
	}
	if b, _ := u.MarshalText(); string(b) != s {
		t.Fatal(string(b))
	}
}

// TestWriterWholeEqualsSized: AppendMessage/AppendResponse (with their fast
// paths) write the same bytes as AppendSized over the content.
func TestWriterWholeEqualsSized(t *testing.T) {
	var hs []MessageHeader
	hs = append(hs, widthMessages...)
	for _, a := range []string{"", "a", strings.Repeat("z", 255), strings.Repeat("z", 237), strings.Repeat("z", 238), strings.Repeat("z", 256)} {
		for _, d := range []uint64{0, 1, 255, 256, 65535, 65536} {
			for fl := 0; fl < 4; fl++ {
				hs = append(hs, MessageHeader{ID: seqID, Action: a, DataSize: d, HasStream: fl&2 != 0, Expects: fl&1 != 0})
			}
		}
	}
	for i := range hs {
		m := &hs[i]
		whole := must(AppendMessage([]byte{9}, m))
		sized := must(AppendSized([]byte{9}, KindMessage, FlagBits(m.HasStream, m.Expects), must(AppendMessageContent(nil, m))))
		if !bytes.Equal(whole, sized) {
			t.Fatalf("message %d: % x\n% x", i, whole[:min(40, len(whole))], sized[:min(40, len(sized))])
		}
		r := &ResponseHeader{MessageID: parentID, ID: m.ID, DataSize: m.DataSize, Files: m.Files, HasStream: m.HasStream, Expects: m.Expects}
		whole = must(AppendResponse(nil, r))
		sized = must(AppendSized(nil, KindResponse, FlagBits(r.HasStream, r.Expects), must(AppendResponseContent(nil, r))))
		if !bytes.Equal(whole, sized) {
			t.Fatalf("response %d differs", i)
		}
	}
}
