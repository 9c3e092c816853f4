package harness

import (
	"context"
	"reflect"
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

type fakeSuite struct {
	name  string
	names []string
}

func (f fakeSuite) Name() string     { return f.name }
func (f fakeSuite) SharedPort() bool { return true }
func (f fakeSuite) Benchmarks() []competitors.Benchmark {
	var out []competitors.Benchmark
	for _, n := range f.names {
		out = append(out, competitors.Benchmark{Name: n, Scenario: scenarios.Scenario{ID: n}})
	}
	return out
}
func (f fakeSuite) NewServer(context.Context, competitors.ServerConfig) (competitors.Server, error) {
	return nil, nil
}
func (f fakeSuite) NewClient(context.Context, competitors.ClientConfig) (competitors.Client, error) {
	return nil, nil
}

func TestSelect(t *testing.T) {
	suites := []competitors.Suite{
		fakeSuite{"HTTP/1", []string{"Short response (status code)", "1MB data (memory)"}},
		fakeSuite{"Sockety", []string{"Heartbeat", "No response", "1MB data (memory)", "1MB file (FS)"}},
		fakeSuite{"Sockety TLS", []string{"Heartbeat", "1MB data (memory)"}},
	}
	flat := func(sel []Selection) []string {
		var out []string
		for _, s := range sel {
			for _, b := range s.Benchmarks {
				out = append(out, s.Suite.Name()+" "+b.Name)
			}
		}
		return out
	}
	cases := []struct {
		name     string
		filters  []string
		excludes []string
		want     []string
	}{
		{"all", nil, nil, []string{"HTTP/1 Short response (status code)", "HTTP/1 1MB data (memory)", "Sockety Heartbeat",
			"Sockety No response", "Sockety 1MB data (memory)", "Sockety 1MB file (FS)", "Sockety TLS Heartbeat", "Sockety TLS 1MB data (memory)"}},
		{"words all present, any order, case-insensitive", []string{"MEMORY sockety"}, nil,
			[]string{"Sockety 1MB data (memory)", "Sockety TLS 1MB data (memory)"}},
		{"filters are alternatives", []string{"heartbeat", "http/1 short"}, nil,
			[]string{"HTTP/1 Short response (status code)", "Sockety Heartbeat", "Sockety TLS Heartbeat"}},
		{"exclude", []string{"sockety"}, []string{"tls"},
			[]string{"Sockety Heartbeat", "Sockety No response", "Sockety 1MB data (memory)", "Sockety 1MB file (FS)"}},
		{"exclude needs all words", nil, []string{"tls", "1mb http/1"},
			[]string{"HTTP/1 Short response (status code)", "Sockety Heartbeat", "Sockety No response",
				"Sockety 1MB data (memory)", "Sockety 1MB file (FS)"}},
		{"nothing", []string{"grpc"}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel := Select(suites, c.filters, c.excludes)
			if got := flat(sel); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
			for _, s := range sel {
				if len(s.Benchmarks) == 0 {
					t.Fatalf("suite %s kept without benchmarks", s.Suite.Name())
				}
			}
		})
	}
}
