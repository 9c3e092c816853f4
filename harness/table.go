package harness

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
)

// HeaderInfo is what the header block shows.
type HeaderInfo struct {
	Opt          Options
	GoVersion    string
	LogicalCores int
	Color        bool
}

// WriteHeader prints the Node.js benchmark's header block, with Go facts in
// place of Node/V8 ones.
func WriteHeader(w io.Writer, h HeaderInfo) {
	o := h.Opt
	key := func(k string) string {
		k = fmt.Sprintf("%14s", k)
		if h.Color {
			return ansiTeal + ansiBold + k + ansiReset
		}
		return k
	}
	fmt.Fprintf(w, "%s %s\n", key("Go version:"), h.GoVersion)
	if o.Remote != "" {
		fmt.Fprintf(w, "%s client %d (%d logical CPUs)\n", key("GOMAXPROCS:"), o.ClientProcs, h.LogicalCores)
	} else {
		fmt.Fprintf(w, "%s server %d, client %d (%d logical CPUs)\n", key("GOMAXPROCS:"), o.ServerProcs, o.ClientProcs, h.LogicalCores)
	}
	if o.ClientGOGC > 0 {
		fmt.Fprintf(w, "%s client %d\n", key("GOGC:"), o.ClientGOGC)
	}
	if o.ClientGODEBUG != "" {
		fmt.Fprintf(w, "%s client %s\n", key("GODEBUG:"), o.ClientGODEBUG)
	}
	if o.Remote == "" {
		fmt.Fprintf(w, "%s %d\n", key("Server workers:"), o.Servers)
	}
	fmt.Fprintf(w, "%s %d\n", key("Client workers:"), o.Clients)
	fmt.Fprintf(w, "%s %d × %d (%d)\n", key("Connections:"), o.Clients, o.Connections, o.Clients*o.Connections)
	fmt.Fprintf(w, "%s %d × %d (%d)\n", key("Concurrency:"), o.Clients, o.Concurrency, o.Clients*o.Concurrency)
	fmt.Fprintf(w, "%s %sms\n", key("Duration:"), formatInt(int64(o.Duration/time.Millisecond)))
	fmt.Fprintf(w, "%s %sms\n", key("Warming time:"), formatInt(int64(o.Warming/time.Millisecond)))
	if o.Rate > 0 {
		fmt.Fprintf(w, "%s constant rate, %d × %s ops/s (%s); latency from intended send time\n", key("Load:"),
			o.Clients, formatRate(o.Rate), formatRate(o.Rate*float64(o.Clients)))
	} else {
		fmt.Fprintf(w, "%s closed loop; latency from send\n", key("Load:"))
	}
	if o.Remote != "" {
		fmt.Fprintf(w, "%s %s\n", key("Remote server:"), o.Remote)
	}
	if o.Port != 0 {
		fmt.Fprintf(w, "%s %d\n", key("Port:"), o.Port)
	}
	if o.Verify {
		fmt.Fprintf(w, "%s on (payloads checksummed)\n", key("Verify:"))
	}
}

// TableOptions tune a suite table.
type TableOptions struct {
	Color bool
	// Servers is the number of server workers; above 1 an "each server"
	// column divides QPS among them.
	Servers int
	// Rate adds the achieved share of the constant-rate target.
	Rate bool
}

// RowName is a result's row label ("Mixed: Short response (code)" for parts).
func RowName(r Result) string {
	if r.Part != "" {
		return r.Benchmark + ": " + r.Part
	}
	return r.Benchmark
}

