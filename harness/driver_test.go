package harness

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDriverClosedLoopCountsEverything(t *testing.T) {
	var calls atomic.Int64
	op := func(ctx context.Context) error {
		if calls.Add(1)%10 == 0 {
			return errors.New("every tenth fails")
		}
		return nil
	}
	r := NewRecorder(2)
	d := StartDriver(context.Background(), op, r, DriverConfig{Concurrency: 4})
	time.Sleep(50 * time.Millisecond)
	if ab := d.Stop(time.Second); ab != 0 {
		t.Fatalf("abandoned %d", ab)
	}
	iv := r.Swap()
	n := calls.Load()
	// Operations in flight when Stop came are not accounted (at most one per goroutine).
	if got := iv.Count + iv.Errors; got < n-4 || got > n {
		t.Fatalf("accounted %d of %d calls", got, n)
	}
	if iv.Errors == 0 || len(iv.ErrorLogs) != 1 || iv.ErrorLogs[0].Count != iv.Errors {
		t.Fatalf("errors %d samples %v", iv.Errors, iv.ErrorLogs)
	}
}

func TestDriverOpTimeout(t *testing.T) {
	op := func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}
	r := NewRecorder(1)
	d := StartDriver(context.Background(), op, r, DriverConfig{Concurrency: 2, OpTimeout: 20 * time.Millisecond})
	var errs, count int64
	var samples []ErrorSample
	for deadline := time.Now().Add(10 * time.Second); errs < 3 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		iv := r.Swap()
		errs, count = errs+iv.Errors, count+iv.Count
		samples = MergeErrorSamples(samples, iv.ErrorLogs)
	}
	d.Stop(time.Second)
	if errs < 3 || count != 0 {
		t.Fatalf("count %d errors %d: timed-out operations not counted as errors", count, errs)
	}
	if len(samples) == 0 || !strings.Contains(samples[0].Message, ErrOpTimeout.Error()) {
		t.Fatalf("samples %v", samples)
	}
}

func TestDriverStopAbandonsStuckOps(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	op := func(ctx context.Context) error { <-block; return nil } // ignores ctx
	d := StartDriver(context.Background(), op, NewRecorder(1), DriverConfig{Concurrency: 3})
	time.Sleep(10 * time.Millisecond)
	start := time.Now()
	if ab := d.Stop(50 * time.Millisecond); ab != 3 {
		t.Fatalf("abandoned %d, want 3", ab)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatal("Stop did not respect its grace")
	}
}

// TestDriverConstantRate checks that latency is measured from the intended
// send time: with a single goroutine and operations slower than the
// interval, queueing shows up in the latency (coordinated omission).
func TestDriverConstantRate(t *testing.T) {
	op := func(ctx context.Context) error { time.Sleep(2 * time.Millisecond); return nil }
	r := NewRecorder(1)
	d := StartDriver(context.Background(), op, r, DriverConfig{Concurrency: 1, Rate: 1000}) // 1 ms interval
	time.Sleep(300 * time.Millisecond)
	d.Stop(time.Second)
	iv := r.Swap()
	if iv.Count == 0 {
		t.Fatal("no operations")
	}
	// Service time is ~2 ms; the k-th operation waits ~k ms behind schedule.
	if iv.MaxNs < int64(50*time.Millisecond) {
		t.Fatalf("max latency %v: queueing behind the schedule is not measured", time.Duration(iv.MaxNs))
	}
	// A rate well under capacity keeps latency near the service time.
	r2 := NewRecorder(1)
	fast := func(ctx context.Context) error { return nil }
	// Pacing: however the machine stalls, the driver never runs ahead of its
	// schedule (at most Concurrency early tickets), and it keeps going.
	start := time.Now()
	d2 := StartDriver(context.Background(), fast, r2, DriverConfig{Concurrency: 4, Rate: 200})
	var n int64
	for deadline := time.Now().Add(10 * time.Second); n < 40 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		n += r2.Swap().Count
	}
	d2.Stop(time.Second)
	n += r2.Swap().Count
	elapsed := time.Since(start)
	if n < 40 {
		t.Fatalf("only %d operations in %v at 200/s", n, elapsed)
	}
	if limit := 200*elapsed.Seconds() + 4 + 1; float64(n) > limit {
		t.Fatalf("%d operations in %v at 200/s: ahead of the schedule (limit %.0f)", n, elapsed, limit)
	}
}

