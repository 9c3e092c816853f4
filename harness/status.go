package harness

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// ANSI styles used on terminals.
const (
	ansiReset  = "\033[0m"
	ansiBold   = "\033[1m"
	ansiRed    = "\033[31m"
	ansiGreen  = "\033[32m"
	ansiYellow = "\033[33m"
	ansiTeal   = "\033[38;5;30m"
	ansiClear  = "\r\033[K"
)

// Status shows progress: on a terminal one live line that is redrawn, else
// plain progress lines. It is safe for concurrent use, and is an io.Writer for
// log lines (workers' stderr), which it prints above the live line.
type Status struct {
	// Width, when positive, truncates the live line to the terminal's width
	// so that it never wraps (a wrapped line cannot be redrawn).
	Width int

	mu    sync.Mutex
	w     io.Writer
	live  bool
	color bool
	shown bool
	last  string
}

// NewStatus returns a status writing to w; live selects the redrawn line
// (terminals), color the ANSI colours.
func NewStatus(w io.Writer, live, color bool) *Status {
	return &Status{w: w, live: live, color: color}
}

// Set shows msg for the benchmark label. Without a live line, repeated
// messages are printed once.
func (s *Status) Set(label, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live {
		text := fmt.Sprintf(" %-37s %s", label, msg)
		if r := []rune(text); s.Width > 1 && len(r) > s.Width-1 {
			text = string(r[:s.Width-1])
		}
		if s.color {
			text = ansiYellow + text + ansiReset
		}
		fmt.Fprint(s.w, ansiClear+text)
		s.shown = true
		return
	}
	line := label + ": " + msg
	if line == s.last {
		return
	}
	s.last = line
	fmt.Fprintln(s.w, line)
}

// Live reports whether the status is a redrawn terminal line.
func (s *Status) Live() bool { return s != nil && s.live }

// Clear removes the live line.
func (s *Status) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
}

func (s *Status) clearLocked() {
	if s.live && s.shown {
		fmt.Fprint(s.w, ansiClear)
		s.shown = false
	}
}

// Write prints log lines above the live line.
func (s *Status) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	text := string(b)
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, err := io.WriteString(s.w, text)
	return len(b), err
}

// formatInt formats n with thousands separators: 2,641,780.
func formatInt(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprintf("%d", n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatFixed formats f with two decimals and thousands separators.
func formatFixed(f float64) string {
	whole := int64(f)
	frac := int64((f-float64(whole))*100 + 0.5)
	if frac >= 100 {
		whole++
		frac -= 100
	}
	return fmt.Sprintf("%s.%02d", formatInt(whole), frac)
}

// formatLatency shows nanoseconds as the Node.js benchmark does: µs below
// 0.1 ms, else ms, two decimals.
func formatLatency(ns int64) string {
	if ns < 100_000 {
		return formatFixed(float64(ns)/1e3) + "μs"
	}
	return formatFixed(float64(ns)/1e6) + "ms"
}

// formatPercent formats a CPU share like "95%".
func formatPercent(p float64) string { return formatInt(int64(p+0.5)) + "%" }

// formatRate formats operations per second, rounded.
func formatRate(r float64) string { return formatInt(int64(r + 0.5)) }
