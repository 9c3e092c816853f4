package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
)

// epoch anchors the monotonic clock of this process.
var epoch = time.Now()

// nowNs returns monotonic nanoseconds since the process's epoch. time.Since
// on a monotonic time reads only the runtime's monotonic clock.
func nowNs() int64 { return int64(time.Since(epoch)) }

// DriverConfig says how a driver generates load.
type DriverConfig struct {
	// Concurrency is the number of operations in flight (goroutines).
	Concurrency int
	// Rate, when positive, is the target operations per second of this
	// driver (constant-rate mode); latency is then measured from each
	// operation's intended send time. Zero means closed loop.
	Rate float64
	// OpTimeout bounds one operation: past it the operation's context is
	// cancelled and the operation counts as failed (if it then returns).
	OpTimeout time.Duration
}

// ErrOpTimeout is recorded when an operation outlived DriverConfig.OpTimeout.
var ErrOpTimeout = errors.New("operation timed out")

// Driver runs one Op from Concurrency goroutines and records every result.
type Driver struct {
	cfg     DriverConfig
	op      competitors.Op
	rec     *Recorder
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	slots   []slot
	running atomic.Int64 // goroutines still inside their loop
	halted  atomic.Bool  // set by Drain/Stop; cheaper to poll than ctx.Err()
	next    atomic.Int64 // constant rate: next ticket
	startNs int64        // constant rate: intended time of ticket 0

	draining chan struct{} // closed by Halt: wakes goroutines waiting for a ticket
	haltOnce sync.Once
	stopOnce sync.Once
	drained  DrainStats // set once by Drain
}

// DrainStats is what Drain found at the window's end.
type DrainStats struct {
	// Unfinished operations were still running after the wait (cancelled).
	Unfinished int
	// Abandoned operations did not return grace after being cancelled.
	Abandoned int
	// LastOK and LastFailed count the goroutines whose last operation (the
	// one in flight at the window's end, else the one before) succeeded or
	// failed; a goroutine that never ran one counts in neither.
	LastOK, LastFailed int
}

// slot is the watchdog's view of one driver goroutine.
type slot struct {
	startedNs atomic.Int64 // start of the current operation, 0 when idle
	last      atomic.Int32 // result of the last operation: lastOK or lastFailed
	timedOut  atomic.Bool
	mu        sync.Mutex
	cancel    context.CancelFunc
	_         [40]byte
}

// Values of slot.last.
const (
	lastOK     = 1
	lastFailed = 2
)

// StartDriver starts the load. Stop ends it.
func StartDriver(parent context.Context, op competitors.Op, rec *Recorder, cfg DriverConfig) *Driver {
	cfg.Concurrency = max(cfg.Concurrency, 1)
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = time.Duration(HistHighestNs)
	}
	ctx, cancel := context.WithCancel(parent)
	d := &Driver{cfg: cfg, op: op, rec: rec, cancel: cancel, slots: make([]slot, cfg.Concurrency), draining: make(chan struct{})}
	d.startNs = nowNs()
	d.running.Store(int64(cfg.Concurrency))
	for i := 0; i < cfg.Concurrency; i++ {
		d.wg.Add(1)
		go d.loop(ctx, i)
	}
	go d.watchdog(ctx)
	return d
}

