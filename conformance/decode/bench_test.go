package decode

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkCapture measures the decode tool on a stream of minimal Messages
// (21 bytes each) and on 64 KiB Data packets.
func BenchmarkCapture(b *testing.B) {
	minimal := []byte{0x20, 0x13, 0x00, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x46, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x61}
	msgs := bytes.Repeat(minimal, 10000)
	big := []byte{0x20, 0x19, 0xc0}
	big = append(big, make([]byte, 16)...)
	big = append(big, 0x01, 0x61, 0x00, 0x00, 0x40, 0, 0, 0) // data size 4 MiB
	for i := 0; i < 64; i++ {
		big = append(big, 0xe8, 0x00, 0x00, 0x01)
		big = append(big, make([]byte, 65536)...)
	}
	for _, c := range []struct {
		name string
		in   []byte
	}{{"minimal-messages", msgs}, {"data-64KiB", big}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Capture(bytes.NewReader(c.in), io.Discard, ToolOptions{Header: HeaderNone}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
