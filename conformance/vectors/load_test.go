package vectors

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadEmbedded(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Files()) {
		t.Fatalf("loaded %d files, embedded %d", len(files), len(Files()))
	}
	valid, invalid := 0, 0
	for _, v := range All(files) {
		if v.Valid() {
			valid++
		} else {
			invalid++
		}
	}
	if invalid < 30 {
		t.Errorf("%d invalid vectors, want at least 30", invalid)
	}
	t.Logf("%d files, %d valid and %d invalid vectors", len(files), valid, invalid)
}

// minimal is a valid vector file that the malformed cases below mutate.
const minimal = `{"format": "sockety-vectors/1", "group": "g", "description": "d", "vectors": [
 {"name": "v", "section": "s", "description": "d", "canonical": true,
  "bytes": [["a0", "Heartbeat"]], "expect": [{"type": "heartbeat"}], "messages": []}]}`

func TestParseMalformed(t *testing.T) {
	if _, err := ParseFile("ok.json", []byte(minimal)); err != nil {
		t.Fatalf("minimal file: %v", err)
	}
	cases := []struct{ name, from, to string }{
		{"format version", `sockety-vectors/1`, `sockety-vectors/2`},
		{"unknown top field", `"group": "g"`, `"group": "g", "extra": 1`},
		{"duplicate key", `"group": "g"`, `"group": "g", "group": "h"`},
		{"bad group name", `"group": "g"`, `"group": "G G"`},
		{"no vectors", `"vectors": [`, `"vectors": [], "x": [`},
		{"missing section", `"section": "s", `, ``},
		{"unknown vector field", `"canonical": true`, `"canonical": true, "hex": "a0"`},
		{"odd hex", `["a0", "Heartbeat"]`, `["a0a", "Heartbeat"]`},
		{"bad hex digit", `["a0", "Heartbeat"]`, `["g0", "Heartbeat"]`},
		{"double space", `["a0", "Heartbeat"]`, `["a0  a0", "Heartbeat"]`},
		{"empty comment", `["a0", "Heartbeat"]`, `["a0", ""]`},
		{"group not a pair", `["a0", "Heartbeat"]`, `["a0"]`},
		{"repeat zero", `["a0", "Heartbeat"]`, `[{"repeat": "a0", "times": 0}, "x"]`},
		{"repeat huge", `["a0", "Heartbeat"]`, `[{"repeat": "a0", "times": 99999999999}, "x"]`},
		{"unknown packet type", `{"type": "heartbeat"}`, `{"type": "ping"}`},
		{"extra packet field", `{"type": "heartbeat"}`, `{"type": "heartbeat", "channel": 0}`},
		{"missing packet field", `{"type": "heartbeat"}`, `{"type": "switch"}`},
		{"channel range", `{"type": "heartbeat"}`, `{"type": "switch", "channel": 4096}`},
		{"negative", `{"type": "heartbeat"}`, `{"type": "switch", "channel": -1}`},
		{"float", `{"type": "heartbeat"}`, `{"type": "switch", "channel": 1.5}`},
		{"bad uuid", `{"type": "heartbeat"}`, `{"type": "fast-reply", "code": 1, "id": "00112233-4455-4677-8899-AABBCCDDEEFF"}`},
		{"payload size mismatch", `{"type": "heartbeat"}`, `{"type": "data", "channel": 0, "size": 2, "payload": "00"}`},
		{"unknown error class", `"canonical": true`, `"error": {"class": "oops"}`},
		{"error with expect", `"canonical": true`, `"error": {"class": "malformed"}`},
		{"header option mismatch", `"canonical": true`, `"canonical": true, "options": {"header": "present"}`},
		{"bad header option", `"canonical": true`, `"canonical": true, "options": {"header": "yes"}`},
		{"max channels 0", `"canonical": true`, `"canonical": true, "options": {"maxChannels": 0}`},
		{"summary type", `"messages": []`, `"messages": [{"type": "data", "channel": 0, "id": "00112233-4455-4677-8899-aabbccddeeff", "complete": true}]`},
		{"trailing data", `]}]}`, `]}]} {}`},
		{"not an object", minimal, `[]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := strings.Replace(minimal, c.from, c.to, 1)
			if s == minimal {
				t.Fatalf("mutation %q did not apply", c.from)
			}
			_, err := ParseFile("bad.json", []byte(s))
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("err = %v, want ErrFormat", err)
			}
		})
	}
}

func TestExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	paths, err := Export(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(Files()) {
		t.Fatalf("exported %d files", len(paths))
	}
	files, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(All(files)), func() int { f, _ := Load(); return len(All(f)) }(); got != want {
		t.Fatalf("exported %d vectors, embedded %d", got, want)
	}
	// A duplicate name across files is rejected.
	data, err := os.ReadFile(filepath.Join(dir, "header.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "zz-copy.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); !errors.Is(err, ErrFormat) {
		t.Fatalf("duplicate names across files: err = %v", err)
	}
}

// FuzzParseFile: the loader never panics, and bounds what it accepts.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(minimal))
	// Whole vector files are large seeds, and the fuzzer minimizes every
	// new input slowly; one small real file is enough.
	data, err := embedded.ReadFile("header.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile("fuzz.json", data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		for _, v := range file.Vectors {
			if len(v.Bytes) > MaxVectorBytes {
				t.Fatalf("vector %s has %d bytes", v.Name, len(v.Bytes))
			}
		}
	})
}
