package http2

import (
	"bytes"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http2"
)

// TestPingScan feeds a real frame sequence to the scanner in every split.
func TestPingScan(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&buf, nil)
	_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	_ = fr.WritePing(false, [8]byte{1})
	_ = fr.WriteData(1, false, bytes.Repeat([]byte{framePing}, 300)) // payload bytes look like PING types
	_ = fr.WritePing(true, [8]byte{2})                               // an ACK: not counted
	_ = fr.WritePing(false, [8]byte{3})
	_ = fr.WriteWindowUpdate(0, 1000)
	b := buf.Bytes()
	for _, step := range []int{1, 2, 7, 9, 10, 64, len(b)} {
		var n atomic.Uint64
		c := &pingConn{pings: &n, preface: clientPrefaceLen}
		for i := 0; i < len(b); i += step {
			c.scan(b[i:min(i+step, len(b))])
		}
		if got := n.Load(); got != 2 {
			t.Errorf("chunks of %d: counted %d pings, want 2", step, got)
		}
	}
}
