package sockety

import (
	"net"
	"sync"
	"testing"
	"time"
)

// TestClockRegistry: the clock's timer runs at the shortest interval
// registered, goes back to a longer one when the shortest leaves, and
// stops with the last connection; removing twice does nothing.
func TestClockRegistry(t *testing.T) {
	const h = time.Hour // long enough never to fire during the test
	type step struct {
		add, remove int           // index of the connection (-1: none)
		wantPeriod  time.Duration // 0: no timer
		wantConns   int
	}
	every := []time.Duration{3 * h, 2 * h, 2 * h, 5 * h}
	tests := []struct {
		name  string
		steps []step
	}{
		{"shortest wins, then the next shortest", []step{
			{0, -1, 3 * h, 1}, {1, -1, 2 * h, 2}, {3, -1, 2 * h, 3},
			{-1, 1, 3 * h, 2}, {-1, 0, 5 * h, 1}, {-1, 3, 0, 0},
		}},
		{"a shared interval stays while one holds it", []step{
			{1, -1, 2 * h, 1}, {2, -1, 2 * h, 2}, {0, -1, 2 * h, 3},
			{-1, 1, 2 * h, 2}, {-1, 2, 3 * h, 1}, {-1, 0, 0, 0},
		}},
		{"removing twice or an unknown connection does nothing", []step{
			{0, -1, 3 * h, 1}, {-1, 1, 3 * h, 1}, {-1, 0, 0, 0}, {-1, 0, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &clock{periods: make(map[time.Duration]int)}
			conns := make([]*Conn, len(every))
			for i, e := range every {
				conns[i] = &Conn{checkEvery: e, clockAt: -1}
			}
			for i, s := range tt.steps {
				if s.add >= 0 {
					k.add(conns[s.add], time.Now())
				}
				if s.remove >= 0 {
					k.remove(conns[s.remove])
				}
				if (k.timer != nil) != (s.wantPeriod != 0) || k.period != s.wantPeriod || len(k.conns) != s.wantConns {
					t.Fatalf("step %d: timer %v, period %v, %d conns; want period %v, %d conns",
						i, k.timer != nil, k.period, len(k.conns), s.wantPeriod, s.wantConns)
				}
				for j, c := range k.conns {
					if c.clockAt != j {
						t.Fatalf("step %d: conns[%d].clockAt = %d", i, j, c.clockAt)
					}
				}
			}
		})
	}
}

// TestClockRunsDueChecks: a real clock run checks connections whose
// interval elapsed (a write stuck for WriteTimeout gets its deadline in
// the past) and re-arms itself; concurrent adds and removes are safe
// (-race).
func TestClockRunsDueChecks(t *testing.T) {
	k := &clock{periods: make(map[time.Duration]int)}
	nc := &deadlineConn{}
	c := &Conn{checkEvery: 5 * time.Millisecond, clockAt: -1, done: make(chan struct{})}
	c.w = &writer{nc: nc, timeout: 20 * time.Millisecond}
	c.w.flushSeq.Store(1) // a flush that never ends
	c.ticks.lastCheckAt = time.Now()
	k.add(c, time.Now())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				o := &Conn{checkEvery: time.Duration(g+i+1) * time.Hour, clockAt: -1}
				k.add(o, time.Now())
				k.remove(o)
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for !nc.expired() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !nc.expired() {
		t.Fatal("a flush stuck beyond WriteTimeout did not get a past deadline")
	}
	k.remove(c)
	if k.timer != nil || len(k.conns) != 0 {
		t.Fatalf("clock still armed: %v, %d conns", k.timer != nil, len(k.conns))
	}
}

// TestWriterExpire: the past deadline reaches the stuck flush and never
// stays on the next one, whichever side sees the change first.
func TestWriterExpire(t *testing.T) {
	tests := []struct {
		name string
		// seqAtExpire is flushSeq when expire runs (the clock saw 1).
		seqAtExpire   uint64
		nextFlush     bool // a flush starts after expire
		wantDeadlines []bool
	}{
		{"stuck flush", 1, false, []bool{true}},
		{"stuck flush, then a new one clears", 1, true, []bool{true, false}},
		{"finished before expire", 2, false, []bool{true, false}},
		{"a new flush started before expire", 3, false, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := &deadlineConn{}
			w := &writer{nc: nc, timeout: time.Second}
			w.flushSeq.Store(tt.seqAtExpire)
			w.expire(1)
			if tt.nextFlush {
				if err := w.flush([]byte{1}, nil); err != nil {
					t.Fatal(err)
				}
			}
			if len(nc.set) != len(tt.wantDeadlines) {
				t.Fatalf("deadlines set %v, want past=%v", nc.set, tt.wantDeadlines)
			}
			for i, past := range tt.wantDeadlines {
				if got := !nc.set[i].IsZero(); got != past {
					t.Fatalf("deadline %d: %v, want past=%v", i, nc.set[i], past)
				}
			}
		})
	}
}

// deadlineConn records write deadlines; writes succeed.
type deadlineConn struct {
	net.Conn
	mu  sync.Mutex
	set []time.Time
}

func (d *deadlineConn) SetWriteDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set = append(d.set, t)
	return nil
}

func (d *deadlineConn) Write(p []byte) (int, error) { return len(p), nil }

func (d *deadlineConn) expired() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.set) > 0 && !d.set[len(d.set)-1].IsZero()
}
