package sockety_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sockety-harness/sockety-harness/sockety"
)

// TestLentPayloadsIntact: payload bytes lent to pipes from the read
// buffers must reach each reader unchanged while the read loop goes on
// reading other messages. 32 large messages (data, a file and a stream)
// are sent concurrently over one connection with a small buffer budget, so
// buffers are lent, held, returned and reused, and some payloads fall back
// to copying; readers read at different paces with Read, WriteTo and
// Bytes. Every payload is checked against its SHA-256.
func TestLentPayloadsIntact(t *testing.T) {
	checkLeaks(t)
	const msgs = 32
	type sums struct{ data, file, stream [32]byte }
	var mu sync.Mutex
	got := map[string]sums{}
	h := sockety.HandlerFunc(func(m *sockety.Message) {
		r := rand.New(rand.NewPCG(uint64(len(m.Action)), uint64(m.Action[len(m.Action)-1])))
		read := func(p *sockety.Payload) [32]byte {
			hs := sha256.New()
			switch r.IntN(3) {
			case 0: // small reads with pauses
				buf := make([]byte, 1+r.IntN(9000))
				for i := 0; ; i++ {
					n, err := p.Read(buf)
					hs.Write(buf[:n])
					if err != nil {
						break
					}
					if i%64 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			case 1:
				_, _ = io.Copy(hs, p) // WriteTo
			default:
				b, _ := p.Bytes()
				hs.Write(b)
			}
			var s [32]byte
			copy(s[:], hs.Sum(nil))
			return s
		}
		var s sums
		s.data = read(m.Data())
		s.file = read(&m.Files()[0].Payload)
		s.stream = read(m.Stream())
		mu.Lock()
		got[m.Action] = s
		mu.Unlock()
		_ = m.FastReply(context.Background(), sockety.Accept)
	})
	opts := &sockety.Options{MaxBufferedBytes: 1 << 20, MaxMessageBuffer: 256 << 10}
	ts := startServer(t, h, opts, nil)
	c := dial(t, ts.addr, nil)
	ctx := tctx(t)
	want := map[string]sums{}
	var wg sync.WaitGroup
	errs := make(chan error, msgs)
	for i := range msgs {
		action := "lend-" + string(rune('a'+i%26)) + string(rune('A'+i))
		data := pattern(300_000+i*4099, byte(i))
		file := pattern(200_000+i*777, byte(i+100))
		stream := pattern(150_000+i*13, byte(i+200))
		want[action] = sums{sha256.Sum256(data), sha256.Sum256(file), sha256.Sum256(stream)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := c.Call(ctx, &sockety.Outgoing{Action: action, Data: data,
				Files:        []sockety.OutFile{{Name: "f", Data: file}},
				StreamReader: bytes.NewReader(stream)})
			if err == nil && rep.Code != sockety.Accept {
				err = io.ErrUnexpectedEOF
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for action, w := range want {
		if g, ok := got[action]; !ok || g != w {
			t.Fatalf("%s: payloads differ (received %v)", action, ok)
		}
	}
}
