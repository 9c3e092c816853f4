package competitors

import (
	"context"
	"runtime"
	"testing"
)

func TestListenReusePort(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_REUSEPORT semantics checked on Linux only")
	}
	ctx := context.Background()
	a, err := Listen(ctx, ServerConfig{Addr: "127.0.0.1:0", ReusePort: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Listen(ctx, ServerConfig{Addr: a.Addr().String(), ReusePort: true})
	if err != nil {
		t.Fatalf("second listener with ReusePort: %v", err)
	}
	b.Close()
	if c, err := Listen(ctx, ServerConfig{Addr: a.Addr().String()}); err == nil {
		c.Close()
		t.Fatal("listening twice without ReusePort succeeded")
	}
}
