package harness

import (
	"fmt"
	"os"
	"sync"

	"github.com/shirou/gopsutil/v3/process"
)

// CPUTimes is a process's cumulative CPU time.
type CPUTimes struct {
	UserNs   int64 `json:"user_ns"`
	SystemNs int64 `json:"system_ns"`
}

// Sub returns t - o.
func (t CPUTimes) Sub(o CPUTimes) CPUTimes {
	return CPUTimes{UserNs: t.UserNs - o.UserNs, SystemNs: t.SystemNs - o.SystemNs}
}

// Add returns t + o.
func (t CPUTimes) Add(o CPUTimes) CPUTimes {
	return CPUTimes{UserNs: t.UserNs + o.UserNs, SystemNs: t.SystemNs + o.SystemNs}
}

var (
	selfOnce sync.Once
	self     *process.Process
	selfErr  error
)

// SelfCPU returns this process's CPU times (gopsutil; on Linux from
// /proc/self/stat, in clock ticks of usually 10 ms).
func SelfCPU() (CPUTimes, error) {
	selfOnce.Do(func() { self, selfErr = process.NewProcess(int32(os.Getpid())) })
	if selfErr != nil {
		return CPUTimes{}, fmt.Errorf("cpu: %w", selfErr)
	}
	t, err := self.Times()
	if err != nil {
		return CPUTimes{}, fmt.Errorf("cpu: %w", err)
	}
	return CPUTimes{UserNs: int64(t.User * 1e9), SystemNs: int64(t.System * 1e9)}, nil
}

// CPUShare is CPU use over a window as percent of one core per worker.
type CPUShare struct {
	User   float64 `json:"user"`
	System float64 `json:"system"`
	Total  float64 `json:"total"`
}

// ShareOf returns the CPU used (summed over workers) over windowNs (the
// window of one worker) as percent of one core per worker, as the Node.js
// benchmark shows it.
func ShareOf(used CPUTimes, windowNs int64, workers int) CPUShare {
	if windowNs <= 0 || workers <= 0 {
		return CPUShare{}
	}
	d := float64(windowNs) * float64(workers) / 100
	u, s := float64(used.UserNs)/d, float64(used.SystemNs)/d
	return CPUShare{User: u, System: s, Total: u + s}
}
