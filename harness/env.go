package harness

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/host"
)

// Environment describes the machine and build of a run.
type Environment struct {
	GoVersion     string `json:"go_version"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	Kernel        string `json:"kernel,omitempty"`
	CPUModel      string `json:"cpu_model,omitempty"`
	LogicalCores  int    `json:"logical_cores"`
	PhysicalCores int    `json:"physical_cores,omitempty"`
	GOMAXPROCS    int    `json:"gomaxprocs"`
	Hostname      string `json:"hostname,omitempty"`
	GitCommit     string `json:"git_commit,omitempty"`
	GitDirty      bool   `json:"git_dirty,omitempty"`
}

// CollectEnvironment describes this machine (best effort: missing facts are
// left empty).
func CollectEnvironment(ctx context.Context) Environment {
	e := Environment{
		GoVersion:    runtime.Version(),
		OS:           runtime.GOOS,
		Arch:         runtime.GOARCH,
		LogicalCores: runtime.NumCPU(),
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if k, err := host.KernelVersionWithContext(ctx); err == nil {
		e.Kernel = k
	}
	if infos, err := cpu.InfoWithContext(ctx); err == nil && len(infos) > 0 {
		e.CPUModel = strings.TrimSpace(infos[0].ModelName)
	}
	if n, err := cpu.CountsWithContext(ctx, false); err == nil {
		e.PhysicalCores = n
	}
	e.Hostname, _ = os.Hostname()
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output(); err == nil {
		e.GitCommit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
			e.GitDirty = len(strings.TrimSpace(string(st))) > 0
		}
	}
	return e
}
