package vectors

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/sockety-harness/sockety-harness/conformance/decode"
	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// ErrorClass returns the sockety/wire sentinel error of a class name, or
// nil for an unknown name.
func ErrorClass(name string) error { return decode.ClassError(name) }

// ClassOf returns the class name of err ("" when err is none of them).
func ClassOf(err error) string { return decode.ClassName(err) }

// ReaderOptions returns the wire.ReaderOptions a vector is decoded with.
// Continue packets are reported (the canonical form lists them).
func (v *Vector) ReaderOptions() wire.ReaderOptions {
	return wire.ReaderOptions{
		NoHeader:        !v.Options.Header,
		MaxChannels:     v.Options.MaxChannels,
		MaxActionSize:   v.Options.MaxActionBytes,
		MaxFileNameSize: v.Options.MaxFileNameBytes,
		MaxFiles:        v.Options.MaxFiles,
		ContinueEvents:  true,
	}
}

// Decoding modes of Run.
const (
	ModeWhole    = "whole"     // all bytes in one Next input
	ModeBytewise = "bytewise"  // one byte per input
	ModeRandom   = "random-%d" // random cuts, fixed seed per vector and round
)

// RandomRounds is how many random-cut decodings Run does per vector.
const RandomRounds = 3

// Result is the outcome of one vector.
type Result struct {
	Vector   *Vector
	Failures []string // empty when the vector passed
	Encoded  bool     // a canonical vector was encoded back and compared
}

// Pass reports whether the vector passed.
func (r *Result) Pass() bool { return len(r.Failures) == 0 }

func (r *Result) failf(f string, a ...any) { r.Failures = append(r.Failures, fmt.Sprintf(f, a...)) }

// Run decodes every vector with the sockety/wire Reader in every mode
// (whole, byte by byte, random cuts), compares with the expectation, and
// encodes canonical vectors back with the wire writer.
func Run(vs []*Vector) []Result {
	out := make([]Result, 0, len(vs))
	for _, v := range vs {
		out = append(out, RunOne(v))
	}
	return out
}

// RunOne checks one vector.
func RunOne(v *Vector) Result {
	res := Result{Vector: v}
	type mode struct {
		name string
		cut  func(rest int) int
	}
	modes := []mode{
		{ModeWhole, func(rest int) int { return rest }},
		{ModeBytewise, func(int) int { return 1 }},
	}
	h := fnv.New64a()
	h.Write([]byte(v.Name))
	for round := 1; round <= RandomRounds; round++ {
		rng := rand.New(rand.NewPCG(h.Sum64(), uint64(round)))
		modes = append(modes, mode{fmt.Sprintf(ModeRandom, round), func(rest int) int {
			if rng.IntN(4) == 0 {
				return 1 + rng.IntN(rest)
			}
			return 1 + rng.IntN(min(rest, 40))
		}})
	}
	for _, m := range modes {
		d := DecodeWith(v.ReaderOptions(), v.Bytes, m.cut, true)
		if v.Valid() {
			checkValid(&res, m.name, v, d)
		} else {
			checkInvalid(&res, m.name, v, d)
		}
	}
	if v.Valid() && v.Canonical {
		res.Encoded = true
		got, err := Encode(v.Expect)
		if err != nil {
			res.failf("encode: %v", err)
		} else if !bytes.Equal(got, v.Bytes) {
			res.failf("encode: got  % x\n             want % x", clipBytes(got), clipBytes(v.Bytes))
		}
	}
	return res
}

func clipBytes(b []byte) []byte {
	if len(b) > 96 {
		return b[:96]
	}
	return b
}

// Decoded is the outcome of decoding a byte stream.
type Decoded struct {
	Items     []decode.Item
	Summaries []*decode.Summary
	// CompleteMismatches: messages whose completion the Reader flagged
	// differently from the Collector's own accounting.
	CompleteMismatches []*decode.Summary
	Err                error // from Next or Finish
	Offset             int64 // bytes consumed
}

// DecodeWith decodes data with a Reader configured by opts, feeding it
// inputs of the sizes cut returns (cut gets the number of bytes left).
func DecodeWith(opts wire.ReaderOptions, data []byte, cut func(rest int) int, keepPayload bool) Decoded {
	r := wire.NewReader(opts)
	c := decode.NewCollector(keepPayload)
	var d Decoded
	for i := 0; i < len(data) && d.Err == nil; {
		n := cut(len(data) - i)
		n = max(1, min(n, len(data)-i))
		chunk := data[i : i+n]
		i += n
		for len(chunk) > 0 {
			used, ev, err := r.Next(chunk)
			if used < 0 || used > len(chunk) {
				d.Err = fmt.Errorf("reader consumed %d of %d bytes", used, len(chunk))
				break
			}
			c.Add(ev)
			if err != nil {
				d.Err = err
				break
			}
			if used == 0 && ev == nil {
				d.Err = fmt.Errorf("reader made no progress at offset %d", r.Offset())
				break
			}
			chunk = chunk[used:]
		}
	}
	if d.Err == nil {
		d.Err = r.Finish()
	}
	d.Offset = r.Offset()
	d.Items = c.Flush(true)
	d.Summaries = c.Summaries()
	d.CompleteMismatches = c.CompleteMismatches()
	return d
}

