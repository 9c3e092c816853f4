package harness

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrMergeMismatch is returned when results cannot be merged: different
// schema versions, suites, benchmarks or repetitions.
var ErrMergeMismatch = errors.New("results do not match")

// rowKey identifies a row across files.
type rowKey struct {
	suite, bench, part string
	run                int
}

func keyOf(r Result) rowKey { return rowKey{r.Suite, r.Benchmark, r.Part, r.Run} }

func (k rowKey) String() string {
	s := k.suite + " " + k.bench
	if k.part != "" {
		s += ": " + k.part
	}
	return fmt.Sprintf("%s (run %d)", s, k.run)
}

// MergeReports merges the results of several client hosts that ran the same
// benchmarks against one server at the same time (remote mode, issue 6):
//
//   - count, errors, QPS and attempted rates add up (each host's QPS is over
//     its own window, as the workers of one host are in local mode);
//   - latency histograms are merged; min and max are exact, the mean is
//     weighted by count; percentiles come from the merged histogram;
//   - client CPU is the mean over all client workers of all hosts (percent
//     of one core per worker, as in one file); ClientNsPerOp is recomputed
//     from the workers' CPU times;
//   - server CPU and delivered come from the same server seen by every host
//     over nearly the same window: they are averaged, not added;
//   - the window starts at the latest host's start (WindowStartUnixNs) and
//     WindowNs is the common window (overlap of every host's window); hosts
//     whose windows do not overlap get a warning on the row;
//   - workers are listed, clients renumbered after each other.
//
// Files must have the same schema version, the same rows (suite, benchmark,
// part, run) and the same mode; anything else is refused.
func MergeReports(names []string, reps []*Report) (*Report, error) {
	if len(reps) < 2 {
		return nil, fmt.Errorf("merge: need at least two results files, got %d", len(reps))
	}
	first := reps[0]
	keys := func(r *Report) []rowKey {
		var ks []rowKey
		for _, res := range r.Results {
			ks = append(ks, keyOf(res))
		}
		return ks
	}
	want := keys(first)
	for i, r := range reps[1:] {
		name := names[i+1]
		if r.SchemaVersion != first.SchemaVersion {
			return nil, fmt.Errorf("%w: %s has schema_version %d, %s has %d", ErrMergeMismatch, name, r.SchemaVersion, names[0], first.SchemaVersion)
		}
		if r.Config.Mode != first.Config.Mode {
			return nil, fmt.Errorf("%w: %s ran %s, %s ran %s", ErrMergeMismatch, name, r.Config.Mode, names[0], first.Config.Mode)
		}
		got := keys(r)
		if diff := keyDiff(want, got); diff != "" {
			return nil, fmt.Errorf("%w: %s and %s ran different benchmarks: %s", ErrMergeMismatch, names[0], name, diff)
		}
	}
	out := *first
	out.Config.Clients = 0
	out.Failures = nil
	for i, r := range reps {
		out.Config.Clients += r.Config.Clients
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if r.FinishedAt.After(out.FinishedAt) {
			out.FinishedAt = r.FinishedAt
		}
		for _, f := range r.Failures {
			out.Failures = append(out.Failures, names[i]+": "+f)
		}
	}
	out.Results = make([]Result, len(first.Results))
	for j := range first.Results {
		rows := make([]Result, len(reps))
		for i, r := range reps {
			rows[i] = r.Results[j]
		}
		m, err := mergeRows(names, rows)
		if err != nil {
			return nil, err
		}
		out.Results[j] = m
	}
	return &out, nil
}

func keyDiff(a, b []rowKey) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d rows against %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return fmt.Sprintf("row %d is %s against %s", i+1, a[i], b[i])
		}
	}
	return ""
}

