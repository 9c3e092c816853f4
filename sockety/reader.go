package sockety

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// readLoop is the connection's reader goroutine: it reads into one buffer
// (Options.ReadBufferSize), feeds the codec and acts on its events. Small
// complete messages are handled right here when the handler allows it;
// payload bytes go to the pipes of their messages, lent from the read
// buffer when it can be spared (see readBufs) or else copied, and a full
// pipe blocks this loop (backpressure, see Options.MaxBufferedBytes).
func (c *Conn) readLoop() {
	defer close(c.readerDone)
	rs := &readState{c: c, actions: make(map[string]string)}
	r := wire.NewReader(wire.ReaderOptions{
		MaxChannels:   c.opts.Channels,
		MaxActionSize: c.opts.MaxActionLength,
		MaxFiles:      c.opts.MaxFiles,
	})
	bufs := newReadBufs(c.opts.ReadBufferSize, c.opts.MaxBufferedBytes/2)
	_ = c.nc.SetReadDeadline(time.Now().Add(c.opts.HeaderTimeout))
	headerSeen := false
	guard := newRateGuard(&c.opts)
	var err error
	full := 0
loop:
	for {
		buf, rb := bufs.next()
		rs.lend = rb
		guard.beforeRead(c.nc)
		n, rerr := c.nc.Read(buf)
		c.reads.Add(1)
		if err = guard.afterRead(n); err != nil {
			break
		}
		p := buf[:n]
		// A read that fills the buffer means more is waiting: after a few
		// in a row, read in larger pieces (up to 4x), which halves the
		// system calls of bulk transfers. Payload pieces lent to pipes keep
		// their buffer alive until read (see readBufs).
		grow := false
		if n == len(buf) {
			if full++; full >= 4 && len(buf) < 4*c.opts.ReadBufferSize {
				grow = true
				full = 0
			}
		} else {
			full = 0
		}
		for len(p) > 0 {
			k, ev, perr := r.Next(p)
			p = p[k:]
			if perr != nil {
				err = &ProtocolError{Err: perr}
				break loop
			}
			if ev == nil {
				if k == 0 {
					// Defensive: a codec that neither consumes nor
					// reports would spin forever.
					err = &ProtocolError{Err: errors.New("codec made no progress")}
					break loop
				}
				continue
			}
			if ev.Kind == wire.KindConnHeader {
				headerSeen = true
				c.onHeader(ev.Channels)
				continue
			}
			if err = rs.event(ev); err != nil {
				break loop
			}
		}
		if grow {
			bufs.grow()
		}
		if rerr != nil && guard.expired(rerr) {
			rerr = nil // a rate window ended: the peer kept up
		}
		if headerSeen {
			guard.update(c.nc, r.Owed())
		}
		if rerr != nil {
			switch {
			case errors.Is(rerr, io.EOF):
				if ferr := r.Finish(); ferr != nil {
					err = &ProtocolError{Err: fmt.Errorf("connection closed mid-packet: %w", ferr)}
				} else if rs.busy() {
					err = fmt.Errorf("%w with a message in progress", ErrPeerClosed)
				} else {
					err = ErrPeerClosed
				}
			case !headerSeen && isTimeout(rerr):
				err = ErrHeaderTimeout
			default:
				err = fmt.Errorf("sockety: read: %w", rerr)
			}
			break
		}
	}
	if err == ErrPeerClosed && headerSeen {
		// A clean end of input between messages may be a half-close: the
		// peer may still read. Let the handlers in flight answer and the
		// queue drain (bounded by HeaderTimeout), then close.
		c.peerGoingAway.Store(true)
		rs.shutdown(err)
		go c.closeAfterHandlers(err)
		return
	}
	c.fail(err)
	rs.shutdown(c.Err())
}

// closeAfterHandlers ends a connection whose peer stopped sending once the
// handlers running returned and what they queued was written, waiting at
// most Options.HeaderTimeout for that.
func (c *Conn) closeAfterHandlers(err error) {
	idle := make(chan struct{})
	go func() {
		c.handlers.Wait()
		close(idle)
	}()
	t := time.NewTimer(c.opts.HeaderTimeout)
	defer t.Stop()
	select {
	case <-idle:
		c.w.shutdown()
		select {
		case <-c.w.dead:
		case <-t.C:
		case <-c.done:
		}
	case <-t.C:
	case <-c.done:
	}
	c.fail(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *Conn) onHeader(channels int) {
	_ = c.nc.SetReadDeadline(time.Time{})
	c.peerChannels = channels
	c.w.mu.Lock()
	c.w.maxCh = min(channels, c.opts.Channels)
	c.w.mu.Unlock()
	close(c.ready)
}

// busy reports whether a message or response is in progress.
func (rs *readState) busy() bool {
	for _, st := range rs.chans {
		if st != nil {
			return true
		}
	}
	return false
}

// event acts on one codec event.
func (rs *readState) event(ev *wire.Event) error {
	ch := ev.Channel
	var err error
	switch ev.Kind {
	case wire.KindMessage, wire.KindResponse:
		if ev.Complete && len(ev.Files) == 0 && rs.chans[ch] == nil &&
			rs.metaBytes+int64(len(ev.Action)) <= int64(rs.c.opts.MaxBufferedBytes) {
			// Nothing but the start packet (ping, fast, an empty
			// response): no channel state to keep.
			rs.startEmpty(ev)
			return nil
		}
		si := startInfo{
			response: ev.Kind == wire.KindResponse,
			id:       UUID(ev.ID),
			parent:   UUID(ev.ParentID),
			action:   ev.Action,
			dataSize: int64(ev.DataSize),
			stream:   ev.HasStream,
			expect:   ev.Expects,
		}
		if len(ev.Files) > 0 {
			files := rs.fileBuf[:0]
			for _, f := range ev.Files {
				files = append(files, fileInfo{name: string(f.Name), size: int64(f.Size)})
			}
			rs.fileBuf = files
			si.files = files
		}
		err = rs.start(ch, &si)
	case wire.KindData:
		err = rs.data(ch, ev.Payload)
	case wire.KindFile:
		err = rs.file(ch, ev.Index, ev.Payload)
	case wire.KindFileEnd:
		err = rs.fileEnd(ch, ev.Index)
	case wire.KindStream:
		err = rs.stream(ch, ev.Payload)
	case wire.KindStreamEnd:
		err = rs.streamEnd(ch)
	case wire.KindAbort:
		rs.abort(ch)
	case wire.KindFastReply:
		rs.fastReply(UUID(ev.ID), Code(ev.Code))
	case wire.KindGoAway:
		rs.c.peerGoingAway.Store(true)
	case wire.KindHeartbeat:
		if f := rs.c.opts.OnHeartbeat; f != nil {
			f(rs.c)
		}
	case wire.KindSwitchChannel, wire.KindContinue:
	}
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return err
		}
		return &ProtocolError{Err: err}
	}
	if ev.Complete {
		rs.complete(ch)
	}
	return nil
}
