package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/olekukonko/tablewriter"
)

// Formats accepted by Write.
var Formats = []string{"text", "markdown", "json"}

// Write prints the comparison in format "text", "markdown" or "json".
func (r *Result) Write(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		type out struct {
			*Result
			ExitCode int    `json:"exit_code"`
			Summary  string `json:"summary"`
		}
		if err := enc.Encode(out{r, r.ExitCode(), r.Summary()}); err != nil {
			return fmt.Errorf("write comparison: %w", err)
		}
		return nil
	case "text", "markdown":
		return r.writeTable(w, format == "markdown")
	}
	return fmt.Errorf("unknown format %q (text, markdown, json)", format)
}

func (r *Result) writeTable(w io.Writer, md bool) error {
	var b strings.Builder
	head := "Comparison of medians"
	if r.Normalize != "" {
		head += fmt.Sprintf(", normalised to %q of the same run (figures are ratios)", r.Normalize)
	}
	head += fmt.Sprintf("; Mann-Whitney U at alpha %.2g, 95%% confidence intervals; a verdict needs %d+ runs per file.", r.Alpha, r.MinRuns)
	if md {
		b.WriteString("**sockety-bench compare**: " + head + "\n\n")
	} else {
		b.WriteString(head + "\n")
	}
	t := tablewriter.NewWriter(&b)
	t.SetHeader([]string{"benchmark", "metric", "old", "new", "change", "test", "verdict", "why"})
	t.SetAutoWrapText(false)
	t.SetAutoFormatHeaders(false)
	if md {
		t.SetBorders(tablewriter.Border{Left: true, Top: false, Right: true, Bottom: false})
		t.SetCenterSeparator("|")
	} else {
		t.SetBorder(false)
		t.SetColumnSeparator(" ")
		t.SetCenterSeparator(" ")
		t.SetHeaderLine(false)
	}
	for _, row := range r.Rows {
		change, test := "", ""
		if row.Old != nil && row.New != nil {
			change = fmt.Sprintf("%+.1f%%", row.ChangePct)
		}
		if row.Tested {
			test = fmt.Sprintf("p=%.3f n=%d+%d", row.P, row.Old.N, row.New.N)
		} else if row.Old != nil && row.New != nil {
			test = fmt.Sprintf("n=%d+%d", row.Old.N, row.New.N)
		}
		verdict := string(row.Verdict)
		if row.Verdict == Regression {
			verdict = "REGRESSION"
		}
		if md && row.Verdict == Regression {
			verdict = "**REGRESSION**"
		}
		t.Append([]string{row.Key.String(), row.Metric, FormatSummary(row.Old, row.Unit), FormatSummary(row.New, row.Unit),
			change, test, verdict, row.Why})
	}
	t.Render()
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	warned := map[string]bool{}
	for _, row := range r.Rows {
		for _, wn := range row.Warnings {
			if !warned[wn] {
				warned[wn] = true
				b.WriteString("warning: " + wn + "\n")
			}
		}
	}
	if md {
		b.WriteString("\n")
	}
	b.WriteString(r.Summary() + "\n")
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}

// FormatSummary is "median ±x%" with the confidence interval's larger half
// width relative to the median.
func FormatSummary(s *Summary, unit string) string {
	if s == nil {
		return "-"
	}
	v := FormatValue(s.Median, unit)
	if s.Median != 0 && s.CI {
		pm := math.Max(s.Hi-s.Median, s.Median-s.Lo) / math.Abs(s.Median) * 100
		v += fmt.Sprintf(" ±%.0f%%", pm)
	}
	return v
}

// FormatValue prints a figure of unit "ops/s", "ns" or "ratio".
func FormatValue(v float64, unit string) string {
	switch unit {
	case "ns":
		switch {
		case v >= 1e9:
			return fmt.Sprintf("%.3gs", v/1e9)
		case v >= 1e6:
			return fmt.Sprintf("%.3gms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.3gµs", v/1e3)
		}
		return fmt.Sprintf("%.3gns", v)
	case "ratio":
		return fmt.Sprintf("%.4g", v)
	case "ops/s":
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.3gM", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.3gk", v/1e3)
		}
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%g", v)
}
