//go:build !linux

package sockety

import "net"

func setNotSentLowat(net.Conn, int) {}
