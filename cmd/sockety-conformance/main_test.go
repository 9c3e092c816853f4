package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpListsCommands(t *testing.T) {
	code, out, _ := run(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "decode") {
		t.Fatalf("code %d, output %q", code, out)
	}
	for n := range commands {
		if !strings.Contains(out, "  "+n+" ") {
			t.Errorf("help does not list %q", n)
		}
	}
	if code, _, _ := run(t, nil); code != 2 {
		t.Errorf("no arguments: code %d, want 2", code)
	}
	if code, _, errs := run(t, nil, "nope"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: code %d, stderr %q", code, errs)
	}
}

// minimal is the 21-byte minimal Message.
var minimal = []byte{0x20, 0x13, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x46, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x61}

func TestDecodeStdinAndFile(t *testing.T) {
	code, out, errs := run(t, minimal, "decode", "-")
	if code != 0 || errs != "" {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"action":"a"`) || !strings.Contains(lines[1], `"complete":true`) {
		t.Fatalf("output:\n%s", out)
	}
	// The same bytes behind a connection header, from a file, auto-detected.
	p := filepath.Join(t.TempDir(), "capture.bin")
	if err := os.WriteFile(p, append([]byte{0xe1, 0x00}, minimal...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, nil, "decode", p)
	if code != 0 || !strings.HasPrefix(out, `{"offset":0,"byte":"e1","type":"header","channels":256}`) {
		t.Fatalf("code %d, output:\n%s", code, out)
	}
	// --no-header: 0xE1 is then a Data packet with reserved bits.
	code, out, errs = run(t, nil, "decode", "--no-header", p)
	if code != 1 || !strings.Contains(errs, "byte offset 0") || !strings.Contains(out, `"class":"reserved-bits"`) {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestDecodeBadInput(t *testing.T) {
	bad := append(append([]byte{}, minimal...), 0xf0)
	code, out, errs := run(t, bad, "decode", "--no-header", "-")
	if code != 1 {
		t.Fatalf("code %d, want 1", code)
	}
	if !strings.Contains(out, `"type":"message"`) || !strings.Contains(out, `"class":"unknown-packet","offset":21`) {
		t.Fatalf("stdout:\n%s", out)
	}
	if !strings.Contains(errs, "byte offset 21") {
		t.Fatalf("stderr %q does not name the offset", errs)
	}
	if code, _, errs := run(t, nil, "decode", filepath.Join(t.TempDir(), "missing")); code != 1 || errs == "" {
		t.Fatalf("missing file: code %d, stderr %q", code, errs)
	}
	if code, _, _ := run(t, nil, "decode", "--header", "--no-header", "-"); code != 2 {
		t.Fatalf("conflicting flags: code %d, want 2", code)
	}
	if code, _, _ := run(t, nil, "decode"); code != 2 {
		t.Fatalf("no file: code %d, want 2", code)
	}
}
