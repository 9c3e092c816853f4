package harness

import (
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// The control protocol between the controller and a worker process: one JSON
// object per line, the controller's requests on the worker's stdin and one
// reply per request on its stdout, in order. A worker's stray output (an
// adapter's prints) is moved to stderr so it cannot corrupt the channel.
//
// Server worker: serve -> (mark)* -> stop.
// Client worker: prepare -> start -> (mark)* -> [drain] -> stop. Each mark
// closes the current interval and opens the next: the first mark opens the
// measured window (closing warm-up), the second closes it. drain ends the
// load: the operations in flight get a bounded time to end by themselves,
// and the reply gives what became of them (the interval after the window).

// Request operations.
const (
	opServe   = "serve"
	opPrepare = "prepare"
	opStart   = "start"
	opMark    = "mark"
	opStop    = "stop"
	opDrain   = "drain"
)

// request is one controller -> worker message.
type request struct {
	Op     string        `json:"op"`
	Server *ServerParams `json:"server,omitempty"`
	Client *ClientParams `json:"client,omitempty"`
	// Wait is how long drain lets operations in flight end by themselves.
	Wait time.Duration `json:"wait_ns,omitempty"`
	// Last marks the window's end: a client worker starts no operation
	// after it (those in flight go on until drain).
	Last bool `json:"last,omitempty"`
}

// ServerParams start a server worker.
type ServerParams struct {
	Suite     string           `json:"suite"`
	Addr      string           `json:"addr"`
	ReusePort bool             `json:"reuse_port,omitempty"`
	TLS       *competitors.TLS `json:"tls,omitempty"`
	Seed      uint64           `json:"seed"`
	Verify    bool             `json:"verify,omitempty"`
	Delay     time.Duration    `json:"delay_ns,omitempty"`
}

// ClientParams prepare a client worker for one benchmark.
type ClientParams struct {
	Suite       string           `json:"suite"`
	Benchmark   string           `json:"benchmark"`
	Addr        string           `json:"addr"`
	TLS         *competitors.TLS `json:"tls,omitempty"`
	Connections int              `json:"connections"`
	Concurrency int              `json:"concurrency"`
	Seed        uint64           `json:"seed"`
	Verify      bool             `json:"verify,omitempty"`
	Rate        float64          `json:"rate,omitempty"`
	OpTimeout   time.Duration    `json:"op_timeout_ns,omitempty"`
	// PayloadDir is a directory the controller made for this benchmark and
	// removes after it, so payload files never outlive a killed worker.
	PayloadDir string `json:"payload_dir,omitempty"`
}

// reply is one worker -> controller message.
type reply struct {
	Error string      `json:"error,omitempty"`
	Hello *hello      `json:"hello,omitempty"`
	Addr  string      `json:"addr,omitempty"`
	Mark  *MarkReply  `json:"mark,omitempty"`
	Stop  *StopReply  `json:"stop,omitempty"`
	Parts []PartReady `json:"parts,omitempty"`
	Drain []DrainPart `json:"drain,omitempty"`
}

// hello is the first line a worker writes, before any request.
type hello struct {
	PID        int    `json:"pid"`
	Role       string `json:"role"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"go_version"`
}

// PartReady describes one timed part of a prepared benchmark.
type PartReady struct {
	Name        string `json:"name"`
	ScenarioID  string `json:"scenario_id"`
	Concurrency int    `json:"concurrency"`
}

// MarkReply is a worker's state at a window edge.
type MarkReply struct {
	// MonoNs is the worker's monotonic clock at the edge; the difference of
	// two marks is the worker's own window.
	MonoNs int64 `json:"mono_ns"`
	// UnixNs is the wall clock at the edge (for merging results of hosts).
	UnixNs int64 `json:"unix_ns"`
	// CPU is the worker process's cumulative CPU time at the edge.
	CPU CPUTimes `json:"cpu"`
	// CPUError says why CPU could not be read.
	CPUError string `json:"cpu_error,omitempty"`
	// Counters are a server worker's cumulative counters at the edge.
	Counters *competitors.ServerCounters `json:"counters,omitempty"`
	// Parts are a client worker's figures for the interval this mark closed,
	// one per timed part.
	Parts []PartStats `json:"parts,omitempty"`
}

// PartStats are a client worker's figures for one part over one interval.
type PartStats struct {
	Count     int64         `json:"count"`
	Errors    int64         `json:"errors"`
	SumNs     int64         `json:"sum_ns"`
	MinNs     int64         `json:"min_ns"`
	MaxNs     int64         `json:"max_ns"`
	Histogram string        `json:"histogram"`
	ErrorLogs []ErrorSample `json:"error_samples,omitempty"`
}

// DrainPart is what became of one part's operations after the window's
// end: those in flight then, and any that started just after it.
type DrainPart struct {
	// Completed and Failed ended by themselves within the drain's wait.
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	// Unfinished were still running when the wait was over: cancelled (the
	// stop reply counts those that did not return even then as abandoned).
	Unfinished int64 `json:"unfinished"`
	// LastOK and LastFailed count the goroutines whose last operation at the
	// window's end (in flight then, else the one before) succeeded or failed.
	LastOK     int64         `json:"last_ok"`
	LastFailed int64         `json:"last_failed"`
	ErrorLogs  []ErrorSample `json:"error_samples,omitempty"`
}

// StopReply reports how a worker ended.
type StopReply struct {
	// Abandoned counts operations still running after the grace period.
	Abandoned int `json:"abandoned,omitempty"`
	// CloseError is the adapter's Close error, if any.
	CloseError string `json:"close_error,omitempty"`
}
