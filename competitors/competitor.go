// Package competitors defines what every protocol implementation under test
// provides to the harness: a server it can start and a client it can dial, and
// one operation per scenario. Each adapter lives in its own sub-package and
// registers itself; the harness never imports an adapter directly.
package competitors

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sockety-harness/sockety-harness/scenarios"
)

// Suite is one protocol implementation under test, e.g. "Sockety", "HTTP/2".
type Suite interface {
	// Name is the suite's display name, also used by filters.
	Name() string
	// Benchmarks lists the scenarios this suite runs, in display order, each
	// under the suite's own display name.
	Benchmarks() []Benchmark
	// SharedPort reports whether several server processes may listen on the
	// same port (SO_REUSEPORT); when false the harness runs one server worker.
	SharedPort() bool
	// NewServer starts a server for this suite.
	NewServer(ctx context.Context, cfg ServerConfig) (Server, error)
	// NewClient opens cfg.Connections connections to a server of this suite.
	NewClient(ctx context.Context, cfg ClientConfig) (Client, error)
}

// TLSSuite is implemented by suites that run over TLS. When UsesTLS returns
// true the harness generates one self-signed certificate per run (for
// 127.0.0.1, ::1 and localhost) and passes it to every server and client of the
// suite in ServerConfig.TLS and ClientConfig.TLS (CAPEM = the certificate).
type TLSSuite interface {
	UsesTLS() bool
}

// DeliveryCounter is implemented by suites whose server cannot count some
// one-way operations in ServerCounters (an HTTP/2 PING never reaches the
// handler). For a scenario where CountsDelivery returns false the harness
// shows "delivered" as n/a instead of 0. Suites that do not implement it are
// assumed to count every one-way operation.
type DeliveryCounter interface {
	CountsDelivery(s scenarios.Scenario) bool
}

// Benchmark is one scenario as a suite shows it.
//
// A suite lists a Mixed scenario only when it supports every part: the harness
// never passes a Mixed benchmark to Client.Prepare; it prepares one Benchmark per
// part (Name is the part scenario's Name) on the same Client, runs both at once
// on the same connections and reports each part on its own row.
type Benchmark struct {
	// Name is the row name in the suite's table.
	Name string
	// Scenario is the catalogue entry it runs.
	Scenario scenarios.Scenario
}

// TLS holds PEM material shared by the controller with its workers. A nil
// *TLS means plain TCP.
type TLS struct {
	CertPEM []byte // server certificate chain
	KeyPEM  []byte // server private key
	CAPEM   []byte // roots a client trusts; empty means the system roots
	// ServerName is the name a client verifies; empty means the dialled host.
	ServerName string
	// Insecure skips certificate verification on the client (remote targets
	// only; the harness warns when it is set).
	Insecure bool
}

// ServerConfig configures a suite's server.
type ServerConfig struct {
	// Addr is the host:port to listen on.
	Addr string
	// TLS is the certificate to serve, for TLS suites.
	TLS *TLS
	// Payloads gives the payloads of this run, so that a server can verify
	// what it receives when Verify is set.
	Payloads *scenarios.Payloads
	// Verify makes the server checksum every payload, file and stream it
	// receives and count each mismatch or missing byte as a verify error.
	Verify bool
	// Delay is a test-only handicap: the server waits this long before
	// handling each message (used to plant a slowdown in gate tests).
	Delay time.Duration
	// ReusePort is set when several server workers listen on Addr at once
	// (only for suites whose SharedPort is true). Listen with Listen(ctx, cfg)
	// to honour it.
	ReusePort bool
}

// Server is a running suite server.
type Server interface {
	// Addr is the address the server listens on.
	Addr() string
	// Counters returns cumulative counters since start; the harness reads them
	// at the measured window's edges and subtracts.
	Counters() ServerCounters
	// Close stops the server and waits for its goroutines.
	Close() error
}

// ServerCounters are what a server received, cumulative since start.
type ServerCounters struct {
	// Messages counts complete operations received (every byte read).
	Messages uint64
	// Bytes counts payload bytes received (data, files, stream).
	Bytes uint64
	// VerifyErrors counts payloads that failed verification or ended short.
	VerifyErrors uint64
}

// ClientConfig configures a suite's client.
type ClientConfig struct {
	// Addr is the server's host:port.
	Addr string
	// TLS is set for TLS suites.
	TLS *TLS
	// Connections is how many connections this client opens (-cn).
	Connections int
	// Concurrency is how many operations will be in flight at once (-cc), so
	// that an adapter can size pools and windows.
	Concurrency int
	// Payloads gives the payloads of this run.
	Payloads *scenarios.Payloads
	// Verify asks the client to verify what comes back (echoes).
	Verify bool
}

// Op runs one operation and returns when it is done as its scenario defines.
// It is called concurrently from Concurrency goroutines.
type Op func(ctx context.Context) error

// Client is a connected suite client.
type Client interface {
	// Prepare returns the operation of one benchmark; it is called once per
	// benchmark before warming starts, and may prepare reusable messages.
	Prepare(ctx context.Context, b Benchmark) (Op, error)
	// Close closes every connection.
	Close() error
}

var (
	registryMu sync.Mutex
	registry   = map[string]Suite{}
	order      []string
)

// Register makes a suite available to the harness. Adapters call it from
// init; registering the same name twice panics (a programming error).
func Register(s Suite) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[s.Name()]; dup {
		panic(fmt.Sprintf("competitors: suite %q registered twice", s.Name()))
	}
	registry[s.Name()] = s
	order = append(order, s.Name())
}

// Lookup returns the registered suite with this name.
func Lookup(name string) (Suite, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	s, ok := registry[name]
	return s, ok
}

// All returns the registered suites in display order (by Rank, then name).
func All() []Suite {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]Suite, 0, len(order))
	for _, n := range order {
		out = append(out, registry[n])
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i].Name()) < rank(out[j].Name()) })
	return out
}

// displayOrder is the seed's order of suites, then ours.
var displayOrder = []string{"HTTP/1", "HTTPS/1", "HTTP/2", "HTTPS/2", "gRPC", "gRPC TLS", "Sockety", "Sockety TLS", "Raw TCP (limit)"}

func rank(name string) int {
	for i, n := range displayOrder {
		if n == name {
			return i
		}
	}
	return len(displayOrder)
}

// Row names one scenario of a suite's table. An empty Name keeps the
// catalogue's display name.
type Row struct {
	ID   string
	Name string
}

// Rows builds a suite's benchmark list from catalogue IDs, in the given order.
// An unknown ID is a programming error and panics, so that a typo cannot
// silently turn a row into an empty scenario.
func Rows(rows ...Row) []Benchmark {
	out := make([]Benchmark, 0, len(rows))
	for _, r := range rows {
		sc, ok := scenarios.ByID(r.ID)
		if !ok {
			panic(fmt.Sprintf("competitors: unknown scenario ID %q", r.ID))
		}
		name := r.Name
		if name == "" {
			name = sc.Name
		}
		out = append(out, Benchmark{Name: name, Scenario: sc})
	}
	return out
}
