package harness

import (
	"context"
	"strings"

	"errors"
	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"math"
	"sync"
	"testing"
	"time"
)

func TestRecorderSwap(t *testing.T) {
	r := NewRecorder(4)
	vals := []int64{500, 1_000, 2_000_000, 70 * int64(time.Second)} // below, at, inside, above range
	for i, v := range vals {
		r.Shard(i).Record(v)
	}
	r.Shard(1).Fail()
	r.NoteError(errors.New("boom"))
	iv := r.Swap()
	if iv.Count != 4 || iv.Errors != 1 {
		t.Fatalf("count %d errors %d", iv.Count, iv.Errors)
	}
	if iv.MinNs != 500 || iv.MaxNs != 70*int64(time.Second) {
		t.Errorf("exact min/max %d/%d", iv.MinNs, iv.MaxNs)
	}
	if iv.SumNs != 500+1_000+2_000_000+70*int64(time.Second) {
		t.Errorf("sum %d", iv.SumNs)
	}
	if iv.Hist.TotalCount() != 4 {
		t.Errorf("histogram count %d", iv.Hist.TotalCount())
	}
	if iv.Hist.Max() < HistHighestNs-HistHighestNs/500 {
		t.Errorf("value above range not clamped to highest: max %d", iv.Hist.Max())
	}
	if len(iv.ErrorLogs) != 1 || iv.ErrorLogs[0].Message != "boom" {
		t.Errorf("error samples %v", iv.ErrorLogs)
	}
	next := r.Swap()
	if next.Count != 0 || next.Errors != 0 || next.Hist.TotalCount() != 0 || next.MinNs != math.MaxInt64 {
		t.Errorf("second interval not empty: %+v", next)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := NewRecorder(3)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sh := r.Shard(g)
			for i := 0; i < 1000; i++ {
				sh.Record(int64(1000 + i))
			}
		}(g)
	}
	var total int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			total += r.Swap().Count
		}
	}()
	wg.Wait()
	<-done
	total += r.Swap().Count
	if total != 8000 {
		t.Fatalf("counted %d operations across swaps, want 8000", total)
	}
}

// TestHistogramMergeAcrossProcesses checks the path a histogram takes from
// client workers to the controller: encode, decode, merge.
func TestHistogramMergeAcrossProcesses(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	for i := int64(1); i <= 1000; i++ {
		_ = a.RecordValue(i * 1000) // 1 µs .. 1 ms
		_ = b.RecordValue(i * 1_000_000)
	}
	ea, err := EncodeHistogram(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := EncodeHistogram(b)
	if err != nil {
		t.Fatal(err)
	}
	merged := NewHistogram()
	for _, e := range []string{ea, eb} {
		h, err := DecodeHistogram(e)
		if err != nil {
			t.Fatal(err)
		}
		if dropped := merged.Merge(h); dropped != 0 {
			t.Fatalf("dropped %d", dropped)
		}
	}
	direct := NewHistogram()
	direct.Merge(a)
	direct.Merge(b)
	if merged.TotalCount() != 2000 || !merged.Equals(direct) {
		t.Fatalf("merged across encoding differs: %d values", merged.TotalCount())
	}
	p50 := merged.ValueAtQuantile(50)
	if p50 < 990_000 || p50 > 1_010_000 {
		t.Errorf("p50 %d, want about 1ms", p50)
	}
	if _, err := DecodeHistogram("not base64!"); err == nil {
		t.Error("garbage decoded")
	}
}

func TestMergeErrorSamples(t *testing.T) {
	var a, b []ErrorSample
	for i := 0; i < 6; i++ {
		a = append(a, ErrorSample{Message: string(rune('a' + i)), Count: int64(i + 1)})
		b = append(b, ErrorSample{Message: string(rune('d' + i)), Count: 1})
	}
	m := MergeErrorSamples(a, b)
	if len(m) != maxErrorKinds+1 || m[len(m)-1].Message != "(other errors)" {
		t.Fatalf("not bounded: %v", m)
	}
	var total int64
	for _, s := range m {
		total += s.Count
	}
	if total != 21+6 {
		t.Errorf("counts lost: %d", total)
	}
}

// BenchmarkRecord is the harness's per-operation overhead: one histogram
// record with its accounting (count, sum, min, max) under the shard lock.
func BenchmarkRecord(b *testing.B) {
	r := NewRecorder(1)
	sh := r.Shard(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sh.Record(int64(1000 + i&0xffff))
	}
}

// BenchmarkRecordParallel records from GOMAXPROCS goroutines, each on its own
// shard, as driver goroutines do.
func BenchmarkRecordParallel(b *testing.B) {
	r := NewRecorder(64)
	var next int64
	var mu sync.Mutex
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		sh := r.Shard(int(next))
		next++
		mu.Unlock()
		i := int64(0)
		for pb.Next() {
			sh.Record(1000 + i&0xffff)
			i++
		}
	})
}

// BenchmarkDriverOverhead is a whole closed-loop iteration around a no-op
// operation: clock reads, watchdog slot stores, record.
func BenchmarkDriverOverhead(b *testing.B) {
	r := NewRecorder(1)
	var n int64
	done := make(chan struct{})
	op := func(ctx context.Context) error {
		n++
		if n == int64(b.N) {
			close(done)
		}
		return nil
	}
	b.ReportAllocs()
	b.ResetTimer()
	d := StartDriver(context.Background(), op, r, DriverConfig{Concurrency: 1})
	<-done
	b.StopTimer()
	d.Stop(time.Second)
}

func TestDecodeHistogramRejectsOtherGeometry(t *testing.T) {
	wide := hdrhistogram.New(1, math.MaxInt64/4, 5)
	enc, err := EncodeHistogram(wide)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeHistogram(enc); err == nil || !strings.Contains(err.Error(), "geometry") {
		t.Fatalf("wide geometry accepted: %v", err)
	}
	if _, err := DecodeHistogram(strings.Repeat("A", maxEncodedHistogram+4)); err == nil {
		t.Fatal("oversized input accepted")
	}
}
