//go:build unix

package harness

import (
	"math"
	"syscall"
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

// TestCPUWindow checks CPU read at a window's edges (gopsutil, what workers
// report) against the kernel's own rusage over the same window: they must
// agree to within a few clock ticks, whatever the machine's load.
func TestCPUWindow(t *testing.T) {
	a, err := SelfCPU()
	if err != nil {
		t.Skipf("no process CPU times here: %v", err)
	}
	var ra syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ra); err != nil {
		t.Skip(err)
	}
	deadline := time.Now().Add(300 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	b, err := SelfCPU()
	if err != nil {
		t.Fatal(err)
	}
	var rb syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &rb); err != nil {
		t.Fatal(err)
	}
	used := b.Sub(a)
	kernel := time.Duration(syscall.TimevalToNsec(rb.Utime)-syscall.TimevalToNsec(ra.Utime)) +
		time.Duration(syscall.TimevalToNsec(rb.Stime)-syscall.TimevalToNsec(ra.Stime))
	got := time.Duration(used.UserNs + used.SystemNs)
	// /proc/self/stat counts in clock ticks (usually 10 ms): allow 3 ticks
	// at each edge.
	if d := got - kernel; d > 60*time.Millisecond || d < -60*time.Millisecond {
		t.Fatalf("window CPU %v, kernel rusage %v", got, kernel)
	}
	if kernel > 100*time.Millisecond && got == 0 {
		t.Fatalf("no CPU measured for %v of work", kernel)
	}
	_ = x
}
