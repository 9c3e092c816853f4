package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/olekukonko/tablewriter"

	"github.com/sockety-harness/sockety-harness/harness"
	"github.com/sockety-harness/sockety-harness/harness/compare"
)

// writeMedians prints, after a --count run, one table per suite with the
// median, lowest and highest QPS and the median p50 and p99 of each
// benchmark over its runs (runs with worker failures left out).
func writeMedians(w io.Writer, rep *harness.Report) {
	type row struct {
		name          string
		qps, p50, p99 []float64
	}
	var suites []string
	rows := map[string][]*row{}
	idx := map[[2]string]*row{}
	for _, r := range rep.Results {
		if len(r.Failures) > 0 {
			continue
		}
		k := [2]string{r.Suite, harness.RowName(r)}
		x := idx[k]
		if x == nil {
			if _, ok := rows[r.Suite]; !ok {
				suites = append(suites, r.Suite)
			}
			x = &row{name: k[1]}
			idx[k] = x
			rows[r.Suite] = append(rows[r.Suite], x)
		}
		x.qps = append(x.qps, r.QPS)
		x.p50 = append(x.p50, float64(r.Latency.P50Ns))
		x.p99 = append(x.p99, float64(r.Latency.P99Ns))
	}
	fmt.Fprintf(w, "\nMedians of %d runs (sockety-bench compare tests differences between files)\n", max(1, rep.Config.Count))
	for _, s := range suites {
		fmt.Fprintf(w, "\n %s\n", s)
		t := tablewriter.NewWriter(w)
		t.SetHeader([]string{"", "runs", "QPS", "lowest", "highest", "p50", "p99"})
		t.SetAutoFormatHeaders(false)
		t.SetAutoWrapText(false)
		t.SetBorder(false)
		t.SetColumnSeparator(" ")
		t.SetCenterSeparator(" ")
		t.SetHeaderLine(false)
		t.SetAlignment(tablewriter.ALIGN_RIGHT)
		for _, x := range rows[s] {
			lo, hi := minMax(x.qps)
			t.Append([]string{x.name, fmt.Sprint(len(x.qps)), fmt.Sprintf("%.0f", medianOf(x.qps)), fmt.Sprintf("%.0f", lo), fmt.Sprintf("%.0f", hi),
				compare.FormatValue(medianOf(x.p50), "ns"), compare.FormatValue(medianOf(x.p99), "ns")})
		}
		t.Render()
	}
}

func medianOf(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minMax(v []float64) (lo, hi float64) {
	for i, x := range v {
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}
