package harness

import (
	"strings"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// Rule is one -f/-e argument: words that must all appear, case-insensitively,
// in "<suite> <benchmark>".
type Rule []string

// ParseRule splits a filter argument into lower-case words.
func ParseRule(s string) Rule { return Rule(strings.Fields(strings.ToLower(s))) }

// Match reports whether every word of the rule occurs in name.
func (r Rule) Match(name string) bool {
	name = strings.ToLower(name)
	for _, w := range r {
		if !strings.Contains(name, w) {
			return false
		}
	}
	return true
}

// Selection is one suite with the benchmarks selected to run, in order.
type Selection struct {
	Suite      competitors.Suite
	Benchmarks []competitors.Benchmark
}

// Select applies the Node.js benchmark's rule: with filters, a benchmark runs
// when some filter matches it; with excludes, it is skipped when some exclude
// matches it. Suites left without benchmarks are dropped.
func Select(suites []competitors.Suite, filters, excludes []string) []Selection {
	var fs, es []Rule
	for _, f := range filters {
		fs = append(fs, ParseRule(f))
	}
	for _, e := range excludes {
		es = append(es, ParseRule(e))
	}
	any := func(rules []Rule, name string) bool {
		for _, r := range rules {
			if r.Match(name) {
				return true
			}
		}
		return false
	}
	var out []Selection
	for _, s := range suites {
		sel := Selection{Suite: s}
		for _, b := range s.Benchmarks() {
			name := s.Name() + " " + b.Name
			if len(fs) > 0 && !any(fs, name) {
				continue
			}
			if any(es, name) {
				continue
			}
			sel.Benchmarks = append(sel.Benchmarks, b)
		}
		if len(sel.Benchmarks) > 0 {
			out = append(out, sel)
		}
	}
	return out
}
