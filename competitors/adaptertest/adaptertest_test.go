package adaptertest

import (
	"net"
	"runtime"
	"testing"
)

func TestEstablishedTo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/net/tcp")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	n, err := EstablishedTo(port)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("EstablishedTo = %d, want 3", n)
	}
}
