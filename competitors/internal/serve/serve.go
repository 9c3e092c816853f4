// Package serve is the accept loop of the adapters' servers that handle
// their connections themselves (raw TCP, HTTP/2): every connection gets a
// goroutine and is tracked, so that Close can close them all and wait until
// every goroutine has returned.
package serve

import (
	"errors"
	"net"
	"sync"
)

// Conns accepts connections on a listener and tracks them.
type Conns struct {
	ln     net.Listener
	handle func(net.Conn)

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start accepts connections on ln until Close, and runs handle for each in
// a goroutine of its own. The connection is closed once handle returns.
func Start(ln net.Listener, handle func(net.Conn)) *Conns {
	s := &Conns{ln: ln, handle: handle, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s
}

// Addr is the listener's address.
func (s *Conns) Addr() net.Addr { return s.ln.Addr() }

func (s *Conns) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Conns) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		_ = c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	s.handle(c)
}

// Close closes the listener and every connection, then waits for the
// accept loop and every handle to return. It returns the listener's close
// error, if any other than net.ErrClosed.
func (s *Conns) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}
