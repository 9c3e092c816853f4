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
	start := time.Now()
	d2 := StartDriver(context.Background(), fast, r2, DriverConfig{Concurrency: 4, Rate: 200})
	time.Sleep(300 * time.Millisecond)
	d2.Stop(time.Second)
	elapsed := time.Since(start)
	iv2 := r2.Swap()
	// The schedule is absolute: after a stall the driver catches up, so the
	// count follows the elapsed time (+ up to Concurrency early tickets).
	want := 200 * elapsed.Seconds()
	if float64(iv2.Count) < want*0.5 || float64(iv2.Count) > want+5 {
		t.Fatalf("%d operations in %v at 200/s (want about %.0f)", iv2.Count, elapsed, want)
	}
}
