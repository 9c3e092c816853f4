package wire

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"unsafe"
)

// record is an event flattened for comparison: payload pieces of one packet
// are merged, so decodes with different input cuts compare equal.
func fmtEvent(ev *Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%d ch=%d first=%02x", ev.Kind, ev.Offset, ev.Channel, ev.First)
	switch ev.Kind {
	case KindConnHeader:
		fmt.Fprintf(&b, " channels=%d", ev.Channels)
	case KindFastReply:
		fmt.Fprintf(&b, " id=%s code=%d", ev.ID, ev.Code)
	case KindMessage, KindResponse:
		fmt.Fprintf(&b, " id=%s parent=%s action=%q expects=%v stream=%v flags=%02x data=%d files=%d total=%d size=%d packets=%d",
			ev.ID, ev.ParentID, ev.Action, ev.Expects, ev.HasStream, ev.ContentFlags, ev.DataSize, ev.FilesCount, ev.TotalFilesSize, ev.PacketSize, ev.ContentPackets)
		for _, f := range ev.Files {
			fmt.Fprintf(&b, " file(%q,%d)", f.Name, f.Size)
		}
	case KindContinue:
		fmt.Fprintf(&b, " size=%d", ev.PacketSize)
	case KindFileEnd:
		fmt.Fprintf(&b, " index=%d", ev.Index)
	case KindAbort:
		fmt.Fprintf(&b, " aborted=%v", ev.Aborted)
	}
	if ev.Complete {
		b.WriteString(" complete")
	}
	return b.String()
}

// decodeCuts feeds stream to a new Reader in pieces ending at the given cut
// points and returns the flattened events, or the error.
func decodeCuts(opts ReaderOptions, stream []byte, cuts []int) ([]string, error) {
	r := NewReader(opts)
	var out []string
	var pay []byte
	var payStart *Event
	prev := 0
	feed := func(p []byte) error {
		for len(p) > 0 {
			n, ev, err := r.Next(p)
			if err != nil {
				return err
			}
			if n == 0 && ev == nil {
				return fmt.Errorf("no progress at offset %d", r.Offset())
			}
			if n > len(p) {
				return fmt.Errorf("consumed %d of %d", n, len(p))
			}
			if ev != nil && n == 0 {
				return fmt.Errorf("event without consuming: %s", fmtEvent(ev))
			}
			if r.Buffered() > r.maxBuf+24 {
				return fmt.Errorf("buffered %d above limit", r.Buffered())
			}
			if err := checkOwing(r); err != nil {
				return err
			}
			if ev != nil {
				if err := checkClean(ev); err != nil {
					return err
				}
				switch ev.Kind {
				case KindData, KindStream, KindFile:
					if indexIn(p, ev.Payload) < 0 {
						return fmt.Errorf("payload not a slice of the input")
					}
					if ev.PieceOffset != len(pay) {
						return fmt.Errorf("piece offset %d, want %d", ev.PieceOffset, len(pay))
					}
					if payStart == nil {
						c := *ev
						payStart = &c
					}
					pay = append(pay, ev.Payload...)
					if ev.Last {
						if len(pay) != ev.PacketSize {
							return fmt.Errorf("packet payload %d bytes, size %d", len(pay), ev.PacketSize)
						}
						s := fmt.Sprintf("%s@%d ch=%d first=%02x index=%d size=%d remaining=%d payload=%s",
							ev.Kind, ev.Offset, ev.Channel, ev.First, ev.Index, ev.PacketSize, ev.Remaining, short(pay))
						if ev.Complete {
							s += " complete"
						}
						out = append(out, s)
						pay = pay[:0]
						payStart = nil
					}
				default:
					out = append(out, fmtEvent(ev))
				}
			}
			p = p[n:]
		}
		return nil
	}
	for _, c := range cuts {
		if err := feed(stream[prev:c]); err != nil {
			return out, err
		}
		prev = c
	}
	if err := feed(stream[prev:]); err != nil {
		return out, err
	}
	return out, r.Finish()
}

