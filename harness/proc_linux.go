//go:build linux

package harness

import (
	"os/exec"
	"syscall"
)

// setProcAttrs puts a worker in its own process group (a terminal's Ctrl-C
// reaches the controller only, which then ends its workers) and has the kernel
// kill it if the controller dies without cleaning up.
func setProcAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killTree kills the worker's process group.
func killTree(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
