package sockety

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Server accepts Sockety connections and hands their messages to Handler.
// Fields are read when serving starts; do not change them afterwards.
type Server struct {
	// Handler handles the messages of every connection (overrides
	// Options.Handler).
	Handler Handler
	// Options for every accepted connection; TLSConfig is used by
	// ListenAndServe.
	Options *Options
	// OnConnect, when set, is called (in the connection's own goroutine)
	// for every connection once its header exchange is done, e.g. to send
	// messages to the client.
	OnConnect func(c *Conn)

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	shutdown  bool
	closed    bool
	wg        sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("sockety: server closed")

// ListenAndServe listens on the TCP address addr and serves (TLS when
// Options.TLSConfig is set).
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sockety: listen %s: %w", addr, err)
	}
	if s.Options != nil && s.Options.TLSConfig != nil {
		ln = tls.NewListener(ln, minTLS12(s.Options.TLSConfig))
	}
	return s.Serve(ln)
}

// ServeTLS serves TLS over ln with cfg (TLS 1.2 at least, whatever cfg says).
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	return s.Serve(tls.NewListener(ln, minTLS12(cfg)))
}

// Serve accepts connections on ln until it fails or the server is shut
// down; it always closes ln. Each connection gets its own goroutines; a
// connection that fails its header exchange is dropped without affecting
// the others.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*Conn]struct{}{}
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		_ = ln.Close()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			down := s.shutdown
			s.mu.Unlock()
			if down {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("sockety: accept: %w", err)
		}
		delay = 0
		s.wg.Add(1)
		go s.handle(nc)
	}
}

func (s *Server) handle(nc net.Conn) {
	defer s.wg.Done()
	o := s.Options.withDefaults()
	if s.Handler != nil {
		o.Handler = s.Handler
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if tc, ok := nc.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(context.Background(), o.HeaderTimeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return
		}
	}
	c, err := NewConn(context.Background(), nc, &o, true)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.fail(ErrClosed)
		<-c.readerDone
		<-c.w.dead
		c.handlers.Wait()
		return
	}
	if s.shutdown {
		s.mu.Unlock()
		// Shut down while the header exchange ran (its messages may be
		// in flight already): the same graceful path as Shutdown.
		_ = c.GoAway(context.Background())
		c.handlers.Wait()
		_ = c.Close()
		c.handlers.Wait()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	if s.OnConnect != nil {
		s.OnConnect(c)
	}
	<-c.Done()
	<-c.readerDone
	<-c.w.dead
	c.handlers.Wait()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Conns returns the connections currently served.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Shutdown must not be called from a handler (it waits for handlers).
//
// Shutdown stops accepting, sends Go Away on every connection, waits until
// their handlers returned and their queued writes were flushed (or ctx
// ends), then closes them and waits for their goroutines.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.GoAway(ctx)
	}
	var err error
	for _, c := range conns {
		idle := make(chan struct{})
		go func() {
			c.handlers.Wait()
			close(idle)
		}()
		select {
		case <-idle:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	for _, c := range conns {
		_ = c.Close()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.mu.Lock()
	s.shutdown = true
	s.closed = true
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.fail(ErrClosed)
	}
	s.wg.Wait()
	return nil
}
