package vectors

import (
	"errors"
	"testing"

	"github.com/sockety-harness/sockety-harness/conformance/decode"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// fuzzOptions derives reader options from the first input byte.
func fuzzOptions(b byte) wire.ReaderOptions {
	o := wire.ReaderOptions{NoHeader: b&1 == 0, ContinueEvents: b&2 != 0, MaxContentBuffer: 1 << 16}
	if b&4 != 0 {
		o.MaxChannels = 5
	}
	if b&8 != 0 {
		o.MaxActionSize, o.MaxFileNameSize, o.MaxFiles = 4, 3, 1
	}
	return o
}

// FuzzDecodeVectors feeds arbitrary bytes (seeded with every vector) to the
// Reader whole and with cuts chosen by the input: no panic, no hang (every
// call makes progress), bounded buffering, and both decodings agree on the
// packets and on the error class and offset.
func FuzzDecodeVectors(f *testing.F) {
	files, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range All(files) {
		if len(v.Bytes) > 512 { // small seeds keep minimization cheap
			continue
		}
		var opt byte = 2
		if v.Options.Header {
			opt |= 1
		}
		f.Add(append([]byte{opt}, v.Bytes...), uint64(len(v.Name)))
	}
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		if len(in) == 0 {
			return
		}
		opts := fuzzOptions(in[0])
		data := in[1:]
		whole := fuzzDecode(t, opts, data, func(rest int) int { return rest })
		s := seed | 1
		cut := fuzzDecode(t, opts, data, func(rest int) int {
			s ^= s << 13
			s ^= s >> 7
			s ^= s << 17
			return 1 + int(s%uint64(min(rest, 9)))
		})
		if (whole.Err == nil) != (cut.Err == nil) {
			t.Fatalf("whole: %v, cut: %v", whole.Err, cut.Err)
		}
		if whole.Err != nil {
			if ClassOf(whole.Err) != ClassOf(cut.Err) {
				t.Fatalf("error classes differ: whole %v, cut %v", whole.Err, cut.Err)
			}
			var a, b *wire.ProtocolError
			if errors.As(whole.Err, &a) && errors.As(cut.Err, &b) && a.Offset != b.Offset {
				t.Fatalf("error offsets differ: whole %v, cut %v", whole.Err, cut.Err)
			}
			// Packets before the error may differ by a partly read payload
			// packet; compare only without error.
			return
		}
		if len(whole.Items) != len(cut.Items) {
			t.Fatalf("whole: %d packets, cut: %d", len(whole.Items), len(cut.Items))
		}
		for i := range whole.Items {
			if !whole.Items[i].Packet.Equal(cut.Items[i].Packet) {
				t.Fatalf("packet %d: whole %s, cut %s", i, whole.Items[i].Packet, cut.Items[i].Packet)
			}
		}
	})
}

func fuzzDecode(t *testing.T, opts wire.ReaderOptions, data []byte, cut func(int) int) Decoded {
	t.Helper()
	r := wire.NewReader(opts)
	c := decode.NewCollector(true)
	var d Decoded
	calls := 0
	for i := 0; i < len(data) && d.Err == nil; {
		n := max(1, min(cut(len(data)-i), len(data)-i))
		chunk := data[i : i+n]
		i += n
		for len(chunk) > 0 {
			used, ev, err := r.Next(chunk)
			calls++
			if used < 0 || used > len(chunk) {
				t.Fatalf("Next consumed %d of %d bytes", used, len(chunk))
			}
			if used == 0 && ev == nil && err == nil {
				t.Fatalf("Next made no progress at offset %d", r.Offset())
			}
			if calls > 4*len(data)+16 {
				t.Fatalf("%d calls for %d bytes", calls, len(data))
			}
			if r.Buffered() > opts.MaxContentBuffer+256 {
				t.Fatalf("reader buffers %d bytes", r.Buffered())
			}
			c.Add(ev)
			if err != nil {
				var pe *wire.ProtocolError
				if !errors.As(err, &pe) || ClassOf(err) == "" {
					t.Fatalf("error %v is not a classified *wire.ProtocolError", err)
				}
				d.Err = err
				break
			}
			chunk = chunk[used:]
		}
	}
	if d.Err == nil {
		d.Err = r.Finish()
	}
	d.Items = c.Flush(true)
	return d
}