func checkValid(res *Result, mode string, v *Vector, d Decoded) {
	if d.Err != nil {
		res.failf("%s: unexpected error: %v", mode, d.Err)
		return
	}
	if len(d.Items) != len(v.Expect) {
		res.failf("%s: %d packets, want %d", mode, len(d.Items), len(v.Expect))
	}
	for i := 0; i < min(len(d.Items), len(v.Expect)); i++ {
		if got, want := d.Items[i].Packet, v.Expect[i]; !got.Equal(want) {
			res.failf("%s: packet %d:\n got  %s\n want %s", mode, i, clipString(got.String()), clipString(want.String()))
		}
	}
	if len(d.Summaries) != len(v.Messages) {
		res.failf("%s: %d messages/responses, want %d", mode, len(d.Summaries), len(v.Messages))
	}
	for i := 0; i < min(len(d.Summaries), len(v.Messages)); i++ {
		g, w := d.Summaries[i], v.Messages[i]
		got := ExpectedSummary{Type: g.Type, Channel: g.Channel, ID: g.ID, Complete: g.Complete, Aborted: g.Aborted}
		if got != w {
			res.failf("%s: message %d: got %+v, want %+v", mode, i, got, w)
		}
	}
	for _, s := range d.CompleteMismatches {
		res.failf("%s: %s %s: the Reader's Complete flag disagrees (complete=%v by the packets)", mode, s.Type, s.ID, s.Complete)
	}
}

func clipString(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

func checkInvalid(res *Result, mode string, v *Vector, d Decoded) {
	want := v.Error
	if d.Err == nil {
		res.failf("%s: no error, want %s", mode, want.Class)
		return
	}
	var pe *wire.ProtocolError
	if !errors.As(d.Err, &pe) {
		res.failf("%s: error %v is not a *wire.ProtocolError", mode, d.Err)
		return
	}
	if !errors.Is(d.Err, decode.ClassError(want.Class)) {
		res.failf("%s: error class %q (%v), want %q", mode, ClassOf(d.Err), d.Err, want.Class)
	}
	if want.Offset >= 0 && pe.Offset != want.Offset {
		res.failf("%s: error at offset %d (%v), want offset %d", mode, pe.Offset, d.Err, want.Offset)
	}
}

// Encode writes packets in canonical form with the sockety/wire writer.
// Continue packets have no canonical encoding and are refused.
func Encode(ps []decode.Packet) ([]byte, error) {
	var b []byte
	var err error
	for i, p := range ps {
		switch p.Type {
		case decode.TypeHeader:
			b, err = wire.AppendConnHeader(b, p.Channels)
		case decode.TypeSwitch:
			b, err = wire.AppendSwitchChannel(b, p.Channel)
		case decode.TypeHeartbeat:
			b = wire.AppendHeartbeat(b)
		case decode.TypeGoAway:
			b = wire.AppendGoAway(b)
		case decode.TypeAbort:
			b = wire.AppendAbort(b)
		case decode.TypeStreamEnd:
			b = wire.AppendStreamEnd(b)
		case decode.TypeFastReply:
			var id wire.UUID
			if id, err = wire.ParseUUID(p.ID); err == nil {
				b, err = wire.AppendFastReply(b, id, p.Code)
			}
		case decode.TypeMessage:
			m := &wire.MessageHeader{Action: p.Action, Expects: p.ExpectsResponse, HasStream: p.Stream, DataSize: p.DataSize, Files: fileHeaders(p.Files)}
			if m.ID, err = wire.ParseUUID(p.ID); err == nil {
				b, err = wire.AppendMessage(b, m)
			}
		case decode.TypeResponse:
			r := &wire.ResponseHeader{Expects: p.ExpectsResponse, HasStream: p.Stream, DataSize: p.DataSize, Files: fileHeaders(p.Files)}
			if r.ID, err = wire.ParseUUID(p.ID); err == nil {
				if r.MessageID, err = wire.ParseUUID(p.RequestID); err == nil {
					b, err = wire.AppendResponse(b, r)
				}
			}
		case decode.TypeData:
			b, err = wire.AppendData(b, p.Payload)
		case decode.TypeStream:
			b, err = wire.AppendStream(b, p.Payload)
		case decode.TypeFile:
			b, err = wire.AppendFile(b, p.Index, p.Payload)
		case decode.TypeFileEnd:
			b, err = wire.AppendFileEnd(b, p.Index)
		default:
			err = fmt.Errorf("no canonical encoding of %q packets", p.Type)
		}
		if err != nil {
			return b, fmt.Errorf("packet %d (%s): %w", i, p.Type, err)
		}
	}
	return b, nil
}

func fileHeaders(fs []decode.FileHead) []wire.FileHeader {
	out := make([]wire.FileHeader, len(fs))
	for i, f := range fs {
		out[i] = wire.FileHeader{Name: f.Name, Size: f.Size}
	}
	return out
}

// Tally counts passed and failed results.
func Tally(rs []Result) (passed, failed int) {
	for i := range rs {
		if rs[i].Pass() {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed
}
