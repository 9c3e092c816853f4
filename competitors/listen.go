package competitors

import (
	"context"
	"fmt"
	"net"
)

// Listen opens the TCP listener of a suite server on cfg.Addr, with
// SO_REUSEPORT when cfg.ReusePort is set so that several server worker
// processes share the port (the kernel spreads connections among them).
// Adapters whose SharedPort is true must listen with it.
func Listen(ctx context.Context, cfg ServerConfig) (net.Listener, error) {
	lc := net.ListenConfig{}
	if cfg.ReusePort {
		lc.Control = reusePortControl
	}
	ln, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	return ln, nil
}
