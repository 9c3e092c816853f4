package wire

import (
	"testing"
)

// minimalMessage is a 21-byte Message: 0x20, size 19, flags, UUID, action
// size 1, action "a".
var minimalMessage = &MessageHeader{ID: UUID{0: 0xAA, 15: 0x55}, Action: "a"}

// mixedPackets returns a stream of n packets cycling minimal Message,
// Heartbeat and Fast Reply (no connection header).
func mixedPackets(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			b, _ = AppendMessage(b, minimalMessage)
		case 1:
			b = AppendHeartbeat(b)
		case 2:
			b, _ = AppendFastReply(b, minimalMessage.ID, i&7)
		}
	}
	return b
}

func benchDecode(b *testing.B, stream []byte, packets int) {
	b.SetBytes(int64(len(stream)) / int64(packets))
	b.ReportAllocs()
	r := NewReader(ReaderOptions{NoHeader: true})
	b.ResetTimer()
	p := stream
	for i := 0; i < b.N; i++ {
		if len(p) == 0 {
			p = stream
		}
		n, ev, err := r.Next(p)
		if err != nil || ev == nil {
			b.Fatal(err, ev)
		}
		p = p[n:]
	}
}

// BenchmarkDecodeMinimalMessage: one op = one 21-byte Message decoded.
func BenchmarkDecodeMinimalMessage(b *testing.B) {
	var s []byte
	for i := 0; i < 1024; i++ {
		s, _ = AppendMessage(s, minimalMessage)
	}
	if len(s) != 21*1024 {
		b.Fatal(len(s))
	}
	benchDecode(b, s, 1024)
}

// BenchmarkDecodeHeartbeat: one op = one Heartbeat decoded.
func BenchmarkDecodeHeartbeat(b *testing.B) {
	var s []byte
	for i := 0; i < 1024; i++ {
		s = AppendHeartbeat(s)
	}
	benchDecode(b, s, 1024)
}

// BenchmarkDecodeFastReply: one op = one 17-byte Fast Reply decoded.
func BenchmarkDecodeFastReply(b *testing.B) {
	var s []byte
	for i := 0; i < 1024; i++ {
		s, _ = AppendFastReply(s, minimalMessage.ID, i%64)
	}
	benchDecode(b, s, 1024)
}

// BenchmarkDecodeMixed: one op = one packet of a Message/Heartbeat/Fast Reply mix.
func BenchmarkDecodeMixed(b *testing.B) {
	benchDecode(b, mixedPackets(3*1024), 3*1024)
}

// BenchmarkDecodeData1MiB: one op = one 1 MiB Data packet (a Message with
// 1 MiB of data, then the Data packet) decoded from one input slice.
func BenchmarkDecodeData1MiB(b *testing.B) {
	const size = 1 << 20
	payload := make([]byte, size)
	var s []byte
	s, _ = AppendMessage(s, &MessageHeader{Action: "d", DataSize: size})
	msgLen := len(s)
	s, _ = AppendData(s, payload)
	r := NewReader(ReaderOptions{NoHeader: true})
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := s
		n, ev, err := r.Next(p)
		if err != nil || n != msgLen || ev.Kind != KindMessage {
			b.Fatal(err)
		}
		p = p[n:]
		n, ev, err = r.Next(p)
		if err != nil || n != len(p) || !ev.Complete || len(ev.Payload) != size || &ev.Payload[0] != &p[n-size] {
			b.Fatal(err, n)
		}
	}
}

func benchEncode(b *testing.B, f func([]byte, int) []byte) {
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if len(buf) > 60<<10 {
			buf = buf[:0]
		}
		buf = f(buf, i)
	}
}

// BenchmarkEncodeMinimalMessage: one op = one 21-byte Message appended.
func BenchmarkEncodeMinimalMessage(b *testing.B) {
	b.SetBytes(21)
	benchEncode(b, func(buf []byte, _ int) []byte {
		buf, err := AppendMessage(buf, minimalMessage)
		if err != nil {
			b.Fatal(err)
		}
		return buf
	})
}

// BenchmarkEncodeHeartbeat: one op = one Heartbeat appended.
func BenchmarkEncodeHeartbeat(b *testing.B) {
	b.SetBytes(1)
	benchEncode(b, func(buf []byte, _ int) []byte { return AppendHeartbeat(buf) })
}

// BenchmarkEncodeFastReply: one op = one Fast Reply appended.
func BenchmarkEncodeFastReply(b *testing.B) {
	b.SetBytes(17)
	benchEncode(b, func(buf []byte, i int) []byte {
		buf, err := AppendFastReply(buf, minimalMessage.ID, i&15)
		if err != nil {
			b.Fatal(err)
		}
		return buf
	})
}

// BenchmarkEncodeDataHeader: one op = one Data packet header appended.
func BenchmarkEncodeDataHeader(b *testing.B) {
	benchEncode(b, func(buf []byte, i int) []byte {
		buf, err := AppendDataHeader(buf, i&0xFFFFF)
		if err != nil {
			b.Fatal(err)
		}
		return buf
	})
}

// BenchmarkDecodeData1MiBIn64KiBReads: one op = one Message + 1 MiB Data
// packet fed in 64 KiB pieces, as a connection's read loop would (17
// events, payload still not copied).
func BenchmarkDecodeData1MiBIn64KiBReads(b *testing.B) {
	const size = 1 << 20
	var s []byte
	s, _ = AppendMessage(s, &MessageHeader{Action: "d", DataSize: size})
	s, _ = AppendData(s, make([]byte, size))
	r := NewReader(ReaderOptions{NoHeader: true})
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		complete := false
		for off := 0; off < len(s); off += 64 << 10 {
			p := s[off:min(off+64<<10, len(s))]
			for len(p) > 0 {
				n, ev, err := r.Next(p)
				if err != nil {
					b.Fatal(err)
				}
				if ev != nil && ev.Complete {
					complete = true
				}
				p = p[n:]
			}
		}
		if !complete {
			b.Fatal("not complete")
		}
	}
}
