package adaptertest_test

import (
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors"
	"github.com/sockety-harness/sockety-harness/competitors/adaptertest"
	"github.com/sockety-harness/sockety-harness/competitors/rawtcp"
	socketysuite "github.com/sockety-harness/sockety-harness/competitors/sockety"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

// BenchmarkFloor runs the scenarios that Raw TCP (limit) and Sockety share,
// side by side in one run, so that "raw TCP is the floor" can be checked
// as a ratio on the same machine at the same time:
//
//	go test -run '^$' -bench Floor -benchmem -count 6 ./competitors/adaptertest
func BenchmarkFloor(b *testing.B) {
	for _, id := range []string{scenarios.IDHeartbeat, scenarios.IDNoResponse, scenarios.IDShortResponse, scenarios.IDRegularResponse} {
		for _, s := range []competitors.Suite{rawtcp.Suite{}, socketysuite.Suite{}} {
			b.Run(id+"/"+s.Name(), func(b *testing.B) { adaptertest.Bench(b, s, id, 2) })
		}
	}
}
