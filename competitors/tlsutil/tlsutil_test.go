package tlsutil

import (
	"crypto/tls"
	"io"
	"testing"

	"github.com/sockety-harness/sockety-harness/competitors"
)

func TestHandshake(t *testing.T) {
	m, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	scfg, err := Server(m, "h2")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_, err = io.Copy(c, io.LimitReader(c, 5))
		done <- err
	}()
	for _, host := range []string{"127.0.0.1"} {
		ccfg, err := ClientFor(m, ln.Addr().String(), "h2")
		if err != nil {
			t.Fatal(err)
		}
		if ccfg.ServerName != host {
			t.Fatalf("ServerName %q, want %q", ccfg.ServerName, host)
		}
		c, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
		if err != nil {
			t.Fatal(err)
		}
		if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Fatalf("ALPN %q", p)
		}
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hello" {
			t.Fatalf("echo %q %v", buf, err)
		}
		c.Close()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRejectsUntrusted(t *testing.T) {
	a, _ := SelfSigned()
	b, _ := SelfSigned()
	scfg, _ := Server(a)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	ccfg, _ := ClientFor(b, ln.Addr().String())
	c, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
	if err == nil {
		c.Close()
		t.Fatal("handshake with an untrusted certificate succeeded")
	}
}

func TestErrors(t *testing.T) {
	if _, err := Server(nil); err != ErrNoTLS {
		t.Fatalf("Server(nil) = %v", err)
	}
	if _, err := Client(nil); err != ErrNoTLS {
		t.Fatalf("Client(nil) = %v", err)
	}
	if _, err := Client(&competitors.TLS{CAPEM: []byte("junk")}); err == nil {
		t.Fatal("junk CAPEM accepted")
	}
	if _, err := Server(&competitors.TLS{CertPEM: []byte("x"), KeyPEM: []byte("y")}); err == nil {
		t.Fatal("junk key pair accepted")
	}
}
