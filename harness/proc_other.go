//go:build !linux

package harness

import "os/exec"

func setProcAttrs(cmd *exec.Cmd) {}

func killTree(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
