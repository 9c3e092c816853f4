package sockety

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one Sockety connection, the same type on the client and the
// server side once the connection headers were exchanged. Both sides can
// send messages (Pass, Send, Call, Start) and answer the messages they
// receive (through their Handler).
//
// A Conn runs two goroutines: a read loop that decodes packets and hands
// messages to the Handler and replies to their waiters, and a writer that
// coalesces the packets of all senders into few system calls. All methods
// are safe for concurrent use.
type Conn struct {
	nc       net.Conn
	opts     Options
	w        *writer
	ws       *waiters
	handler  Handler
	inline   InlineHandler // handler, when it is one
	isServer bool

	peerChannels int
	ready        chan struct{} // closed once the peer's header arrived
	done         chan struct{} // closed when the connection ended
	readerDone   chan struct{}
	closeOnce    sync.Once
	errMu        sync.Mutex
	err          error

	goingAway     atomic.Bool // we announced Go Away
	peerGoingAway atomic.Bool // the peer announced Go Away
	buf           budget
	reads         atomic.Uint64
	handlers      sync.WaitGroup
	inflight      atomic.Int64

	// checkEvery is the interval of the connection's periodic checks
	// (heartbeat, idle and write timeouts) run by theClock; 0 when none
	// is enabled. clockAt is its index in the clock (-1: not registered).
	checkEvery   time.Duration
	clockAt      int
	ticks        tickState // owned by theClock (its lock, and check)
	inlineActive atomic.Bool
}

func newConn(nc net.Conn, o Options, isServer bool) *Conn {
	c := &Conn{
		nc:         nc,
		opts:       o,
		ws:         newWaiters(),
		handler:    o.Handler,
		isServer:   isServer,
		ready:      make(chan struct{}),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
	}
	c.inline, _ = o.Handler.(InlineHandler)
	c.buf.limit = int64(o.MaxBufferedBytes)
	setNotSentLowat(nc, o.NotSentLowat)
	c.w = newWriter(nc, o.WriteQueueBytes)
	c.w.timeout = o.WriteTimeout
	c.w.buf = appendConnHeader(c.w.buf, o.Channels)
	c.w.kicked = true
	c.w.wake <- struct{}{}
	c.clockAt = -1
	if c.checkEvery = c.checkInterval(); c.checkEvery > 0 {
		now := time.Now()
		c.ticks.lastCheckAt = now
		theClock.add(c, now)
	}
	go func() {
		if err := c.w.loop(); err != nil {
			c.fail(err)
		}
	}()
	go c.readLoop()
	return c
}

// checkInterval is how often the connection's checks run: half the
// heartbeat interval, a quarter of the idle timeout and of the write
// timeout, whichever is shortest (0: none is enabled). A timeout is thus
// noticed between its duration and a quarter more.
func (c *Conn) checkInterval() time.Duration {
	iv := time.Duration(0)
	shorter := func(d time.Duration) {
		if d > 0 && (iv == 0 || d < iv) {
			iv = d
		}
	}
	shorter(c.opts.HeartbeatInterval / 2)
	shorter(c.opts.IdleTimeout / 4)
	shorter(c.w.timeout / 4)
	return iv
}

// tickState is what the checks keep between runs.
type tickState struct {
	next        time.Time // when the clock runs the checks next (under its lock)
	lastCheckAt time.Time
	lastReads   uint64
	idleFor     time.Duration // nothing read
	quietFor    time.Duration // nothing written
	flushSeq    uint64        // the writer's flush seen in progress at the last check
	stuckFor    time.Duration // ... and for how long
}

