//go:build linux

package sockety

import (
	"net"

	"golang.org/x/sys/unix"
)

// setNotSentLowat limits the bytes the kernel keeps unsent in the socket
// (TCP_NOTSENT_LOWAT): the writer then waits in poll instead of filling
// megabytes of socket buffer, so what it queues later (a fast reply on
// another channel) is not stuck behind a large transfer in the kernel.
func setNotSentLowat(nc net.Conn, n int) {
	tc, ok := nc.(*net.TCPConn)
	if !ok || n <= 0 {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, n)
	})
}