// TestDriverDrain: at the window's end the operations in flight end by
// themselves and are recorded (the interval after the window); those still
// running after the wait are unfinished, cancelled and not recorded; a
// constant-rate driver waiting for its next ticket stops at once.
func TestDriverDrain(t *testing.T) {
	t.Run("in flight ops end", func(t *testing.T) {
		release := make(chan struct{})
		var started atomic.Int64
		op := func(ctx context.Context) error {
			started.Add(1)
			<-release
			return nil
		}
		r := NewRecorder(1)
		d := StartDriver(context.Background(), op, r, DriverConfig{Concurrency: 3})
		for deadline := time.Now().Add(10 * time.Second); started.Load() < 3 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		r.Swap() // the window's end
		time.AfterFunc(50*time.Millisecond, func() { close(release) })
		ds := d.Drain(time.Minute, time.Second)
		iv := r.Swap()
		if ds != (DrainStats{LastOK: 3}) || iv.Count != 3 || iv.Errors != 0 || started.Load() != 3 {
			t.Fatalf("drain %+v, drained count %d errors %d, started %d", ds, iv.Count, iv.Errors, started.Load())
		}
	})
	t.Run("stuck ops are unfinished", func(t *testing.T) {
		var started atomic.Int64
		op := func(ctx context.Context) error { started.Add(1); <-ctx.Done(); return ctx.Err() }
		r := NewRecorder(1)
		d := StartDriver(context.Background(), op, r, DriverConfig{Concurrency: 4})
		for deadline := time.Now().Add(10 * time.Second); started.Load() < 4 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		r.Swap()
		ds := d.Drain(100*time.Millisecond, 5*time.Second)
		iv := r.Swap()
		if ds != (DrainStats{Unfinished: 4}) || iv.Count != 0 || iv.Errors != 0 {
			t.Fatalf("drain %+v, drained count %d errors %d", ds, iv.Count, iv.Errors)
		}
		if ab := d.Stop(time.Second); ab != 0 {
			t.Fatalf("Stop after Drain: abandoned %d", ab)
		}
	})
	t.Run("failing ops", func(t *testing.T) {
		var calls atomic.Int64
		op := func(ctx context.Context) error { calls.Add(1); return errors.New("refused") }
		d := StartDriver(context.Background(), op, NewRecorder(1), DriverConfig{Concurrency: 4})
		for deadline := time.Now().Add(10 * time.Second); calls.Load() < 100 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if ds := d.Drain(time.Minute, time.Second); ds.LastFailed == 0 || ds.LastOK != 0 || ds.Unfinished != 0 {
			t.Fatalf("drain %+v", ds)
		}
	})
	t.Run("constant rate", func(t *testing.T) {
		var calls atomic.Int64
		op := func(ctx context.Context) error { calls.Add(1); return nil }
		d := StartDriver(context.Background(), op, NewRecorder(1), DriverConfig{Concurrency: 2, Rate: 0.01})
		for deadline := time.Now().Add(10 * time.Second); calls.Load() < 1 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		if ds := d.Drain(time.Minute, time.Second); ds.Unfinished != 0 || ds.Abandoned != 0 || ds.LastOK != 1 {
			t.Fatalf("drain %+v (one goroutine ran one operation)", ds)
		}
		if el := time.Since(start); el > 30*time.Second {
			t.Fatalf("Drain waited %v for tickets that were not due", el)
		}
	})
}
