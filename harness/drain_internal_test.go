package harness

import (
	"strings"
	"testing"
	"time"
)

// TestDrainFailure: what became of the operations in flight at the window's
// end decides whether the target was lost.
func TestDrainFailure(t *testing.T) {
	for _, tc := range []struct {
		d    DrainPart
		part string
		want string // "" = no failure
	}{
		{DrainPart{Completed: 8, LastOK: 8}, "", ""},
		{DrainPart{}, "", ""}, // nothing ran
		{DrainPart{Completed: 7, Failed: 1, LastOK: 7, LastFailed: 1}, "", ""},
		{DrainPart{Failed: 8, LastFailed: 8, ErrorLogs: []ErrorSample{{Message: "connection reset", Count: 8}}}, "", "the last operation of every client goroutine failed at the window's end (8) (connection reset)"},
		{DrainPart{LastFailed: 2}, "", "every client goroutine failed"}, // nothing in flight: the last ones failed
		{DrainPart{Completed: 5, Unfinished: 3, LastOK: 5}, "", "3 operations were still running 2s after the window's end"},
		{DrainPart{Failed: 1, LastFailed: 1}, "4MB data (memory)", "4MB data (memory): the last operation"},
	} {
		got := strings.Join(drainFailure(tc.d, 2*time.Second, tc.part), "\n")
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestMergeDrain: each host drained its own clients, so the figures add up.
func TestMergeDrain(t *testing.T) {
	rep := func(d *Drain) *Report {
		r := mergeRow(t, 10, 1000, 0, 10)
		r.Drain = d
		return &Report{SchemaVersion: SchemaVersion, Config: RunConfig{Mode: ModeClosedLoop, Clients: 1}, Results: []Result{r}}
	}
	m, err := MergeReports([]string{"a", "b"}, []*Report{rep(&Drain{WaitNs: 5, Completed: 3, Failed: 1, LastOK: 3, LastFailed: 1}), rep(&Drain{WaitNs: 5, Completed: 2, Unfinished: 4, LastOK: 2})})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.Results[0].Drain; d == nil || *d != (Drain{WaitNs: 5, Completed: 5, Failed: 1, Unfinished: 4, LastOK: 5, LastFailed: 1}) {
		t.Fatalf("merged drain %+v", d)
	}
}
