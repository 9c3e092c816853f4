//go:build !linux

package harness

import "os"

// takeStdout returns stdout for the control channel (stray prints are not
// redirected on this platform).
func takeStdout() (*os.File, error) { return os.Stdout, nil }