// indexIn returns the index of sub's first byte within p (sub must be a
// subslice of p), or -1.
func indexIn(p, sub []byte) int {
	if len(sub) == 0 {
		return 0
	}
	if len(p) == 0 {
		return -1
	}
	start := uintptr(unsafe.Pointer(&p[0]))
	at := uintptr(unsafe.Pointer(&sub[0]))
	if at < start || at+uintptr(len(sub)) > start+uintptr(len(p)) {
		return -1
	}
	return int(at - start)
}

func short(b []byte) string {
	if len(b) > 24 {
		return fmt.Sprintf("%x..(%d bytes, crc %d)", b[:16], len(b), sum(b))
	}
	return hex.EncodeToString(b)
}

func sum(b []byte) uint32 {
	var s uint32
	for i, c := range b {
		s = s*31 + uint32(c) + uint32(i)
	}
	return s
}

func everyByte(n int) []int {
	cuts := make([]int, 0, n)
	for i := 1; i < n; i++ {
		cuts = append(cuts, i)
	}
	return cuts
}

func randomCuts(rng *rand.Rand, n int) []int {
	var cuts []int
	for i := 0; i < n; {
		i += 1 + rng.Intn(40)
		if i < n {
			cuts = append(cuts, i)
		}
	}
	return cuts
}

// decodeThreeWays decodes stream whole, byte by byte and at random cuts,
// and fails unless all agree.
func decodeThreeWays(opts ReaderOptions, stream []byte, seed int64) ([]string, error) {
	whole, err := decodeCuts(opts, stream, nil)
	one, err1 := decodeCuts(opts, stream, everyByte(len(stream)))
	rng := rand.New(rand.NewSource(seed))
	rnd, err2 := decodeCuts(opts, stream, randomCuts(rng, len(stream)))
	if fmt.Sprint(err) != fmt.Sprint(err1) || fmt.Sprint(err) != fmt.Sprint(err2) {
		return whole, fmt.Errorf("errors differ: whole %v, byte by byte %v, random %v", err, err1, err2)
	}
	if !equal(whole, one) || !equal(whole, rnd) {
		return whole, fmt.Errorf("events differ:\nwhole:\n%s\nbyte by byte:\n%s\nrandom:\n%s", strings.Join(whole, "\n"), strings.Join(one, "\n"), strings.Join(rnd, "\n"))
	}
	return whole, err
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func unhex(s string) []byte {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '_' {
			return -1
		}
		return r
	}, s)
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

var _ = bytes.Equal

// checkClean reports fields set that do not apply to the event's kind
// (stale values from an earlier event).
func checkClean(ev *Event) error {
	c := *ev
	c.Kind, c.Offset, c.Channel, c.First, c.Complete = 0, 0, 0, 0, false
	switch ev.Kind {
	case KindConnHeader:
		c.Channels = 0
	case KindFastReply:
		c.ID, c.Code = UUID{}, 0
	case KindMessage, KindResponse:
		c.ID, c.ParentID, c.Action, c.Expects, c.HasStream, c.ContentFlags = UUID{}, UUID{}, nil, false, false, 0
		c.DataSize, c.FilesCount, c.TotalFilesSize, c.ContentPackets, c.PacketSize = 0, 0, 0, 0, 0
		c.Files = nil
	case KindContinue:
		c.PacketSize = 0
	case KindData, KindStream, KindFile:
		c.Index, c.PacketSize, c.Payload, c.PieceOffset, c.Last, c.Remaining = 0, 0, nil, 0, false, 0
	case KindFileEnd:
		c.Index = 0
	case KindAbort:
		c.Aborted = false
	}
	if len(c.Files) == 0 {
		c.Files = nil
	}
	if !reflect.DeepEqual(c, Event{}) {
		return fmt.Errorf("stale fields in %s event: %+v", ev.Kind, c)
	}
	return nil
}

// checkOwing checks the Reader's count of owing channels against the
// channels' own state.
func checkOwing(r *Reader) error {
	n := 0
	for _, cs := range r.chans {
		if cs == nil {
			continue
		}
		owes := cs.busy && (cs.content || cs.dataLeft > 0 || cs.open > 0)
		if owes != cs.owes {
			return fmt.Errorf("channel owes=%v, flag %v", owes, cs.owes)
		}
		if owes {
			n++
		}
	}
	if n != r.owing {
		return fmt.Errorf("owing %d, channels owing %d", r.owing, n)
	}
	return nil
}
