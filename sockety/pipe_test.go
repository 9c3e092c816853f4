package sockety

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

// TestPipeOrder writes random-sized pieces from one goroutine while the
// consumer reads with Read or WriteTo, under a small limit and budget, and
// checks every byte arrives in order and the budget returns to zero.
func TestPipeOrder(t *testing.T) {
	for _, useWriteTo := range []bool{false, true} {
		for seed := uint64(1); seed <= 20; seed++ {
			b := &budget{limit: 100 << 10}
			p := newPipe(int(seed*7919)%(200<<10)+1, b)
			r := rand.New(rand.NewPCG(seed, 3))
			want := make([]byte, 1<<20+int(seed))
			for i := range want {
				want[i] = byte(r.Uint32())
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				rest := want
				for len(rest) > 0 {
					n := min(len(rest), r.IntN(3*blockSize)+1)
					if err := p.write(rest[:n], nil, nil); err != nil {
						t.Error(err)
						return
					}
					rest = rest[n:]
				}
				p.end(io.EOF)
			}()
			var got bytes.Buffer
			var err error
			if useWriteTo {
				_, err = p.WriteTo(&got)
			} else {
				buf := make([]byte, 10000)
				for {
					n, rerr := p.Read(buf[:1+int(seed)*499%len(buf)])
					got.Write(buf[:n])
					if rerr == io.EOF {
						break
					}
					if rerr != nil {
						err = rerr
						break
					}
				}
			}
			<-done
			if err != nil || !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("seed %d writeTo %v: %d bytes, err %v", seed, useWriteTo, got.Len(), err)
			}
			if u := b.used.Load(); u != 0 {
				t.Fatalf("budget used %d after reading everything", u)
			}
		}
	}
}
