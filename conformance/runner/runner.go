// Package runner holds the machinery shared by the live conformance suites: the case catalogue
// type, verdicts, per-case timeouts, case selection, the known-failures list and the run loop.
// It knows nothing about sockets or the wire format; the server and client suites plug their cases
// into it.
package runner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Verdict is the outcome of one case.
type Verdict int

// Verdicts, from best to worst. A NON-STRICT verdict counts as a pass unless the run is strict.
const (
	Pass Verdict = iota
	Skip
	NonStrict
	Fail
)

// String returns the upper-case name used in reports.
func (v Verdict) String() string {
	switch v {
	case Pass:
		return "PASS"
	case Skip:
		return "SKIP"
	case NonStrict:
		return "NON-STRICT"
	case Fail:
		return "FAIL"
	}
	return "Verdict(" + strconv.Itoa(int(v)) + ")"
}

// MarshalText makes verdicts readable in JSON.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Case is one conformance check.
type Case struct {
	// ID is "group/number", e.g. "message/3.2". The group is the part before the slash.
	ID string
	// Section names the specification section the rule comes from.
	Section string
	// Desc is a one-line description of what the case does.
	Desc string
	// Rule is the rule of the specification (or of the contract) being checked.
	Rule string
	// Timeout bounds the case; zero means the run's default.
	Timeout time.Duration
	// Run performs the check. It reports through t and returns; t.Fatal and t.Skip stop it.
	Run func(t *T)
}

// Group returns the part of the ID before the first slash.
func (c *Case) Group() string {
	g, _, _ := strings.Cut(c.ID, "/")
	return g
}