// check runs from theClock every checkEvery: it sends a heartbeat when
// nothing was written for HeartbeatInterval, ends the connection when
// nothing was read for IdleTimeout, and makes the writer's system call
// fail when one batch made no progress for WriteTimeout.
func (c *Conn) check(now time.Time) {
	select {
	case <-c.done:
		return
	default:
	}
	ts := &c.ticks
	elapsed := now.Sub(ts.lastCheckAt)
	ts.lastCheckAt = now
	if c.w.timeout > 0 {
		if seq := c.w.flushSeq.Load(); seq&1 == 0 || seq != ts.flushSeq {
			ts.flushSeq, ts.stuckFor = seq, 0
		} else if ts.stuckFor += elapsed; ts.stuckFor >= c.w.timeout {
			// The same batch is still being written: a deadline in
			// the past makes its blocked write fail with a timeout.
			c.w.expire(seq)
		}
	}
	if c.opts.IdleTimeout > 0 {
		if r := c.reads.Load(); r != ts.lastReads || c.buf.waiting.Load() {
			ts.lastReads = r
			ts.idleFor = 0
		} else if ts.idleFor += elapsed; ts.idleFor >= c.opts.IdleTimeout {
			go c.fail(ErrIdleTimeout)
			return
		}
	}
	if c.opts.HeartbeatInterval > 0 {
		if c.w.wrote.Swap(false) {
			ts.quietFor = 0
		} else if ts.quietFor += elapsed; ts.quietFor >= c.opts.HeartbeatInterval {
			ts.quietFor = 0
			c.queueHeartbeat()
		}
	}
}

func (c *Conn) queueHeartbeat() {
	w := c.w
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return
	}
	w.buf = append(w.buf, pktHeartbeat)
	w.unlock()
}

// Heartbeat queues a Heartbeat packet now.
func (c *Conn) Heartbeat(ctx context.Context) error {
	if err := c.w.lock(ctx, 1); err != nil {
		return err
	}
	c.w.buf = append(c.w.buf, pktHeartbeat)
	c.w.unlock()
	return nil
}

