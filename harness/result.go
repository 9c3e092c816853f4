package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// SchemaVersion is the version of the --json result format (results/README.md).
const SchemaVersion = 1

// Report is the whole --json document.
type Report struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          string      `json:"tool"`
	StartedAt     time.Time   `json:"started_at"`
	FinishedAt    time.Time   `json:"finished_at"`
	Config        RunConfig   `json:"config"`
	Environment   Environment `json:"environment"`
	Results       []Result    `json:"results"`
	// Failures lists what went wrong outside any single benchmark.
	Failures []string `json:"failures,omitempty"`
}

// RunConfig is the configuration of a run as recorded in results.
type RunConfig struct {
	DurationNs        int64      `json:"duration_ns"`
	WarmingNs         int64      `json:"warming_ns"`
	Servers           int        `json:"servers"`
	Clients           int        `json:"clients"`
	Concurrency       int        `json:"concurrency"`
	Connections       int        `json:"connections"`
	Filters           []string   `json:"filters,omitempty"`
	Excludes          []string   `json:"excludes,omitempty"`
	Port              int        `json:"port,omitempty"`
	Remote            string     `json:"remote,omitempty"`
	Mode              string     `json:"mode"` // "closed-loop" or "constant-rate"
	RatePerClient     float64    `json:"rate_per_client,omitempty"`
	Verify            bool       `json:"verify"`
	OpTimeoutNs       int64      `json:"op_timeout_ns"`
	Seed              uint64     `json:"seed"`
	GOMAXPROCS        Gomaxprocs `json:"gomaxprocs"`
	Count             int        `json:"count"`
	HistogramUnit     string     `json:"histogram_unit"`
	HistogramLowest   int64      `json:"histogram_lowest"`
	HistogramHighest  int64      `json:"histogram_highest"`
	HistogramSigFigs  int        `json:"histogram_significant_figures"`
	MixedHeavyDivisor int        `json:"mixed_heavy_divisor"`

	// ClientGOGC is the GOGC given to client workers (--client-gogc);
	// absent (0) when they kept the environment's.
	ClientGOGC int `json:"client_gogc,omitempty"`
	// ClientGODEBUG is the GODEBUG settings put before the environment's
	// in client workers (--client-godebug); absent when none were.
	ClientGODEBUG string `json:"client_godebug,omitempty"`
}

// Gomaxprocs records GOMAXPROCS of each process role.
type Gomaxprocs struct {
	Controller int `json:"controller"`
	Server     int `json:"server"`
	Client     int `json:"client"`
}

// Mode names.
const (
	ModeClosedLoop   = "closed-loop"
	ModeConstantRate = "constant-rate"
)

// Result is one row: one benchmark (or one part of a Mixed benchmark) of one
// suite in one run.
type Result struct {
	Suite      string `json:"suite"`
	Benchmark  string `json:"benchmark"`
	Part       string `json:"part,omitempty"` // part row name of a Mixed benchmark
	ScenarioID string `json:"scenario_id"`
	Kind       string `json:"kind"`
	OneWay     bool   `json:"one_way"`
	Run        int    `json:"run"` // 0-based repetition index (--count)

	ServerWorkers int `json:"server_workers"`
	ClientWorkers int `json:"client_workers"`
	Concurrency   int `json:"concurrency"` // per client worker, for this part

	WindowStartUnixNs int64 `json:"window_start_unix_ns"`
	WindowNs          int64 `json:"window_ns"` // mean of client workers' windows

	Count        int64   `json:"count"`  // successful operations in the window
	Errors       int64   `json:"errors"` // failed operations in the window
	SuccessRatio float64 `json:"success_ratio"`
	QPS          float64 `json:"qps"` // sum over client workers of count/window

	Delivered *Delivered `json:"delivered,omitempty"`
	Latency   Latency    `json:"latency"`
	CPU       CPUResult  `json:"cpu"`
	Rate      *RateInfo  `json:"rate,omitempty"`

	// Histogram is the merged latency histogram (ns), HDR V2 compressed, base64.
	Histogram string `json:"histogram"`

	ErrorSamples []ErrorSample `json:"error_samples,omitempty"`
	// Failures are worker-level problems (a worker that died or did not
	// start); a result with failures is incomplete.
	Failures []string `json:"failures,omitempty"`
	// Warnings are problems after the window was measured (a worker slow to
	// stop, an adapter's Close error); the figures stand.
	Warnings []string `json:"warnings,omitempty"`
	// Abandoned counts operations that did not return within the stop grace.
	Abandoned int `json:"abandoned,omitempty"`
	// Drain is what became of the operations in flight at the window's end
	// (nil when a client worker did not report it).
	Drain *Drain `json:"drain,omitempty"`

	Workers []WorkerFigures `json:"workers"`
}

