package wire_test

import (
	"fmt"

	"github.com/sockety-harness/sockety-harness/sockety/wire"
)

// A writer appends packets to one buffer; a reader turns the bytes back
// into events, here fed three bytes at a time.
func Example() {
	id, _ := wire.ParseUUID("00112233-4455-4677-8899-aabbccddeeff")
	var b []byte
	b, _ = wire.AppendConnHeader(b, 4096)
	b, _ = wire.AppendMessage(b, &wire.MessageHeader{ID: id, Action: "ping", Expects: true, DataSize: 5})
	b, _ = wire.AppendData(b, []byte("hello"))
	b, _ = wire.AppendFastReply(b, id, 0)

	r := wire.NewReader(wire.ReaderOptions{})
	for len(b) > 0 {
		p := b[:min(3, len(b))]
		for len(p) > 0 {
			n, ev, err := r.Next(p)
			if err != nil {
				fmt.Println(err)
				return
			}
			p, b = p[n:], b[n:]
			if ev == nil {
				continue // more bytes needed
			}
			switch ev.Kind {
			case wire.KindMessage:
				fmt.Printf("%s %s action=%s data=%d\n", ev.Kind, ev.ID, ev.Action, ev.DataSize)
			case wire.KindData:
				fmt.Printf("%s piece %q at %d, last=%v complete=%v\n", ev.Kind, ev.Payload, ev.PieceOffset, ev.Last, ev.Complete)
			default:
				fmt.Println(ev.Kind)
			}
		}
	}
	fmt.Println("finish:", r.Finish())
	// Output:
	// header
	// message 00112233-4455-4677-8899-aabbccddeeff action=ping data=5
	// data piece "he" at 0, last=false complete=false
	// data piece "llo" at 2, last=true complete=true
	// fast-reply
	// finish: <nil>
}
