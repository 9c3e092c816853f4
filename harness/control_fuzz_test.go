package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// fuzzControlHandler answers authorised control requests with fixed data.
type fuzzControlHandler struct{}

func (fuzzControlHandler) hello() *ControlHello {
	return &ControlHello{Control: ControlVersion, Tool: "t"}
}
func (fuzzControlHandler) mark(context.Context, int) (*MarkReply, error) {
	return &MarkReply{}, nil
}

// FuzzControlLine feeds arbitrary bytes as a request line to the control server's
// line reader, parser and dispatcher: no panic, lines above the bound are
// refused, and a request without the exact token gets "unauthorized" and
// nothing else.
func FuzzControlLine(f *testing.F) {
	const token = "0123456789abcdef"
	f.Add([]byte(`{"token":"0123456789abcdef","op":"hello"}` + "\n"))
	f.Add([]byte(`{"token":"0123456789abcdef","op":"mark","worker":1}` + "\n"))
	f.Add([]byte(`{"token":"0123456789abcdeF","op":"hello"}` + "\n"))
	f.Add([]byte(`{"token":"0123456789abcdef","op":"hello","x":1}` + "\n"))
	f.Add([]byte(`{"op":"hello"}` + "\n"))
	f.Add([]byte(`{"token":"0123456789abcdef","op":"mark","worker":-9223372036854775808}`))
	f.Add([]byte("\n"))
	f.Add(bytes.Repeat([]byte("a"), MaxControlRequest+10))
	s := &controlServer{token: token, h: fuzzControlHandler{}, ctx: context.Background(), timeout: ControlIOTimeout}
	f.Fuzz(func(t *testing.T, in []byte) {
		line, err := readLine(bytes.NewReader(in), MaxControlRequest)
		if err != nil {
			if len(line) != 0 {
				t.Fatalf("readLine returned %d bytes with error %v", len(line), err)
			}
			return
		}
		if len(line) > MaxControlRequest {
			t.Fatalf("readLine returned %d bytes, bound %d", len(line), MaxControlRequest)
		}
		req, perr := parseControlRequest(line)
		rep := s.answer(line)
		if perr != nil || req.Token != token {
			if rep.Error != errUnauthorized || rep.Hello != nil || rep.Mark != nil {
				t.Fatalf("request %q without the token got %+v", line, rep)
			}
			return
		}
		if len(req.Token) > maxTokenLen || len(req.Op) > 16 {
			t.Fatalf("parser accepted oversized fields: %+v", req)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("reply does not encode: %v", err)
		}
	})
}

// FuzzControlReply feeds arbitrary reply lines to the client side's line
// reader and decoder (what a hostile server-only process could send).
func FuzzControlReply(f *testing.F) {
	f.Add([]byte(`{"hello":{"control":1,"tool":"sockety-bench","workers":[{"pid":1,"gomaxprocs":2}]}}` + "\n"))
	f.Add([]byte(`{"error":"unauthorized"}` + "\n"))
	f.Add([]byte(`{"mark":{}}` + "\n"))
	f.Add([]byte(`{"hello":{"workers":[` + "\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		line, err := readLine(bytes.NewReader(in), 4096)
		if err != nil {
			if !errors.Is(err, errLineTooLong) && len(line) != 0 {
				t.Fatalf("line with error %v", err)
			}
			return
		}
		var r controlReply
		_ = json.Unmarshal(line, &r)
	})
}

// FuzzWorkerMessages decodes arbitrary lines as the controller <-> worker
// request and reply messages (stdin/stdout JSON lines): no panic, and
// what decodes re-encodes and decodes to the same encoding.
func FuzzWorkerMessages(f *testing.F) {
	f.Add([]byte(`{"op":"serve","server":{}}`))
	f.Add([]byte(`{"op":"mark"}`))
	f.Add([]byte(`{"error":"x","ready":{}}`))
	f.Add([]byte(`{"op":"stop","client":{"conns":-1}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, v := range []any{&request{}, &reply{}} {
			if json.Unmarshal(in, v) != nil {
				continue
			}
			b1, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("decoded %q does not re-encode: %v", in, err)
			}
			switch v.(type) {
			case *request:
				v = &request{}
			default:
				v = &reply{}
			}
			if err := json.Unmarshal(b1, v); err != nil {
				t.Fatalf("re-encoded %s does not decode: %v", b1, err)
			}
			b2, _ := json.Marshal(v)
			if !bytes.Equal(b1, b2) {
				t.Fatalf("round trip differs:\n%s\n%s", b1, b2)
			}
		}
	})
}
