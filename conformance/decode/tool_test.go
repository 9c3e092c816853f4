package decode

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestCaptureGolden")

// readHexCapture reads a hand-written capture: hex byte pairs separated by
// white space, '#' starts a comment line.
func readHexCapture(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// TestCaptureGolden decodes hand-built captures with several read sizes:
// the output is the same for every read size and matches the golden file.
func TestCaptureGolden(t *testing.T) {
	cases := []struct {
		name    string
		opts    ToolOptions
		errAt   int64 // -1: no error
		errKind error
	}{
		{"session", ToolOptions{}, -1, nil},
		{"continue", ToolOptions{}, -1, nil},
		{"bad-reserved", ToolOptions{Header: HeaderNone}, 26, wire.ErrReservedBits},
		{"truncated", ToolOptions{}, 1, wire.ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := readHexCapture(t, filepath.Join("testdata", c.name+".hex"))
			var first []byte
			for _, chunk := range []int{0, 1, 3, 17} {
				opts := c.opts
				opts.ChunkSize = chunk
				var out bytes.Buffer
				err := Capture(bytes.NewReader(in), &out, opts)
				if c.errAt < 0 {
					if err != nil {
						t.Fatalf("chunk %d: %v", chunk, err)
					}
				} else {
					var ce *CaptureError
					if !errors.As(err, &ce) || ce.Offset != c.errAt || !errors.Is(err, c.errKind) {
						t.Fatalf("chunk %d: err = %v, want %v at offset %d", chunk, err, c.errKind, c.errAt)
					}
					if !strings.Contains(err.Error(), "byte offset") {
						t.Fatalf("error does not name the byte offset: %v", err)
					}
				}
				if first == nil {
					first = out.Bytes()
				} else if !bytes.Equal(first, out.Bytes()) {
					t.Fatalf("chunk %d: output differs from whole-input output:\n%s\nvs\n%s", chunk, out.Bytes(), first)
				}
			}
			golden := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(golden, first, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, want) {
				t.Errorf("output differs from %s (run with -update after checking):\n%s", golden, first)
			}
		})
	}
}

// TestCaptureLargePayload: a payload reported in many pieces is one line,
// with its full length and a 16-byte preview; memory does not keep it.
func TestCaptureLargePayload(t *testing.T) {
	const n = 200000
	msg := []byte{0x20, 0x19, 0xc0}
	msg = append(msg, make([]byte, 16)...)
	msg = append(msg, 0x01, 0x61, 0x40, 0x0d, 0x03, 0, 0, 0) // data size 200000
	msg = append(msg, 0xe8, 0x40, 0x0d, 0x03)                // Data, uint24 size 200000
	msg = append(msg, bytes.Repeat([]byte{0x7a}, n)...)
	var out bytes.Buffer
	if err := Capture(bytes.NewReader(msg), &out, ToolOptions{Header: HeaderNone, ChunkSize: 1000}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want message, data, summary:\n%s", len(lines), out.String())
	}
	want := `{"offset":27,"byte":"e8","type":"data","channel":0,"size":200000,"payloadLength":200000,"preview":"7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"}`
	if lines[1] != want {
		t.Errorf("data line\n got  %s\n want %s", lines[1], want)
	}
	if !strings.Contains(lines[2], `"dataReceived":200000`) || !strings.Contains(lines[2], `"complete":true`) {
		t.Errorf("summary: %s", lines[2])
	}
}

func TestPacketJSONRoundTrip(t *testing.T) {
	p := Packet{Type: TypeFile, Channel: 3, Size: 2, Index: 1, Payload: []byte{0xab, 0xcd}}
	if got, want := p.String(), `{"type":"file","channel":3,"size":2,"index":1,"payload":"abcd"}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if _, err := (Packet{Type: "nope"}).MarshalJSON(); err == nil {
		t.Fatal("unknown type marshalled")
	}
	if !p.Equal(p) || p.Equal(Packet{Type: TypeFile, Channel: 3, Size: 2, Index: 2, Payload: []byte{0xab, 0xcd}}) {
		t.Fatal("Equal")
	}
}
