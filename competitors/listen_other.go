//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package competitors

import (
	"errors"
	"syscall"
)

func reusePortControl(network, address string, c syscall.RawConn) error {
	return errors.New("SO_REUSEPORT is not supported on this platform")
}
