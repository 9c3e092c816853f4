// Command load drives one benchmark of a suite against a running server with
// a bare closed loop: -cc goroutines calling the adapter's operation, no
// worker processes, histograms or control protocol. Beside wrk and h2load it
// tells apart what the adapter (the protocol library) costs from what the
// harness adds. It prints operations per second and CPU time per operation.
//
//	go run ./competitors/adaptertest/load -suite HTTP/1 -addr 127.0.0.1:8080 -bench short-response -cn 4 -cc 4
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sockety-harness/sockety-harness/competitors"
	_ "github.com/sockety-harness/sockety-harness/competitors/all"
	"github.com/sockety-harness/sockety-harness/scenarios"
)

func main() {
	suite := flag.String("suite", "HTTP/1", "suite")
	addr := flag.String("addr", "", "server address")
	bench := flag.String("bench", scenarios.IDShortResponse, "scenario ID")
	cn := flag.Int("cn", 2, "connections")
	cc := flag.Int("cc", 2, "operations in flight")
	dur := flag.Duration("d", 5*time.Second, "measured duration")
	warm := flag.Duration("w", time.Second, "warming duration")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the measured window to this file")
	allocs := flag.String("memprofile", "", "write an allocation profile (alloc_space, whole run) to this file at the end")
	flag.Parse()
	cpuProfile, memProfile = *profile, *allocs
	if err := run(*suite, *addr, *bench, *cn, *cc, *dur, *warm); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

var cpuProfile, memProfile string

func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func run(name, addr, id string, cn, cc int, dur, warm time.Duration) error {
	s, ok := competitors.Lookup(name)
	if !ok {
		return fmt.Errorf("no suite %q", name)
	}
	var b competitors.Benchmark
	for _, x := range s.Benchmarks() {
		if x.Scenario.ID == id {
			b = x
		}
	}
	if b.Name == "" {
		return fmt.Errorf("%s has no %q", name, id)
	}
	ctx := context.Background()
	p := scenarios.New(1)
	defer p.Close()
	c, err := s.NewClient(ctx, competitors.ClientConfig{Addr: addr, Connections: cn, Concurrency: cc, Payloads: p})
	if err != nil {
		return err
	}
	defer c.Close()
	op, err := c.Prepare(ctx, b)
	if err != nil {
		return err
	}
	var count, errs atomic.Int64
	var measuring atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range cc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A cancellable context per goroutine, as the harness's driver
			// passes: adapters that watch it (the HTTP/1 client does) pay
			// here what they pay under the harness.
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := op(ctx)
				if measuring.Load() {
					if err != nil {
						if errs.Add(1) == 1 {
							fmt.Fprintln(os.Stderr, "first error:", err)
						}
					} else {
						count.Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(warm)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0, t0 := cpu(), time.Now()
	measuring.Store(true)
	time.Sleep(dur)
	measuring.Store(false)
	c1, t1 := cpu(), time.Now()
	runtime.ReadMemStats(&m1)
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	close(stop)
	wg.Wait()
	n := count.Load()
	// Allocations are the whole process's over the window (the adapter's,
	// the protocol library's and this loop's), per successful operation.
	per := float64(max(n, 1))
	fmt.Printf("ops %d errors %d ops/s %.0f cpu-us/op %.1f allocs/op %.1f B/op %.0f gc %d\n", n, errs.Load(),
		float64(n)/t1.Sub(t0).Seconds(), float64(c1-c0)/per/1e3,
		float64(m1.Mallocs-m0.Mallocs)/per, float64(m1.TotalAlloc-m0.TotalAlloc)/per, m1.NumGC-m0.NumGC)
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			return err
		}
	}
	return nil
}
