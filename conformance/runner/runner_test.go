package runner

import (
	"context"
	"strings"
	"testing"
	"time"
)

func cases() []*Case {
	mk := func(id string, run func(t *T)) *Case {
		return &Case{ID: id, Section: "s", Desc: "d", Rule: "r", Run: run}
	}
	return []*Case{
		mk("a/1", func(t *T) {}),
		mk("a/2", func(t *T) { t.Fatal("wrong code", "0", "1", []byte{0x31}) }),
		mk("b/1", func(t *T) { t.Lenient("wide field", "small", "wide", nil) }),
		mk("b/2", func(t *T) { t.Skip("not applicable") }),
		mk("c/1", func(t *T) { <-t.Context().Done(); time.Sleep(10 * time.Millisecond) }),
		mk("c/2", func(t *T) { panic("boom") }),
		mk("c/3", func(t *T) { t.Lenient("wide", "", "", nil); t.Fatalf("then failed") }),
	}
}

func TestRunVerdicts(t *testing.T) {
	rs := Run(context.Background(), cases(), Options{CaseTimeout: 50 * time.Millisecond})
	want := map[string]Verdict{"a/1": Pass, "a/2": Fail, "b/1": NonStrict, "b/2": Skip, "c/1": Fail, "c/2": Fail, "c/3": Fail}
	for _, r := range rs {
		if r.Verdict != want[r.ID] {
			t.Errorf("%s: %s (%s), want %s", r.ID, r.Verdict, r.Reason, want[r.ID])
		}
	}
	if rs[1].Hex != "31" || rs[1].Expected != "0" || rs[1].Actual != "1" {
		t.Errorf("a/2 details: %+v", rs[1])
	}
	if !strings.Contains(rs[4].Reason, "timed out") {
		t.Errorf("c/1 reason %q", rs[4].Reason)
	}
	if !strings.Contains(rs[5].Reason, "panic") {
		t.Errorf("c/2 reason %q", rs[5].Reason)
	}
	s := Summarize(rs, false)
	if s.Total != 7 || s.Pass != 1 || s.Fail != 4 || s.NonStrict != 1 || s.Skip != 1 || s.Failed != 4 {
		t.Errorf("summary %+v", s)
	}
	if Summarize(rs, true).Failed != 5 {
		t.Errorf("strict summary %+v", Summarize(rs, true))
	}
}

func TestKnownFailures(t *testing.T) {
	known, err := ParseKnown("# comment\na/2 wrong code\na/1   # passes: stale\nc/3 something else\nb/2 skipped\n")
	if err != nil {
		t.Fatal(err)
	}
	rs := Run(context.Background(), cases(), Options{CaseTimeout: 50 * time.Millisecond, Known: known})
	by := map[string]*Result{}
	for _, r := range rs {
		by[r.ID] = r
	}
	if !by["a/2"].Known || by["a/2"].Failed(false) {
		t.Errorf("a/2 should be a known failure: %+v", by["a/2"])
	}
	if by["a/1"].Stale == "" || !by["a/1"].Failed(false) {
		t.Errorf("a/1 passes but is listed: must be stale: %+v", by["a/1"])
	}
	if by["c/3"].Stale == "" {
		t.Errorf("c/3 fails with another reason: must be stale: %+v", by["c/3"])
	}
	if by["b/2"].Stale != "" || by["b/2"].Known {
		t.Errorf("b/2 skipped: neither known nor stale: %+v", by["b/2"])
	}
	for _, bad := range []string{"nonsense", "a/1 x\na/1 y"} {
		if _, err := ParseKnown(bad); err == nil {
			t.Errorf("ParseKnown(%q) accepted", bad)
		}
	}
}

func TestSelect(t *testing.T) {
	cs := cases()
	got, err := Select(cs, []string{"a/2"}, []string{"b"})
	if err != nil || len(got) != 3 {
		t.Fatalf("got %d cases, %v", len(got), err)
	}
	if _, err := Select(cs, []string{"zz/1"}, nil); err == nil {
		t.Error("unknown case accepted")
	}
	if _, err := Select(cs, nil, []string{"zz"}); err == nil {
		t.Error("unknown group accepted")
	}
	if err := CheckCatalogue(append(cs, cs[0])); err == nil {
		t.Error("duplicate ID accepted")
	}
}

func TestTotalBudget(t *testing.T) {
	rs := Run(context.Background(), cases(), Options{CaseTimeout: time.Second, Total: 30 * time.Millisecond})
	var skipped int
	for _, r := range rs {
		if r.Verdict == Skip && strings.Contains(r.Reason, "budget") {
			skipped++
		}
	}
	if skipped == 0 {
		t.Error("no case skipped after the run budget ended")
	}
}

func TestParseKnownSeparators(t *testing.T) {
	for _, line := range []string{"header/1 no header", "header/1\tno header", "header/1 \t no header  "} {
		m, err := ParseKnown(line + "\n")
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if got, ok := m["header/1"]; !ok || got != "no header" {
			t.Errorf("%q: got %v, want header/1 -> %q", line, m, "no header")
		}
	}
}
