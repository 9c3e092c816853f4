package decode

import (
	"encoding/json"
	"testing"
)

// TestAppendStringMatchesEncodingJSON: the hand-written string encoder
// produces what encoding/json produces (without HTML escaping).
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "a", "h\u00e9llo/\U0001F4E6", "quote\" back\\slash", "\x00\x01\x1f\n\r\t", "\u2028\u2029", "bad \xff utf8 \xc3", "<&>"} {
		got := string(appendString(nil, s))
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("%q: %s does not parse: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("%q: decodes to %q, encoding/json gives %q", s, back, wantBack)
		}
	}
}

func TestSummaryJSONParses(t *testing.T) {
	s := &Summary{Type: TypeResponse, ID: "x", RequestID: "y", Files: []FileSummary{{Index: 0, Name: "a\"b", Size: 3, Received: 1}}, Stream: true}
	var m map[string]any
	if err := json.Unmarshal(s.AppendJSON(nil), &m); err != nil {
		t.Fatalf("%s: %v", s.AppendJSON(nil), err)
	}
	if m["summary"] != "response" || m["requestId"] != "y" || m["files"].([]any)[0].(map[string]any)["name"] != "a\"b" {
		t.Fatalf("%v", m)
	}
}
