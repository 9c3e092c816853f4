package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/conformance/runner"
)

func results() []*runner.Result {
	return []*runner.Result{
		{ID: "a/1", Group: "a", Desc: "passes", Rule: "r", Verdict: runner.Pass, Duration: time.Millisecond},
		{ID: "a/2", Group: "a", Desc: "fails", Rule: "r2", Verdict: runner.Fail, Reason: "wrong code", Expected: "0", Actual: "1", Hex: "3100"},
		{ID: "b/1", Group: "b", Desc: "lenient", Rule: "r3", Verdict: runner.NonStrict, Reason: "wide"},
		{ID: "b/2", Group: "b", Desc: "skipped", Rule: "r4", Verdict: runner.Skip, Reason: "n/a"},
		{ID: "b/3", Group: "b", Desc: "known", Rule: "r5", Verdict: runner.Fail, Reason: "known bug", Known: true},
	}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	Table(&b, results(), false)
	out := b.String()
	for _, want := range []string{"a/2", "FAIL (known)", "expected: 0", "actual:   1", "bytes:    3100", "NON-STRICT b/1",
		"5 cases: 1 passed, 2 failed, 1 non-strict, 1 skipped, 1 known failures, 0 stale known failures -> FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestJSONAndJUnit(t *testing.T) {
	m := Meta{Suite: "server", Target: "x", Strict: true}
	var j bytes.Buffer
	if err := WriteJSON(&j, m, results()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary runner.Summary
		Results []struct {
			ID      string `json:"id"`
			Verdict string `json:"verdict"`
		}
	}
	if err := json.Unmarshal(j.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Summary.Failed != 2 || doc.Results[2].Verdict != "NON-STRICT" {
		t.Errorf("json: %+v", doc)
	}
	var x bytes.Buffer
	if err := WriteJUnit(&x, m, results()); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	// Strict: a/2 and b/1 fail; b/2 skipped and the known failure b/3 reported as skipped.
	if len(suites.Suites) != 2 || suites.Suites[0].Failures != 1 || suites.Suites[1].Failures != 1 || suites.Suites[1].Skipped != 2 {
		t.Errorf("junit: %+v\n%s", suites, x.String())
	}
}
