package pair

import (
	"context"
	"errors"
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors"
)

var errFake = errors.New("fake")

type fake struct{}

var fakeRows = []competitors.Benchmark{{Name: "a"}, {Name: "b"}}

func (fake) Names() (string, string)       { return "P", "PS" }
func (fake) Rows() []competitors.Benchmark { return fakeRows }
func (fake) NewServer(_ context.Context, cfg competitors.ServerConfig, useTLS bool) (competitors.Server, error) {
	if useTLS != (cfg.Addr == "tls") {
		return nil, errors.New("useTLS not passed through")
	}
	return nil, errFake
}
func (fake) NewClient(_ context.Context, cfg competitors.ClientConfig, useTLS bool) (competitors.Client, error) {
	if useTLS != (cfg.Addr == "tls") {
		return nil, errors.New("useTLS not passed through")
	}
	return nil, errFake
}

func TestSuite(t *testing.T) {
	for _, tc := range []struct {
		s    Suite[fake]
		name string
		addr string
	}{{Suite[fake]{}, "P", "plain"}, {Suite[fake]{TLS: true}, "PS", "tls"}} {
		if tc.s.Name() != tc.name || tc.s.UsesTLS() != tc.s.TLS || !tc.s.SharedPort() {
			t.Errorf("%+v: name %q, UsesTLS %v", tc.s, tc.s.Name(), tc.s.UsesTLS())
		}
		rows := tc.s.Benchmarks()
		if len(rows) != 2 || rows[1].Name != "b" {
			t.Fatalf("rows %+v", rows)
		}
		rows[0].Name = "changed"
		if fakeRows[0].Name != "a" {
			t.Fatal("Benchmarks returned the protocol's slice, not a copy")
		}
		if _, err := tc.s.NewServer(context.Background(), competitors.ServerConfig{Addr: tc.addr}); !errors.Is(err, errFake) {
			t.Errorf("%s NewServer: %v", tc.name, err)
		}
		if _, err := tc.s.NewClient(context.Background(), competitors.ClientConfig{Addr: tc.addr}); !errors.Is(err, errFake) {
			t.Errorf("%s NewClient: %v", tc.name, err)
		}
	}
}