// waitReady waits for the peer's connection header.
func (c *Conn) waitReady(ctx context.Context) error {
	select {
	case <-c.ready:
		return nil
	case <-c.done:
		return c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail ends the connection with err (the first error wins).
func (c *Conn) fail(err error) {
	c.closeOnce.Do(func() {
		c.errMu.Lock()
		c.err = err
		c.errMu.Unlock()
		c.w.stop(err)
		_ = c.nc.Close()
		close(c.done)
		if c.checkEvery > 0 {
			theClock.remove(c)
		}
		c.ws.wakeAll(err)
		if c.opts.OnError != nil && !errors.Is(err, ErrClosed) {
			go c.opts.OnError(c, err)
		}
	})
}

// Err is the error that ended the connection, nil while it is open. A
// protocol violation by the peer is a *ProtocolError; a local Close is
// ErrClosed; the peer closing is ErrPeerClosed.
func (c *Conn) Err() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close flushes what is queued (for at most a second) and closes the
// connection; operations in progress fail with ErrClosed. It waits for
// the connection's goroutines (not for handlers still running; called from
// an inline handler it does not wait for the read loop running it).
func (c *Conn) Close() error {
	c.w.shutdown()
	select {
	case <-c.w.dead:
	case <-time.After(time.Second):
	case <-c.done:
	}
	c.fail(ErrClosed)
	if c.inlineActive.Load() {
		// Probably called by an inline handler, on the read loop itself:
		// it ends as soon as the handler returns.
		return nil
	}
	<-c.readerDone
	<-c.w.dead
	return nil
}

// GoAway tells the peer that this side will disconnect soon: the peer
// should start no new messages. New messages from this side fail with
// ErrGoingAway; replies and transfers in progress go on.
func (c *Conn) GoAway(ctx context.Context) error {
	c.goingAway.Store(true)
	if err := c.w.lock(ctx, 1); err != nil {
		return err
	}
	c.w.buf = append(c.w.buf, pktGoAway)
	c.w.unlock()
	return nil
}

// PeerGoingAway reports whether the peer sent Go Away.
func (c *Conn) PeerGoingAway() bool { return c.peerGoingAway.Load() }

// PeerChannels is the channel count the peer announced.
func (c *Conn) PeerChannels() int { return c.peerChannels }

// LocalAddr is the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// RemoteAddr is the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Writes is the number of write system calls (Write or writev) made so far;
// with the messages sent it gives the coalescing ratio.
func (c *Conn) Writes() uint64 { return c.w.writes.Load() }

// Pass sends a message that expects no response. It returns once the
// message is queued (payloads from memory up to Options.ChunkSize are
// copied) or, for larger payloads, once they are written; the stream of
// o.StreamReader is copied and ended before it returns. A message with
// o.Stream needs Start to get its writer.
func (c *Conn) Pass(ctx context.Context, o *Outgoing) error {
	if o.Stream {
		req, _, err := c.send(ctx, o, false, UUID{}, nil, true)
		if err == nil && req.stream != nil {
			return req.stream.Close()
		}
		return err
	}
	_, _, err := c.send(ctx, o, false, UUID{}, nil, false)
	return err
}

// Send sends a message that expects a response and returns its Request:
// call Response to get the reply. It returns when the message (but not its
// stream) is sent as Pass describes.
func (c *Conn) Send(ctx context.Context, o *Outgoing) (*Request, error) {
	req, _, err := c.send(ctx, o, false, UUID{}, newWaiter(false), true)
	return req, err
}

// SendMulti is Send for a message that may get several replies: the
// Request keeps listening until Close.
func (c *Conn) SendMulti(ctx context.Context, o *Outgoing) (*Request, error) {
	req, _, err := c.send(ctx, o, false, UUID{}, newWaiter(true), true)
	return req, err
}

// Start sends a message with or without expecting a response and returns
// its Request in both cases (for its stream writer).
func (c *Conn) Start(ctx context.Context, o *Outgoing, expectResponse bool) (*Request, error) {
	var wt *waiter
	if expectResponse {
		wt = newWaiter(false)
	}
	req, _, err := c.send(ctx, o, false, UUID{}, wt, true)
	return req, err
}

// Call sends a message (without stream) and waits for its first reply.
// It is the allocation-free round trip: nothing escapes but a full
// Response, when that is the reply.
func (c *Conn) Call(ctx context.Context, o *Outgoing) (Reply, error) {
	if o.hasStream() && o.StreamReader == nil {
		return Reply{}, ErrInvalid
	}
	wt := waiterPool.Get().(*waiter)
	_, id, err := c.send(ctx, o, false, UUID{}, wt, false)
	if err != nil {
		return Reply{}, err // send abandoned wt
	}
	r, err := wt.wait(ctx, c.done, c.Err)
	if err != nil {
		wt.abandon(c.ws, id, err)
		return Reply{}, err
	}
	// The read loop unregistered wt when it delivered the reply and does
	// not look at it again: wt can serve the next call. A wake-up token
	// may still be in wt.sig (when the reply was there before wait
	// looked, or is about to be, since deliver stores the reply before
	// it pokes): the next wait then loops once more, so it is not
	// drained here (that cost every call a channel operation).
	waiterPool.Put(wt)
	return r, nil
}

// CallFunc sends a message that expects a reply, like Call, but does not
// wait for it: done is called exactly once, with the reply (a fast reply
// or the first full Response) or with the error that ended the call - the
// message could not be sent (then possibly before CallFunc returns), or
// the connection ended first. It returns as soon as the message is queued,
// so one goroutine can keep many calls in flight, as a Node.js program
// does, without a goroutine parked per call.
//
// done runs on the connection's read loop and must not block: a call
// started from done returns once its message is queued (which waits only
// while the write queue is full), but reading a Response's payload there
// would wait for the very loop that delivers it: hand such a Response to
// another goroutine (Response.Discard does not block). Messages with a
// stream need Send. There is no context for the wait: a call ends with its
// reply or with the connection.
func (c *Conn) CallFunc(ctx context.Context, o *Outgoing, done func(Reply, error)) {
	if o.hasStream() {
		done(Reply{}, fmt.Errorf("%w: CallFunc cannot send a stream (use Send)", ErrInvalid))
		return
	}
	wt := waiterPool.Get().(*waiter)
	wt.async, wt.fn = true, done
	wt.refs.Store(2) // the sender (below) and whoever delivers
	_, id, err := c.send(ctx, o, false, UUID{}, wt, false)
	if err != nil && id.IsZero() {
		// Refused before it was registered: nobody else knows wt.
		wt.refs.Store(1)
		wt.finish(Reply{}, err)
		return
	}
	// Registered: an error was reported by whoever unregistered it
	// (send's abandon, or the read loop with a reply that came anyway).
	wt.release()
}

// fastReply queues a Fast Reply packet.
func (c *Conn) fastReply(ctx context.Context, id UUID, code Code) error {
	if code > MaxCode {
		return ErrInvalid
	}
	if err := c.w.lock(ctx, 18); err != nil {
		return err
	}
	c.w.buf = appendFastReply(c.w.buf, id, code)
	c.w.unlock()
	return nil
}
