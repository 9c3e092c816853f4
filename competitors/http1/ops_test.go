package http1

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
)

// TestTemplate checks what a prepared request carries per operation: its
// own context, the body and its length, a GetBody that replays an
// in-memory payload from its start, and an empty User-Agent (not sent).
func TestTemplate(t *testing.T) {
	r := &Requests{Prefix: "test", Base: "http://127.0.0.1:1"}
	tm, err := r.Template(http.MethodPost, PathEcho)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	payload := []byte("payload bytes")
	req := tm.Make(ctx, bytes.NewReader(payload), int64(len(payload)))
	if req.Context().Value(key{}) != 1 || req.Method != http.MethodPost || req.URL.Path != PathEcho || req.ContentLength != int64(len(payload)) {
		t.Fatalf("request %s %s, length %d", req.Method, req.URL, req.ContentLength)
	}
	if ua, ok := req.Header["User-Agent"]; !ok || len(ua) != 1 || ua[0] != "" {
		t.Fatalf("User-Agent header %q, want present and empty (not sent)", ua)
	}
	first, _ := io.ReadAll(req.Body)
	again, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	second, _ := io.ReadAll(again)
	if !bytes.Equal(first, payload) || !bytes.Equal(second, payload) {
		t.Fatalf("body %q, replayed %q, want %q", first, second, payload)
	}
	// Another operation's request is a copy: the template is untouched.
	other := tm.Make(context.Background(), nil, 0)
	if other.Body != nil || other.ContentLength != 0 || other.Context().Value(key{}) != nil {
		t.Fatal("a request made from the template carries another operation's body or context")
	}
	var wire bytes.Buffer
	if err := other.Write(&wire); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToLower(wire.Bytes()), []byte("user-agent")) {
		t.Fatalf("request on the wire has a User-Agent:\n%s", wire.Bytes())
	}
}