// Delivered is what the servers received in the window.
type Delivered struct {
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	// VerifyErrors counts payloads that failed verification in the window
	// and, with a message check, the missing messages.
	VerifyErrors   uint64  `json:"verify_errors"`
	PerSecond      float64 `json:"per_second"`
	BytesPerSecond float64 `json:"bytes_per_second"`
	// Check compares, with --verify, what the clients sent with what the
	// servers received over the whole run (nil when not checked).
	Check *MessageCheck `json:"message_check,omitempty"`
}

// MessageCheck is --verify's count of whole messages: every message a
// client sent successfully (warm-up, window and drain) against every message
// the servers received by the end of the drain. Local runs of one-way
// scenarios that carry a payload or expect no response (not Heartbeat, not
// Mixed).
type MessageCheck struct {
	// Sent counts the clients' successful sends over the whole run.
	Sent uint64 `json:"sent"`
	// Received counts what the servers received by the drain's end.
	Received uint64 `json:"received"`
	// ArrivedAfterWindow counts messages received after the window's end:
	// in flight then, not lost.
	ArrivedAfterWindow uint64 `json:"arrived_after_window"`
	// Missing counts messages sent and never received (Sent - Received
	// when positive): verify errors.
	Missing uint64 `json:"missing"`
}

// Drain is what became of one part's operations in flight at the window's
// end (and of any started just after it), after a bounded wait.
type Drain struct {
	// WaitNs is how long they could take: min(--op-timeout, 10 s).
	WaitNs int64 `json:"wait_ns"`
	// Completed and Failed ended by themselves within the wait.
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	// Unfinished were still running after the wait (then cancelled).
	Unfinished int64 `json:"unfinished"`
	// LastOK and LastFailed count the client goroutines whose last
	// operation at the window's end (in flight then, else the one before)
	// succeeded or failed: all failing means the target was lost.
	LastOK     int64 `json:"last_ok"`
	LastFailed int64 `json:"last_failed"`
}

// Latency figures in nanoseconds. Min, Mean and Max are exact; percentiles
// come from the merged histogram (3 significant figures).
type Latency struct {
	MinNs  int64 `json:"min_ns"`
	MeanNs int64 `json:"mean_ns"`
	MaxNs  int64 `json:"max_ns"`
	P50Ns  int64 `json:"p50_ns"`
	P90Ns  int64 `json:"p90_ns"`
	P99Ns  int64 `json:"p99_ns"`
	P999Ns int64 `json:"p999_ns"`
}

// CPUResult is CPU use over the window, percent of one core per worker; nil
// when unknown (a worker died, or a remote server without control channel).
type CPUResult struct {
	Client *CPUShare `json:"client"`
	Server *CPUShare `json:"server"`
	// ClientNsPerOp is client workers' CPU time per successful operation.
	ClientNsPerOp float64 `json:"client_ns_per_op,omitempty"`
}

// RateInfo compares a constant-rate run's achieved rate with its target.
type RateInfo struct {
	Target       float64 `json:"target"`   // ops/s over all client workers
	Achieved     float64 `json:"achieved"` // successful + failed ops/s
	ShortfallPct float64 `json:"shortfall_pct"`
}

// WorkerFigures are one worker's raw figures, kept so that results of several
// hosts can be merged exactly.
type WorkerFigures struct {
	Role  string `json:"role"`
	Index int    `json:"index"`
	PID   int    `json:"pid,omitempty"`
	// GOMAXPROCS is what the worker's runtime reported at start.
	GOMAXPROCS int      `json:"gomaxprocs,omitempty"`
	WindowNs   int64    `json:"window_ns"`
	CPU        CPUTimes `json:"cpu"`
	CPUKnown   bool     `json:"cpu_known"`
	Count      int64    `json:"count,omitempty"`
	Errors     int64    `json:"errors,omitempty"`
	Messages   uint64   `json:"messages,omitempty"`
	Bytes      uint64   `json:"bytes,omitempty"`
}

// WriteJSON writes the report, indented.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// WriteJSONFile writes the report to path.
func (r *Report) WriteJSONFile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// ReadReport parses a --json document and checks its schema version.
func ReadReport(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("read results: schema_version %d, this tool reads %d", r.SchemaVersion, SchemaVersion)
	}
	for i := range r.Results {
		if r.Results[i].Histogram == "" {
			continue
		}
		if _, err := DecodeHistogram(r.Results[i].Histogram); err != nil {
			return nil, fmt.Errorf("read results: %s %s: %w", r.Results[i].Suite, r.Results[i].Benchmark, err)
		}
	}
	return &r, nil
}