func (d *Driver) loop(run context.Context, i int) {
	defer d.wg.Done()
	defer d.running.Add(-1)
	sl := &d.slots[i]
	sh := d.rec.Shard(i)
	opCtx, cancel := context.WithCancel(run)
	sl.mu.Lock()
	sl.cancel = cancel
	sl.mu.Unlock()
	defer func() {
		sl.mu.Lock()
		sl.cancel()
		sl.mu.Unlock()
	}()

	var timer *time.Timer
	var interval float64
	if d.cfg.Rate > 0 {
		interval = float64(time.Second) / d.cfg.Rate
		timer = time.NewTimer(time.Hour)
		timer.Stop()
	}
	// In closed loop an operation starts when the previous one ended: one
	// clock read per operation (the bookkeeping in between, ~20 ns, is
	// charged to the next operation).
	end := nowNs()
	for !d.halted.Load() {
		var start int64
		if timer != nil {
			k := d.next.Add(1) - 1
			start = d.startNs + int64(float64(k)*interval)
			if wait := start - nowNs(); wait > 0 {
				timer.Reset(time.Duration(wait))
				select {
				case <-run.Done():
					timer.Stop()
					return
				case <-d.draining:
					timer.Stop()
					return
				case <-timer.C:
				}
			}
			sl.startedNs.Store(nowNs())
		} else {
			start = end
			sl.startedNs.Store(start)
		}
		err := d.op(opCtx)
		end = nowNs()
		sl.startedNs.Store(0)
		halted := d.halted.Load()
		if halted && run.Err() != nil {
			// Cancelled by Stop (or Drain past its wait): counted as
			// unfinished or abandoned, not as a result.
			return
		}
		// An operation that ends after Drain began belongs to no window: it
		// lands in the recorder's interval after the window's end, which
		// the worker reports as the drain's figures.
		timedOut := sl.timedOut.Load()
		if timedOut {
			if err == nil {
				err = ErrOpTimeout
			} else {
				err = fmt.Errorf("%w: %w", ErrOpTimeout, err)
			}
		}
		if err != nil {
			sl.last.Store(lastFailed)
			sh.Fail()
			d.rec.NoteError(err)
		} else {
			sl.last.Store(lastOK)
			sh.Record(end - start)
		}
		if halted {
			return
		}
		if timedOut || (err != nil && opCtx.Err() != nil) {
			// The watchdog cancelled this operation: start a fresh context.
			sl.timedOut.Store(false)
			cancel()
			opCtx, cancel = context.WithCancel(run)
			sl.mu.Lock()
			sl.cancel = cancel
			sl.mu.Unlock()
		}
	}
}

// watchdog cancels operations that outlive OpTimeout.
func (d *Driver) watchdog(ctx context.Context) {
	tick := min(d.cfg.OpTimeout/4, 250*time.Millisecond)
	tick = max(tick, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	limit := int64(d.cfg.OpTimeout)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := nowNs()
		for i := range d.slots {
			sl := &d.slots[i]
			if s := sl.startedNs.Load(); s != 0 && now-s > limit && !sl.timedOut.Load() {
				sl.timedOut.Store(true)
				sl.mu.Lock()
				if sl.cancel != nil {
					sl.cancel()
				}
				sl.mu.Unlock()
			}
		}
	}
}

// Stop cancels the load and waits up to grace for the goroutines to return.
// It returns how many operations were still running after grace (abandoned:
// an adapter ignored its context); their goroutines are left behind, which is
// harmless because a worker process exits right after. After Drain, Stop
// returns Drain's abandoned count at once.
func (d *Driver) Stop(grace time.Duration) (abandoned int) {
	return d.Drain(0, grace).Abandoned
}

// Halt starts no more operations; those in flight go on. Drain and Stop
// halt too.
func (d *Driver) Halt() {
	d.haltOnce.Do(func() {
		d.halted.Store(true)
		close(d.draining)
	})
}

// Drain ends the load at the window's end: no operation starts any more,
// and the ones in flight get up to wait to end by themselves (successes and
// failures land in the recorder's current interval; the watchdog still
// cancels those past OpTimeout). Operations still running after wait are
// unfinished: they are cancelled, and those still running grace later are
// abandoned. Only the first call of Drain or Stop acts; later calls return
// its figures.
func (d *Driver) Drain(wait, grace time.Duration) DrainStats {
	d.stopOnce.Do(func() {
		d.Halt()
		done := make(chan struct{})
		go func() { d.wg.Wait(); close(done) }()
		finished := false
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-done:
				finished = true
			case <-t.C:
			}
			t.Stop()
		}
		if wait > 0 {
			for i := range d.slots {
				sl := &d.slots[i]
				switch {
				case !finished && sl.startedNs.Load() != 0:
					d.drained.Unfinished++
				case sl.last.Load() == lastOK:
					d.drained.LastOK++
				case sl.last.Load() == lastFailed:
					d.drained.LastFailed++
				}
			}
		}
		d.cancel()
		if finished {
			return
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			d.drained.Abandoned = int(d.running.Load())
		}
	})
	return d.drained
}
