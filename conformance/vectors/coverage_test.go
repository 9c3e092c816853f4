package vectors

import (
	"fmt"
	"sort"
	"testing"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// coverage lists the forms of every packet and the widths of every field
// that the valid vectors exercise, found from the decoded events.
func coverage(t *testing.T) map[string]int {
	t.Helper()
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	cov := map[string]int{}
	widths := [4]string{"1", "2", "3", "4"}
	for _, v := range All(files) {
		if !v.Valid() {
			continue
		}
		r := wire.NewReader(v.ReaderOptions())
		p := v.Bytes
		for len(p) > 0 {
			n, ev, err := r.Next(p)
			if err != nil {
				t.Fatalf("%s: %v", v.Name, err)
			}
			p = p[n:]
			if ev == nil || (ev.PieceOffset > 0) {
				continue
			}
			f := ev.First
			switch ev.Kind {
			case wire.KindConnHeader:
				form := [4]string{"single", "uint8", "uint16", "maximum"}[f&3]
				if f == 0xe1 && ev.Channels == 256 {
					form = "uint8 0 = 256 (Node.js)"
				}
				cov["connection header: "+form]++
			case wire.KindSwitchChannel:
				cov[map[bool]string{true: "switch channel: low", false: "switch channel: 12-bit"}[f>>4 == 0]]++
			case wire.KindFastReply:
				cov[map[bool]string{true: "fast reply: low", false: "fast reply: 12-bit"}[f>>4 == 3]]++
			case wire.KindHeartbeat, wire.KindGoAway, wire.KindAbort, wire.KindStreamEnd:
				cov[ev.Kind.String()]++
			case wire.KindFileEnd:
				cov[fmt.Sprintf("file end: index %d bytes", f&3)]++
			case wire.KindMessage, wire.KindResponse, wire.KindContinue, wire.KindData, wire.KindStream, wire.KindFile:
				cov[ev.Kind.String()+": packet size "+widths[(f>>2)&3]+" bytes"]++
				if ev.Kind == wire.KindFile {
					cov[fmt.Sprintf("file: index %d bytes", f&3)]++
				}
				if ev.Kind == wire.KindMessage || ev.Kind == wire.KindResponse {
					fl := ev.ContentFlags
					cov[fmt.Sprintf("data size: %s", [4]string{"none", "1 byte", "2 bytes", "6 bytes"}[fl>>6])]++
					cov[fmt.Sprintf("files count: %s", [4]string{"none", "1 byte", "2 bytes", "3 bytes"}[(fl>>4)&3])]++
					if (fl>>4)&3 != 0 {
						cov[fmt.Sprintf("total files size: %s", [4]string{"2 bytes", "3 bytes", "4 bytes", "6 bytes"}[(fl>>2)&3])]++
					}
					if ev.Kind == wire.KindMessage {
						cov[fmt.Sprintf("action size: %s", [2]string{"1 byte", "2 bytes"}[(fl>>1)&1])]++
					}
					if f&2 != 0 {
						cov[ev.Kind.String()+": stream attached"]++
					}
					if f&1 != 0 {
						cov[ev.Kind.String()+": expects response"]++
					}
					if ev.ContentPackets > 1 {
						cov[ev.Kind.String()+": split over Continue"]++
					}
				}
			}
		}
	}
	return cov
}

// TestCoverage: every packet form and every field width of the
// specification appears in at least one valid vector. (File-header widths,
// which the events do not expose, are listed in conformance/README.md.)
func TestCoverage(t *testing.T) {
	cov := coverage(t)
	var need []string
	for _, f := range []string{"single", "uint8", "uint16", "maximum", "uint8 0 = 256 (Node.js)"} {
		need = append(need, "connection header: "+f)
	}
	need = append(need, "switch channel: low", "switch channel: 12-bit", "fast reply: low", "fast reply: 12-bit",
		"heartbeat", "go-away", "abort", "stream-end")
	for i := 0; i < 4; i++ {
		need = append(need, fmt.Sprintf("file end: index %d bytes", i), fmt.Sprintf("file: index %d bytes", i))
	}
	for _, k := range []string{"message", "response", "continue", "data", "stream", "file"} {
		for _, w := range []string{"1", "2", "3", "4"} {
			if k == "response" && w != "1" && w != "2" {
				continue // Response widths share the Message code path; 1 and 2 are enough
			}
			need = append(need, k+": packet size "+w+" bytes")
		}
	}
	need = append(need, "data size: none", "data size: 1 byte", "data size: 2 bytes", "data size: 6 bytes",
		"files count: none", "files count: 1 byte", "files count: 2 bytes", "files count: 3 bytes",
		"total files size: 2 bytes", "total files size: 3 bytes", "total files size: 4 bytes", "total files size: 6 bytes",
		"action size: 1 byte", "action size: 2 bytes",
		"message: stream attached", "message: expects response", "response: stream attached", "response: expects response",
		"message: split over Continue", "response: split over Continue")
	for _, n := range need {
		if cov[n] == 0 {
			t.Errorf("no valid vector covers %q", n)
		}
	}
	if testing.Verbose() {
		keys := make([]string, 0, len(cov))
		for k := range cov {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.Logf("%-40s %d", k, cov[k])
		}
	}
}
