package http1

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sockety-harness/sockety-harness/scenarios"
)

func TestHandlerVerifies(t *testing.T) {
	p := scenarios.New(3)
	var c Counters
	srv := httptest.NewServer(Handler(&c, p, true, 0))
	defer srv.Close()
	good := p.Bytes(200 << 10)
	bad := append([]byte(nil), good...)
	bad[150<<10] ^= 0x80
	for _, tc := range []struct {
		name       string
		body       []byte
		wantStatus int
		wantErrs   uint64
	}{
		{"whole payload", good, http.StatusOK, 0},
		{"one flipped bit", bad, http.StatusBadRequest, 1},
	} {
		before := c.Snapshot()
		resp, err := http.Post(srv.URL+PathData, "application/octet-stream", bytes.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		after := c.Snapshot()
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.wantStatus)
		}
		if got := after.VerifyErrors - before.VerifyErrors; got != tc.wantErrs {
			t.Errorf("%s: %d verify errors, want %d", tc.name, got, tc.wantErrs)
		}
		if got := after.Bytes - before.Bytes; got != uint64(len(tc.body)) {
			t.Errorf("%s: %d bytes counted, want %d", tc.name, got, len(tc.body))
		}
	}
}
