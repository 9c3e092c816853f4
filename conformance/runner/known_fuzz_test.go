package runner

import (
	"strings"
	"testing"
)

// FuzzParseKnown parses arbitrary known-failures files: no panic; what is
// accepted has only IDs with a '/', without spaces or '#', and reasons
// without '#' or surrounding spaces; an accepted file re-serialised parses
// to the same map.
func FuzzParseKnown(f *testing.F) {
	f.Add("# comment\nbasic/header-first  reason text\n\nfiles/x\n")
	f.Add("a/b x # trailing\na/b y\n")
	f.Add("nocase reason\n")
	f.Add("\t a/b\t\treason\r\n")
	f.Add("a/b \xff\xfe\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseKnown(text)
		if err != nil {
			if m != nil {
				t.Fatalf("map and error %v", err)
			}
			return
		}
		var b strings.Builder
		for id, reason := range m {
			if !strings.Contains(id, "/") || strings.ContainsAny(id, " #\n") || id == "" {
				t.Fatalf("accepted ID %q", id)
			}
			if strings.Contains(reason, "#") || reason != strings.TrimSpace(reason) {
				t.Fatalf("accepted reason %q", reason)
			}
			b.WriteString(id + " " + reason + "\n")
		}
		m2, err := ParseKnown(b.String())
		if err != nil {
			t.Fatalf("re-serialised file refused: %v\n%s", err, b.String())
		}
		if len(m2) != len(m) {
			t.Fatalf("round trip: %d entries, want %d", len(m2), len(m))
		}
		for id, r := range m {
			if m2[id] != r {
				t.Fatalf("round trip of %q: reason %q, want %q", id, m2[id], r)
			}
		}
	})
}
