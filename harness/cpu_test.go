package harness

import (
	"math"
	"testing"
	"time"
)

func TestShareOf(t *testing.T) {
	used := CPUTimes{UserNs: 3e9, SystemNs: 1e9}
	s := ShareOf(used, 2e9, 2) // two workers over 2 s: 4 s of CPU = 100% each
	if math.Abs(s.User-75) > 1e-9 || math.Abs(s.System-25) > 1e-9 || math.Abs(s.Total-100) > 1e-9 {
		t.Fatalf("%+v", s)
	}
	if z := ShareOf(used, 0, 2); z != (CPUShare{}) {
		t.Fatalf("zero window: %+v", z)
	}
}

// TestCPUWindow checks that CPU read at a window's edges measures the work
// done inside it (gopsutil has clock-tick resolution, so the bound is loose).
func TestCPUWindow(t *testing.T) {
	a, err := SelfCPU()
	if err != nil {
		t.Skipf("no process CPU times here: %v", err)
	}
	startMono := nowNs()
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	b, err := SelfCPU()
	if err != nil {
		t.Fatal(err)
	}
	window := nowNs() - startMono
	used := b.Sub(a)
	share := ShareOf(used, window, 1)
	if share.Total < 40 || share.Total > 250 {
		t.Fatalf("busy loop measured as %.0f%% of a core (%+v over %v)", share.Total, used, time.Duration(window))
	}
	_ = x
}
