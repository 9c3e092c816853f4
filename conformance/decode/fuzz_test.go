package decode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCapture: the decode tool never panics, every output line is one JSON
// object, and bad input ends in a *CaptureError whose offset is in range.
func FuzzCapture(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.hex"))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(hexCapture(data), uint8(0))
	}
	f.Add([]byte{0xe1, 0x00, 0xa0}, uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, mode uint8) {
		opts := ToolOptions{Header: HeaderMode(mode % 3), ChunkSize: 1 + int(mode)%7, MaxChannels: 1 + int(mode)%5}
		var out bytes.Buffer
		err := Capture(bytes.NewReader(in), &out, opts)
		if err != nil {
			var ce *CaptureError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *CaptureError", err)
			}
			if ce.Offset < 0 || ce.Offset > int64(len(in)) {
				t.Fatalf("error offset %d outside 0-%d", ce.Offset, len(in))
			}
			if ClassName(err) == "" {
				t.Fatalf("error of no class: %v", err)
			}
		}
		sc := bufio.NewScanner(&out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Bytes(), err)
			}
		}
	})
}

// hexCapture converts a testdata .hex file to bytes (comments dropped).
func hexCapture(data []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range bytes.Fields(line) {
			var b byte
			for _, c := range f {
				b <<= 4
				switch {
				case c >= '0' && c <= '9':
					b |= c - '0'
				case c >= 'a' && c <= 'f':
					b |= c - 'a' + 10
				}
			}
			out = append(out, b)
		}
	}
	return out
}
