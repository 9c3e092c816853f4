package vectors

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/conformance/decode"
)

// TestVectors decodes every vector whole, byte by byte and with random cuts,
// compares with the expectation, encodes canonical vectors back, and checks
// the error class of invalid vectors.
func TestVectors(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	encoded := 0
	for _, v := range All(files) {
		t.Run(v.Group+"/"+v.Name, func(t *testing.T) {
			res := RunOne(v)
			for _, f := range res.Failures {
				t.Error(f)
			}
			if res.Encoded {
				encoded++
			}
		})
	}
	if encoded < 40 {
		t.Errorf("only %d vectors encoded back, want at least 40", encoded)
	}
}

// TestEncodeRefusesContinue: Continue has no canonical encoding.
func TestEncodeRefusesContinue(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range All(files) {
		if v.Name == "continue-split-inside-uuid" {
			if _, err := Encode(v.Expect); err == nil {
				t.Fatal("Encode accepted a Continue packet")
			}
			return
		}
	}
	t.Fatal("vector continue-split-inside-uuid not found")
}

// TestRunDetectsMismatch: a wrong expectation, a wrong error class or offset,
// and a wrong canonical encoding are all reported.
func TestRunDetectsMismatch(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Vector{}
	for _, v := range All(files) {
		byName[v.Name] = v
	}
	clone := func(name string) *Vector {
		v, ok := byName[name]
		if !ok {
			t.Fatalf("vector %s not found", name)
		}
		c := *v
		c.Expect = append([]decode.Packet(nil), v.Expect...)
		c.Messages = append([]ExpectedSummary(nil), v.Messages...)
		if v.Error != nil {
			e := *v.Error
			c.Error = &e
		}
		return &c
	}
	muts := map[string]func() *Vector{
		"action": func() *Vector { v := clone("message-minimal"); v.Expect[0].Action = "b"; return v },
		"size":   func() *Vector { v := clone("message-minimal"); v.Expect[0].Size = 20; return v },
		"payload": func() *Vector {
			v := clone("message-data-size-uint8")
			v.Expect[1].Payload = []byte("hellp")
			return v
		},
		"complete": func() *Vector {
			v := clone("message-data-size-maximum-declared")
			v.Messages[0].Complete = true
			return v
		},
		"missing packet": func() *Vector {
			v := clone("heartbeats-and-go-away")
			v.Expect = v.Expect[:2]
			return v
		},
		"error class":  func() *Vector { v := clone("unknown-nibble-15"); v.Error.Class = "malformed"; return v },
		"error offset": func() *Vector { v := clone("unknown-nibble-15-after-message"); v.Error.Offset = 3; return v },
		"valid bytes rejected": func() *Vector {
			v := clone("message-minimal")
			v.Bytes = append([]byte{0xf0}, v.Bytes...)
			return v
		},
		"not canonical": func() *Vector {
			v := clone("message-size-uint16-small")
			v.Canonical = true
			return v
		},
	}
	for name, mk := range muts {
		if res := RunOne(mk()); res.Pass() {
			t.Errorf("mutation %q: vector still passes", name)
		}
	}
}

func TestRunAllTally(t *testing.T) {
	files, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	rs := Run(All(files))
	passed, failed := Tally(rs)
	if passed+failed != len(All(files)) || failed != 0 {
		t.Fatalf("passed %d, failed %d of %d", passed, failed, len(All(files)))
	}
}