// Result is the outcome of one case.
type Result struct {
	ID       string        `json:"id"`
	Group    string        `json:"group"`
	Section  string        `json:"section"`
	Desc     string        `json:"description"`
	Rule     string        `json:"rule"`
	Verdict  Verdict       `json:"verdict"`
	Reason   string        `json:"reason,omitempty"`
	Expected string        `json:"expected,omitempty"`
	Actual   string        `json:"actual,omitempty"`
	Hex      string        `json:"hex,omitempty"`
	Log      []string      `json:"log,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Known is set when the case is in the known-failures list and failed with the listed reason.
	Known bool `json:"known_failure,omitempty"`
	// Stale is set when the case is in the known-failures list but passed or failed differently.
	Stale string `json:"stale_known_failure,omitempty"`
}

// Failed reports whether the result makes the run fail under the given strictness.
func (r *Result) Failed(strict bool) bool {
	if r.Stale != "" {
		return true
	}
	if r.Known {
		return false
	}
	return r.Verdict == Fail || (strict && r.Verdict == NonStrict)
}

// stopSignal ends a case early: T.Fatal and T.Skip panic with it and the runner recovers it.
type stopSignal struct{}

// T is handed to a running case.
type T struct {
	ctx     context.Context
	mu      sync.Mutex
	res     *Result
	cleanup []func()
}

// Context is cancelled when the case times out or the run is interrupted.
func (t *T) Context() context.Context { return t.ctx }

// Deadline returns the case deadline.
func (t *T) Deadline() time.Time {
	d, _ := t.ctx.Deadline()
	return d
}

// Cleanup registers f to run when the case ends, including on timeout (f may then run
// concurrently with the case's goroutine, so it should only close things).
func (t *T) Cleanup(f func()) {
	t.mu.Lock()
	t.cleanup = append(t.cleanup, f)
	t.mu.Unlock()
}

// Logf adds a line to the case log.
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	t.res.Log = append(t.res.Log, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// HexExcerpt renders at most 64 bytes of b as hex, marking the cut.
func HexExcerpt(b []byte) string {
	const max = 64
	if len(b) <= max {
		return hex.EncodeToString(b)
	}
	return hex.EncodeToString(b[:max]) + fmt.Sprintf("...(+%d bytes)", len(b)-max)
}

func (t *T) set(v Verdict, reason, expected, actual string, raw []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v < t.res.Verdict {
		return
	}
	t.res.Verdict = v
	t.res.Reason = reason
	t.res.Expected = expected
	t.res.Actual = actual
	if raw != nil {
		t.res.Hex = HexExcerpt(raw)
	}
}

// Fatal records a FAIL and stops the case. reason is a short, stable sentence (it is what a
// known-failures file matches); expected and actual describe the difference; raw, if not nil, is
// the bytes the peer sent (an excerpt goes into the report).
func (t *T) Fatal(reason, expected, actual string, raw []byte) {
	t.set(Fail, reason, expected, actual, raw)
	panic(stopSignal{})
}

// Fatalf records a FAIL with only a reason and stops the case.
func (t *T) Fatalf(format string, args ...any) {
	t.Fatal(fmt.Sprintf(format, args...), "", "", nil)
}

// Lenient records a NON-STRICT verdict (the peer did something a lenient reading allows) and
// lets the case go on.
func (t *T) Lenient(reason, expected, actual string, raw []byte) {
	t.set(NonStrict, reason, expected, actual, raw)
}

// Skip records a SKIP with its reason and stops the case.
func (t *T) Skip(reason string) {
	t.set(Skip, reason, "", "", nil)
	panic(stopSignal{})
}

// Options control a run.
type Options struct {
	// Strict turns NON-STRICT verdicts into failures.
	Strict bool
	// CaseTimeout is the default per-case timeout (default 5s).
	CaseTimeout time.Duration
	// Total bounds the whole run (default 10 minutes); cases not started in time are skipped.
	Total time.Duration
	// Known maps case IDs to the reason they are known to fail with (substring match).
	Known map[string]string
	// Progress, if set, is called after each case.
	Progress func(*Result)
}

// Run runs the cases one after the other and returns their results in order.
func Run(ctx context.Context, cases []*Case, opt Options) []*Result {
	if opt.CaseTimeout <= 0 {
		opt.CaseTimeout = 5 * time.Second
	}
	if opt.Total <= 0 {
		opt.Total = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Total)
	defer cancel()
	out := make([]*Result, 0, len(cases))
	for _, c := range cases {
		var r *Result
		if ctx.Err() != nil {
			r = newResult(c)
			r.Verdict = Skip
			r.Reason = "run time budget exhausted or run interrupted"
		} else {
			r = runOne(ctx, c, opt.CaseTimeout)
		}
		applyKnown(r, opt)
		out = append(out, r)
		if opt.Progress != nil {
			opt.Progress(r)
		}
	}
	return out
}

func newResult(c *Case) *Result {
	return &Result{ID: c.ID, Group: c.Group(), Section: c.Section, Desc: c.Desc, Rule: c.Rule}
}

func runOne(parent context.Context, c *Case, def time.Duration) *Result {
	to := c.Timeout
	if to <= 0 {
		to = def
	}
	ctx, cancel := context.WithTimeout(parent, to)
	defer cancel()
	t := &T{ctx: ctx, res: newResult(c)}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(stopSignal); ok {
					return
				}
				buf := make([]byte, 4096)
				buf = buf[:runtime.Stack(buf, false)]
				t.set(Fail, "runner panic (a bug in the conformance suite)", "", fmt.Sprint(p), nil)
				t.Logf("%s", buf)
			}
		}()
		c.Run(t)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		t.mu.Lock()
		fns := t.cleanup
		t.cleanup = nil
		t.mu.Unlock()
		for _, f := range fns {
			f()
		}
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		t.mu.Lock()
		failed := t.res.Verdict == Fail
		t.mu.Unlock()
		if failed {
			// The case already failed with its own reason while being stopped.
		} else if errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
			t.set(Fail, "case timed out", "case finishes within "+to.String(), "no conclusion", nil)
		} else {
			t.set(Skip, "run interrupted", "", "", nil)
		}
	}
	t.mu.Lock()
	fns := t.cleanup
	t.cleanup = nil
	t.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.res.Duration = time.Since(start)
	r := *t.res
	return &r
}

func applyKnown(r *Result, opt Options) {
	want, ok := opt.Known[r.ID]
	if !ok {
		return
	}
	// A NON-STRICT verdict may be listed too (it fails strict runs); the list then holds in
	// both modes.
	failing := r.Verdict == Fail || r.Verdict == NonStrict
	switch {
	case r.Verdict == Skip:
		// A skipped case says nothing about the listed failure.
	case !failing:
		r.Stale = "listed as a known failure but " + r.Verdict.String()
	case !strings.Contains(r.Reason, want):
		r.Stale = fmt.Sprintf("listed as failing with %q but failed with %q", want, r.Reason)
	default:
		r.Known = true
	}
}

// Select returns the cases whose ID is in ids or whose group is in groups (both empty: all).
// An ID or group that matches nothing is an error, so a typo cannot select zero cases silently.
func Select(all []*Case, ids, groups []string) ([]*Case, error) {
	if len(ids) == 0 && len(groups) == 0 {
		return all, nil
	}
	idSet := map[string]bool{}
	for _, id := range ids {
		idSet[id] = false
	}
	gSet := map[string]bool{}
	for _, g := range groups {
		gSet[g] = false
	}
	var out []*Case
	for _, c := range all {
		_, byID := idSet[c.ID]
		_, byG := gSet[c.Group()]
		if byID {
			idSet[c.ID] = true
		}
		if byG {
			gSet[c.Group()] = true
		}
		if byID || byG {
			out = append(out, c)
		}
	}
	var missing []string
	for id, hit := range idSet {
		if !hit {
			missing = append(missing, "case "+id)
		}
	}
	for g, hit := range gSet {
		if !hit {
			missing = append(missing, "group "+g)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("no such %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// ParseKnown reads a known-failures file: one case per line, "ID reason-substring" (the reason
// is the rest of the line and may be empty, matching any failure); '#' starts a comment.
func ParseKnown(text string) (map[string]string, error) {
	m := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		// The ID ends at the first white space (space or tab); the rest is the reason.
		id, reason := line, ""
		if k := strings.IndexFunc(line, unicode.IsSpace); k >= 0 {
			id, reason = line[:k], line[k:]
		}
		if !strings.Contains(id, "/") {
			return nil, fmt.Errorf("known failures line %d: %q is not a case ID", i+1, id)
		}
		if _, dup := m[id]; dup {
			return nil, fmt.Errorf("known failures line %d: %s listed twice", i+1, id)
		}
		m[id] = strings.TrimSpace(reason)
	}
	return m, nil
}

// Summary counts verdicts.
type Summary struct {
	Total     int `json:"total"`
	Pass      int `json:"pass"`
	Fail      int `json:"fail"`
	NonStrict int `json:"non_strict"`
	Skip      int `json:"skip"`
	Known     int `json:"known_failures"`
	Stale     int `json:"stale_known_failures"`
	// Failed is the number of results that make the run fail.
	Failed int `json:"failed"`
}

// Summarize counts the results.
func Summarize(rs []*Result, strict bool) Summary {
	var s Summary
	for _, r := range rs {
		s.Total++
		switch r.Verdict {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case NonStrict:
			s.NonStrict++
		case Skip:
			s.Skip++
		}
		if r.Known {
			s.Known++
		}
		if r.Stale != "" {
			s.Stale++
		}
		if r.Failed(strict) {
			s.Failed++
		}
	}
	return s
}

// CheckCatalogue verifies that IDs are unique and every case is described; the suites call it
// from their tests.
func CheckCatalogue(cases []*Case) error {
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.ID] {
			return fmt.Errorf("duplicate case ID %s", c.ID)
		}
		seen[c.ID] = true
		if !strings.Contains(c.ID, "/") || c.Desc == "" || c.Rule == "" || c.Section == "" || c.Run == nil {
			return fmt.Errorf("case %s is incomplete", c.ID)
		}
	}
	return nil
}