// WriteSuiteTable prints one suite's table with the Node.js benchmark's
// columns plus percentiles, "delivered" (server-received operations per
// second for one-way rows) and the client workers' CPU time per operation
// (µs/op, all client workers' CPU over all their operations), then notes on
// errors and failures.
func WriteSuiteTable(w io.Writer, suite string, results []Result, o TableOptions) {
	paint := func(code, s string) string {
		if o.Color && s != "" {
			return code + s + ansiReset
		}
		return s
	}
	header := []string{"", "success", "QPS"}
	if o.Servers > 1 {
		header[2] = "total"
		header = append(header, "each server")
	}
	if o.Rate {
		header = append(header, "of target")
	}
	header = append(header, "delivered", "min", "avg", "p50", "p99", "p99.9", "max",
		"usr", "sys", "u+s", "µs/op", "usr", "sys", "u+s")

	var buf bytes.Buffer
	t := tablewriter.NewWriter(&buf)
	t.SetHeader(header)
	t.SetAutoFormatHeaders(false)
	t.SetAutoWrapText(false)
	t.SetBorder(false)
	t.SetHeaderLine(false)
	t.SetColumnSeparator("")
	t.SetCenterSeparator("")
	t.SetRowSeparator("")
	t.SetTablePadding("  ")
	t.SetNoWhiteSpace(true)
	t.SetHeaderAlignment(tablewriter.ALIGN_RIGHT)
	align := make([]int, len(header))
	for i := range align {
		align[i] = tablewriter.ALIGN_RIGHT
	}
	align[0] = tablewriter.ALIGN_LEFT
	t.SetColumnAlignment(align)

	var notes []string
	for _, r := range results {
		row := make([]string, 0, len(header))
		name := paint(ansiBold, RowName(r))
		success := "n/a"
		if r.Count+r.Errors > 0 {
			success = formatFixed(100*r.SuccessRatio) + "%"
		}
		switch {
		case len(r.Failures) > 0 || r.Count == 0:
			success = paint(ansiRed, success)
		case r.Errors == 0:
			success = paint(ansiGreen, success)
		case r.SuccessRatio > 0.9:
			success = paint(ansiYellow, success)
		default:
			success = paint(ansiRed, success)
		}
		row = append(row, name, success, paint(ansiBold, formatRate(r.QPS)))
		if o.Servers > 1 {
			row = append(row, formatRate(r.QPS/float64(max(1, r.ServerWorkers))))
		}
		if o.Rate {
			if r.Rate != nil && r.Rate.Target > 0 {
				row = append(row, formatFixed(100*r.Rate.Achieved/r.Rate.Target)+"%")
			} else {
				row = append(row, "")
			}
		}
		del := ""
		if r.Delivered != nil {
			del = formatRate(r.Delivered.PerSecond)
		} else if r.OneWay && r.Part == "" {
			del = "n/a"
		}
		row = append(row, del)
		if r.Count > 0 {
			l := r.Latency
			row = append(row, formatLatency(l.MinNs), formatLatency(l.MeanNs), formatLatency(l.P50Ns),
				formatLatency(l.P99Ns), formatLatency(l.P999Ns), formatLatency(l.MaxNs))
		} else {
			row = append(row, "-", "-", "-", "-", "-", "-")
		}
		row = append(row, cpuCells(r.CPU.Client)...)
		if r.CPU.ClientNsPerOp > 0 {
			row = append(row, formatFixed(r.CPU.ClientNsPerOp/1e3))
		} else {
			row = append(row, "n/a")
		}
		row = append(row, cpuCells(r.CPU.Server)...)
		t.Append(row)
		if r.Errors > 0 {
			blank := make([]string, len(header))
			blank[0] = paint(ansiRed+ansiBold, fmt.Sprintf(" Failed %s times", formatInt(r.Errors)))
			t.Append(blank)
		}
		for _, e := range r.ErrorSamples {
			notes = append(notes, fmt.Sprintf("  %s: %s× %s", RowName(r), formatInt(e.Count), e.Message))
		}
		if r.Part == "" || r.ScenarioID == results[0].ScenarioID {
			for _, f := range r.Failures {
				notes = append(notes, fmt.Sprintf("  %s: %s", RowName(r), f))
			}
			for _, f := range r.Warnings {
				notes = append(notes, fmt.Sprintf("  %s: warning: %s", RowName(r), f))
			}
		}
		if r.Count+r.Errors == 0 && len(r.Failures) == 0 {
			notes = append(notes, fmt.Sprintf("  %s: no operation completed inside the %s window (each took longer?)",
				RowName(r), shortDuration(time.Duration(r.WindowNs).Round(time.Millisecond))))
		}
		if r.Abandoned > 0 {
			notes = append(notes, fmt.Sprintf("  %s: %d operations did not return after the run ended", RowName(r), r.Abandoned))
		}
		if d := r.Delivered; d != nil {
			bad := d.VerifyErrors
			if d.Check != nil {
				bad -= min(bad, d.Check.Missing) // the failure line names the missing ones
			}
			if bad > 0 {
				notes = append(notes, fmt.Sprintf("  %s: %d payloads failed verification", RowName(r), bad))
			}
		}
	}
	t.Render()

	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	// Title line: suite name, and the CPU group labels over their columns.
	head := lines[0]
	clientAt, serverAt := cellStart(head, "usr", 0), cellStart(head, "usr", 1)
	title := " " + suite
	width := displayWidth(head)
	line := []rune(strings.Repeat(" ", max(width, len(title))+1))
	copy(line, []rune(title))
	put := func(at int, s string) {
		if at < 0 {
			return
		}
		for i, r := range s {
			if at+i < len(line) {
				line[at+i] = r
			}
		}
	}
	put(clientAt, "CPU%/client")
	put(serverAt, "CPU%/server")
	fmt.Fprintln(w)
	titleText := strings.TrimRight(string(line), " ")
	if o.Color {
		titleText = ansiBold + titleText + ansiReset
	}
	fmt.Fprintln(w, titleText)
	for _, l := range lines {
		fmt.Fprintln(w, " "+strings.TrimRight(l, " "))
	}
	for _, n := range notes {
		fmt.Fprintln(w, paint(ansiRed, n))
	}
}

// cellStart returns the rune index (plus the leading space) where the n-th
// (0-based) occurrence of the header cell word begins, or -1.
func cellStart(head, word string, n int) int {
	w := strings.TrimSpace(word)
	runes := []rune(head)
	seen := 0
	for i := 0; i+len(w) <= len(runes); i++ {
		if string(runes[i:i+len(w)]) == w && (i == 0 || runes[i-1] == ' ') && (i+len(w) == len(runes) || runes[i+len(w)] == ' ') {
			if seen == n {
				return i + 1
			}
			seen++
		}
	}
	return -1
}

func displayWidth(s string) int { return len([]rune(s)) }

// cpuCells formats a CPU share as usr, sys, u+s cells, or n/a.
func cpuCells(s *CPUShare) []string {
	if s == nil {
		return []string{"n/a", "n/a", "n/a"}
	}
	return []string{formatPercent(s.User), formatPercent(s.System), formatPercent(s.Total)}
}
