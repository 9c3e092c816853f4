package sockety

import (
	"sync"
	"time"
)

// The periodic checks of every connection in the process (heartbeat, idle
// timeout, write timeout) run from one timer, the clock, instead of a
// timer per connection and a write deadline renewed before every batch.
//
// Why: Go keeps timers in per-P heaps, and a scheduler whose heap is not
// empty reads the clock at every goroutine switch. A connection's timers
// are almost never due, but their mere presence on both P's cost the fast
// round trip benchmark 3-4% of its CPU on a VM whose clock reads are slow
// (perf: __vdso_clock_gettime under runtime.(*timers).check), and the
// deadline renewal moved a timer in the heap on every write. One timer for
// all connections sits on one P's heap, and only while connections that
// need it are open.

// clock runs the checks of the registered connections, each at its own
// interval (Conn.checkEvery), from one timer that fires at the shortest
// interval registered.
type clock struct {
	mu      sync.Mutex
	conns   []*Conn               // registered; Conn.clockAt is the index
	periods map[time.Duration]int // registered connections per interval
	period  time.Duration         // the timer's interval: the shortest registered
	timer   *time.Timer           // nil while no connection is registered
	running []*Conn               // reused by run
	inRun   bool                  // a run is checking connections
}

// theClock serves every connection of the process.
var theClock = &clock{periods: make(map[time.Duration]int)}

// add registers c, which has c.checkEvery > 0.
func (k *clock) add(c *Conn, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c.clockAt = len(k.conns)
	c.ticks.next = now.Add(c.checkEvery)
	k.conns = append(k.conns, c)
	k.periods[c.checkEvery]++
	switch {
	case k.timer == nil:
		k.period = c.checkEvery
		k.timer = time.AfterFunc(k.period, k.run)
	case c.checkEvery < k.period:
		k.period = c.checkEvery
		k.timer.Reset(k.period)
	}
}

// remove unregisters c (once: later calls do nothing). The timer stops
// with the last connection.
func (k *clock) remove(c *Conn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := c.clockAt
	if i < 0 || i >= len(k.conns) || k.conns[i] != c {
		return
	}
	last := len(k.conns) - 1
	k.conns[i] = k.conns[last]
	k.conns[i].clockAt = i
	k.conns[last] = nil
	k.conns = k.conns[:last]
	c.clockAt = -1
	if k.periods[c.checkEvery]--; k.periods[c.checkEvery] == 0 {
		delete(k.periods, c.checkEvery)
	}
	if len(k.conns) == 0 {
		k.timer.Stop()
		k.timer = nil
		k.period = 0
		return
	}
	if c.checkEvery == k.period && k.periods[c.checkEvery] == 0 {
		// The shortest interval left; the timer picks it up when it
		// next fires.
		k.period = 0
		for p := range k.periods {
			if k.period == 0 || p < k.period {
				k.period = p
			}
		}
	}
}

// run is the timer's function: it checks the connections that are due
// and re-arms the timer. The checks run outside the lock (a check may end
// its connection, which unregisters it).
func (k *clock) run() {
	now := time.Now()
	k.mu.Lock()
	if k.inRun {
		// add re-armed the timer while a run was checking: that run
		// re-arms it again when done.
		k.mu.Unlock()
		return
	}
	k.inRun = true
	due := k.running[:0]
	for _, c := range k.conns {
		if !now.Before(c.ticks.next) {
			c.ticks.next = now.Add(c.checkEvery)
			due = append(due, c)
		}
	}
	k.mu.Unlock()
	for _, c := range due {
		c.check(now)
	}
	clear(due)
	k.mu.Lock()
	k.running = due[:0]
	k.inRun = false
	if k.timer != nil {
		k.timer.Reset(k.period)
	}
	k.mu.Unlock()
}
