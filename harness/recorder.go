package harness

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every worker, so histograms merge exactly:
// values are nanoseconds, 1 µs to 60 s, 3 significant figures.
const (
	HistLowestNs  = int64(time.Microsecond)
	HistHighestNs = int64(60 * time.Second)
	HistSigFigs   = 3
)

// NewHistogram returns an empty latency histogram with the harness geometry.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(HistLowestNs, HistHighestNs, HistSigFigs)
}

// EncodeHistogram returns h in HdrHistogram's compressed V2 encoding, base64.
func EncodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// maxEncodedHistogram bounds an encoded histogram (ours are a few KiB).
const maxEncodedHistogram = 4 << 20

// DecodeHistogram parses EncodeHistogram's output. It accepts only the
// harness geometry (checked before the library allocates counts), so a
// crafted header cannot make it allocate without bound.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if err := checkGeometry(s); err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// Shard is one lock-protected slice of a Recorder; a driver goroutine records
// into its own shard, so contention stays low. Record and Fail are the hot path.
type Shard struct {
	mu     sync.Mutex
	h      *hdrhistogram.Histogram
	spare  *hdrhistogram.Histogram
	count  int64
	errors int64
	sumNs  int64
	minNs  int64
	maxNs  int64
	_      [64]byte // keeps neighbouring shards off one cache line
}

// Record accounts one successful operation that took ns nanoseconds.
func (s *Shard) Record(ns int64) {
	v := ns
	if v < 0 {
		v = 0
	}
	s.mu.Lock()
	s.count++
	s.sumNs += v
	if v < s.minNs {
		s.minNs = v
	}
	if v > s.maxNs {
		s.maxNs = v
	}
	if v > HistHighestNs {
		v = HistHighestNs
	}
	// The value is within the histogram's range: RecordValue cannot fail.
	_ = s.h.RecordValue(v)
	s.mu.Unlock()
}

// Fail accounts one failed operation.
func (s *Shard) Fail() {
	s.mu.Lock()
	s.errors++
	s.mu.Unlock()
}

// Recorder accounts the operations of one client worker (one part of a
// benchmark): counts, errors, exact min/mean/max and an HDR histogram.
type Recorder struct {
	shards []Shard
	errs   errorLog
}

// NewRecorder returns a recorder with n shards (at least 1).
func NewRecorder(n int) *Recorder {
	n = max(n, 1)
	r := &Recorder{shards: make([]Shard, n)}
	for i := range r.shards {
		s := &r.shards[i]
		s.h, s.spare = NewHistogram(), NewHistogram()
		s.minNs = math.MaxInt64
	}
	return r
}

// Shard returns the shard for driver slot i.
func (r *Recorder) Shard(i int) *Shard { return &r.shards[i%len(r.shards)] }

// NoteError keeps a sample of an error's message (bounded); call it after
// Fail. It is off the hot path of successful operations.
func (r *Recorder) NoteError(err error) { r.errs.note(err) }

// Interval is what a recorder accounted between two Swap calls.
type Interval struct {
	Count     int64
	Errors    int64
	SumNs     int64
	MinNs     int64 // math.MaxInt64 when Count is 0
	MaxNs     int64
	Hist      *hdrhistogram.Histogram
	ErrorLogs []ErrorSample
}

// Swap ends the current interval and starts the next one, returning the
// ended interval's figures. Each shard is locked only for a pointer swap.
func (r *Recorder) Swap() Interval {
	out := Interval{Hist: NewHistogram(), MinNs: math.MaxInt64}
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		h := s.h
		s.h = s.spare
		s.spare = nil
		c, e, sum, mn, mx := s.count, s.errors, s.sumNs, s.minNs, s.maxNs
		s.count, s.errors, s.sumNs, s.minNs, s.maxNs = 0, 0, 0, math.MaxInt64, 0
		s.mu.Unlock()

		out.Count += c
		out.Errors += e
		out.SumNs += sum
		out.MinNs = min(out.MinNs, mn)
		out.MaxNs = max(out.MaxNs, mx)
		out.Hist.Merge(h)
		h.Reset()
		s.mu.Lock()
		s.spare = h
		s.mu.Unlock()
	}
	out.ErrorLogs = r.errs.take()
	return out
}

// ErrorSample is one distinct error message and how often it occurred.
type ErrorSample struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}

// maxErrorKinds bounds the distinct messages kept per interval.
const maxErrorKinds = 8

// errorLog keeps counts of the first few distinct error messages.
type errorLog struct {
	mu     sync.Mutex
	counts map[string]int64
	other  int64
}

func (l *errorLog) note(err error) {
	msg := "<nil>"
	if err != nil {
		msg = err.Error()
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int64{}
	}
	if _, ok := l.counts[msg]; ok || len(l.counts) < maxErrorKinds {
		l.counts[msg]++
		return
	}
	l.other++
}

func (l *errorLog) take() []ErrorSample {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]ErrorSample, 0, len(l.counts)+1)
	for m, c := range l.counts {
		out = append(out, ErrorSample{Message: m, Count: c})
	}
	if l.other > 0 {
		out = append(out, ErrorSample{Message: "(other errors)", Count: l.other})
	}
	l.counts, l.other = nil, 0
	SortErrorSamples(out)
	return out
}

// SortErrorSamples orders samples by count, then message.
func SortErrorSamples(s []ErrorSample) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Count != s[j].Count {
			return s[i].Count > s[j].Count
		}
		return s[i].Message < s[j].Message
	})
}

// MergeErrorSamples adds b's counts into a, keeping at most maxErrorKinds
// distinct messages (the rest is folded into "(other errors)").
func MergeErrorSamples(a, b []ErrorSample) []ErrorSample {
	m := map[string]int64{}
	for _, s := range a {
		m[s.Message] += s.Count
	}
	for _, s := range b {
		m[s.Message] += s.Count
	}
	out := make([]ErrorSample, 0, len(m))
	for k, v := range m {
		out = append(out, ErrorSample{Message: k, Count: v})
	}
	SortErrorSamples(out)
	if len(out) > maxErrorKinds {
		var other int64
		for _, s := range out[maxErrorKinds:] {
			other += s.Count
		}
		out = append(out[:maxErrorKinds], ErrorSample{Message: "(other errors)", Count: other})
	}
	return out
}

// checkGeometry reads the header of a V2 compressed histogram (base64: cookie,
// compressed length, then zlib of a 40-byte header and the counts) and checks
// it has the harness geometry.
func checkGeometry(s string) error {
	if len(s) > maxEncodedHistogram {
		return fmt.Errorf("encoded histogram of %d bytes exceeds %d", len(s), maxEncodedHistogram)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	if len(raw) < 8 {
		return fmt.Errorf("encoded histogram too short")
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return err
	}
	defer z.Close()
	var hdr [40]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return fmt.Errorf("histogram header: %w", err)
	}
	sig := int32(binary.BigEndian.Uint32(hdr[12:16]))
	lowest := int64(binary.BigEndian.Uint64(hdr[16:24]))
	highest := int64(binary.BigEndian.Uint64(hdr[24:32]))
	if sig != HistSigFigs || lowest != HistLowestNs || highest != HistHighestNs {
		return fmt.Errorf("histogram geometry %d..%d at %d digits, want %d..%d at %d",
			lowest, highest, sig, HistLowestNs, HistHighestNs, HistSigFigs)
	}
	return nil
}
