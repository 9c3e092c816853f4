package sockety

import (
	"crypto/tls"
	"testing"
)

func TestMinTLS12RaisesTheFloorOnly(t *testing.T) {
	for _, tc := range []struct{ in, want uint16 }{
		{0, tls.VersionTLS12},
		{tls.VersionTLS10, tls.VersionTLS12},
		{tls.VersionTLS12, tls.VersionTLS12},
		{tls.VersionTLS13, tls.VersionTLS13},
	} {
		in := &tls.Config{MinVersion: tc.in, ServerName: "x"}
		got := minTLS12(in)
		if got.MinVersion != tc.want || got.ServerName != "x" {
			t.Errorf("MinVersion %#x -> %#x (ServerName %q), want %#x", tc.in, got.MinVersion, got.ServerName, tc.want)
		}
		if in.MinVersion != tc.in {
			t.Errorf("the caller's config was modified")
		}
	}
}
