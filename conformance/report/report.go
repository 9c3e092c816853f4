// Package report renders conformance results: a console table, a summary line, JSON and JUnit
// XML files.
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

// Meta describes the run for the file formats.
type Meta struct {
	Suite  string    `json:"suite"`  // "server" or "client"
	Target string    `json:"target"` // address tested
	Strict bool      `json:"strict"`
	Start  time.Time `json:"start"`
}

// Table writes one row per result and, below, the summary line. Details (expected, actual,
// hex) are printed for every result that is not a plain PASS.
func Table(w io.Writer, rs []*runner.Result, strict bool) {
	tw := tablewriter.NewWriter(w)
	tw.SetHeader([]string{"Case", "Verdict", "Time", "Description", "Reason"})
	tw.SetAutoWrapText(false)
	tw.SetAutoFormatHeaders(false)
	for _, r := range rs {
		tw.Append([]string{r.ID, verdictLabel(r), fmtDur(r.Duration), r.Desc, trim(r.Reason, 70)})
	}
	tw.Render()
	for _, r := range rs {
		if r.Verdict == runner.Pass && r.Stale == "" {
			continue
		}
		if r.Verdict == runner.Skip && r.Stale == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s %s: %s\n", verdictLabel(r), r.ID, r.Reason)
		fmt.Fprintf(w, "  rule:     %s\n", r.Rule)
		if r.Expected != "" {
			fmt.Fprintf(w, "  expected: %s\n", r.Expected)
		}
		if r.Actual != "" {
			fmt.Fprintf(w, "  actual:   %s\n", r.Actual)
		}
		if r.Hex != "" {
			fmt.Fprintf(w, "  bytes:    %s\n", r.Hex)
		}
		if r.Stale != "" {
			fmt.Fprintf(w, "  known-failures list is stale: %s\n", r.Stale)
		}
		for _, l := range r.Log {
			fmt.Fprintf(w, "  log:      %s\n", l)
		}
	}
	s := runner.Summarize(rs, strict)
	fmt.Fprintf(w, "\n%s\n", SummaryLine(s))
}

// SummaryLine is the one-line count of a run.
func SummaryLine(s runner.Summary) string {
	return fmt.Sprintf("%d cases: %d passed, %d failed, %d non-strict, %d skipped, %d known failures, %d stale known failures -> %s",
		s.Total, s.Pass, s.Fail, s.NonStrict, s.Skip, s.Known, s.Stale, map[bool]string{true: "FAILED", false: "OK"}[s.Failed > 0])
}

func verdictLabel(r *runner.Result) string {
	l := r.Verdict.String()
	if r.Known {
		l += " (known)"
	}
	if r.Stale != "" {
		l += " (STALE)"
	}
	return l
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func trim(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

type jsonDoc struct {
	Meta
	Summary runner.Summary   `json:"summary"`
	Results []*runner.Result `json:"results"`
}

// WriteJSON writes the meta data, the summary and every result.
func WriteJSON(w io.Writer, m Meta, rs []*runner.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonDoc{Meta: m, Summary: runner.Summarize(rs, m.Strict), Results: rs}); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes one testsuite per group. A NON-STRICT verdict is a failure only when the run
// is strict; a known failure is reported as skipped with its reason.
func WriteJUnit(w io.Writer, m Meta, rs []*runner.Result) error {
	var doc junitSuites
	idx := map[string]int{}
	for _, r := range rs {
		i, ok := idx[r.Group]
		if !ok {
			i = len(doc.Suites)
			idx[r.Group] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: "sockety-conformance/" + m.Suite + "/" + r.Group})
		}
		s := &doc.Suites[i]
		c := junitCase{Name: r.ID + " " + r.Desc, Classname: m.Suite + "." + r.Group, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
		body := details(r)
		switch {
		case r.Failed(m.Strict):
			c.Failure = &junitMessage{Message: r.Verdict.String() + ": " + r.Reason + staleSuffix(r), Body: body}
			s.Failures++
		case r.Known:
			c.Skipped = &junitMessage{Message: "known failure: " + r.Reason, Body: body}
			s.Skipped++
		case r.Verdict == runner.Skip:
			c.Skipped = &junitMessage{Message: r.Reason}
			s.Skipped++
		case r.Verdict == runner.NonStrict:
			c.SystemOut = "NON-STRICT: " + r.Reason + "\n" + body
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		var total time.Duration
		for _, r := range rs {
			if "sockety-conformance/"+m.Suite+"/"+r.Group == doc.Suites[i].Name {
				total += r.Duration
			}
		}
		doc.Suites[i].Time = fmt.Sprintf("%.3f", total.Seconds())
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func staleSuffix(r *runner.Result) string {
	if r.Stale == "" {
		return ""
	}
	return " (stale known failure: " + r.Stale + ")"
}

func details(r *runner.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule: %s\n", r.Rule)
	if r.Expected != "" {
		fmt.Fprintf(&b, "expected: %s\n", r.Expected)
	}
	if r.Actual != "" {
		fmt.Fprintf(&b, "actual: %s\n", r.Actual)
	}
	if r.Hex != "" {
		fmt.Fprintf(&b, "bytes: %s\n", r.Hex)
	}
	for _, l := range r.Log {
		fmt.Fprintf(&b, "log: %s\n", l)
	}
	return b.String()
}

// WriteFiles writes the JSON and JUnit files when their paths are not empty.
func WriteFiles(jsonPath, junitPath string, m Meta, rs []*runner.Result) error {
	write := func(path string, f func(io.Writer) error) error {
		if path == "" {
			return nil
		}
		fh, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("create report: %w", err)
		}
		if err := f(fh); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return fmt.Errorf("close report %s: %w", path, err)
		}
		return nil
	}
	if err := write(jsonPath, func(w io.Writer) error { return WriteJSON(w, m, rs) }); err != nil {
		return err
	}
	return write(junitPath, func(w io.Writer) error { return WriteJUnit(w, m, rs) })
}
