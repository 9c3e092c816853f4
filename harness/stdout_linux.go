//go:build linux

package harness

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// takeStdout returns the process's original stdout for the control channel
// and points file descriptor 1 at stderr, so that anything else printing to
// stdout cannot corrupt the channel.
func takeStdout() (*os.File, error) {
	fd, err := unix.Dup(1)
	if err != nil {
		return nil, fmt.Errorf("dup stdout: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := unix.Dup3(2, 1, 0); err != nil {
		return nil, fmt.Errorf("redirect stdout: %w", err)
	}
	return os.NewFile(uintptr(fd), "control"), nil
}