// mergeRows merges one row of every file.
func mergeRows(names []string, rows []Result) (Result, error) {
	m := rows[0]
	m.ClientWorkers, m.Count, m.Errors, m.QPS = 0, 0, 0, 0
	m.Workers, m.ErrorSamples, m.Failures, m.Warnings, m.Abandoned = nil, nil, nil, nil, 0
	m.Latency = Latency{}
	m.CPU = CPUResult{}
	m.Delivered = nil
	m.Drain = nil
	merged := NewHistogram()
	var sum float64
	minNs, maxNs := int64(-1), int64(0)
	var startMax, endMin int64
	var clientCPU CPUTimes
	var clientWin int64
	clientWorkers, cpuKnown := 0, true
	var srvShares []CPUShare
	var delivered []Delivered
	var rateTarget, rateAchieved float64
	hasRate := false
	for i, r := range rows {
		name := names[i]
		m.ClientWorkers += r.ClientWorkers
		m.Count += r.Count
		m.Errors += r.Errors
		m.QPS += r.QPS
		m.Abandoned += r.Abandoned
		if r.Drain != nil {
			// Each host drained its own clients: the figures add up.
			if m.Drain == nil {
				m.Drain = &Drain{WaitNs: r.Drain.WaitNs}
			}
			m.Drain.Completed += r.Drain.Completed
			m.Drain.Failed += r.Drain.Failed
			m.Drain.Unfinished += r.Drain.Unfinished
			m.Drain.LastOK += r.Drain.LastOK
			m.Drain.LastFailed += r.Drain.LastFailed
		}
		if r.Count > 0 {
			sum += float64(r.Latency.MeanNs) * float64(r.Count)
			if minNs < 0 || r.Latency.MinNs < minNs {
				minNs = r.Latency.MinNs
			}
			maxNs = max(maxNs, r.Latency.MaxNs)
		}
		if r.Histogram != "" {
			h, err := DecodeHistogram(r.Histogram)
			if err != nil {
				return m, fmt.Errorf("merge: %s: %s: %w", name, keyOf(r), err)
			}
			merged.Merge(h)
		}
		start, end := r.WindowStartUnixNs, r.WindowStartUnixNs+r.WindowNs
		if i == 0 || start > startMax {
			startMax = start
		}
		if i == 0 || end < endMin {
			endMin = end
		}
		for _, w := range r.Workers {
			if w.Role != RoleClient {
				continue
			}
			w.Index = clientWorkers
			clientWorkers++
			clientCPU = clientCPU.Add(w.CPU)
			clientWin += w.WindowNs
			cpuKnown = cpuKnown && w.CPUKnown
			m.Workers = append(m.Workers, w)
		}
		if r.CPU.Client == nil {
			cpuKnown = false
		}
		if r.CPU.Server != nil {
			srvShares = append(srvShares, *r.CPU.Server)
		}
		if r.Delivered != nil {
			delivered = append(delivered, *r.Delivered)
		}
		if r.Rate != nil {
			hasRate = true
			rateTarget += r.Rate.Target
			rateAchieved += r.Rate.Achieved
		}
		m.ErrorSamples = MergeErrorSamples(m.ErrorSamples, r.ErrorSamples)
		for _, f := range r.Failures {
			m.Failures = append(m.Failures, name+": "+f)
		}
		for _, w := range r.Warnings {
			m.Warnings = append(m.Warnings, name+": "+w)
		}
	}
	// Server workers once (from the first file that has them).
	for _, r := range rows {
		added := false
		for _, w := range r.Workers {
			if w.Role == RoleServer {
				m.Workers = append(m.Workers, w)
				added = true
			}
		}
		if added {
			break
		}
	}
	m.WindowStartUnixNs = startMax
	if endMin > startMax {
		m.WindowNs = endMin - startMax
	} else {
		m.WindowNs = 0
		m.Warnings = append(m.Warnings, "merge: the hosts' windows do not overlap (were the clients run at the same time?)")
	}
	if m.Count+m.Errors > 0 {
		m.SuccessRatio = float64(m.Count) / float64(m.Count+m.Errors)
	}
	if m.Count > 0 {
		m.Latency = latencyOf(merged, minNs, int64(sum/float64(m.Count)), maxNs)
	}
	enc, err := EncodeHistogram(merged)
	if err != nil {
		return m, fmt.Errorf("merge: %s: %w", keyOf(m), err)
	}
	m.Histogram = enc
	if cpuKnown && clientWorkers > 0 && clientWin > 0 {
		s := ShareOf(clientCPU, clientWin/int64(clientWorkers), clientWorkers)
		m.CPU.Client = &s
		// ns/op: each file's figure weighted by its operations (a Mixed
		// row's figure already counts both parts' operations).
		m.CPU.ClientNsPerOp = weightedNsPerOp(rows)
	}
	if len(srvShares) == len(rows) {
		var s CPUShare
		for _, x := range srvShares {
			s.User += x.User / float64(len(srvShares))
			s.System += x.System / float64(len(srvShares))
			s.Total += x.Total / float64(len(srvShares))
		}
		m.CPU.Server = &s
	}
	if len(delivered) == len(rows) {
		var d Delivered
		n := float64(len(delivered))
		for _, x := range delivered {
			d.Messages += x.Messages
			d.Bytes += x.Bytes
			d.VerifyErrors = max(d.VerifyErrors, x.VerifyErrors)
			d.PerSecond += x.PerSecond / n
			d.BytesPerSecond += x.BytesPerSecond / n
		}
		d.Messages /= uint64(len(delivered))
		d.Bytes /= uint64(len(delivered))
		m.Delivered = &d
	}
	if hasRate && rateTarget > 0 {
		m.Rate = &RateInfo{Target: rateTarget, Achieved: rateAchieved, ShortfallPct: 100 * (rateTarget - rateAchieved) / rateTarget}
	}
	return m, nil
}

// weightedNsPerOp is the client CPU time per operation over all hosts: each
// file's ns/op weighted by its operations (successful and failed).
func weightedNsPerOp(rows []Result) float64 {
	var cpu, ops float64
	for _, r := range rows {
		n := float64(r.Count + r.Errors)
		cpu += r.CPU.ClientNsPerOp * n
		ops += n
	}
	if ops == 0 {
		return 0
	}
	return cpu / ops
}

// MergeSummary is a one-line description of the merged files for the table.
func MergeSummary(names []string, reps []*Report) string {
	var parts []string
	for i, r := range reps {
		parts = append(parts, fmt.Sprintf("%s (%d client workers, %s)", names[i], r.Config.Clients, r.StartedAt.UTC().Format(time.RFC3339)))
	}
	return strings.Join(parts, ", ")
}
