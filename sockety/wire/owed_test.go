package wire

import "testing"

// TestOwed feeds streams byte by byte and checks Owed after every prefix:
// it must hold inside every packet and, between packets, exactly while a
// message's content, data or files are incomplete; a message waiting only
// for its stream is not owed.
func TestOwed(t *testing.T) {
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	id := UUID{1, 2, 3}
	msg := func(m MessageHeader) []byte { return must(AppendMessage(nil, &m)) }
	// A message whose content is split: a Message packet with the first
	// 7 content bytes, then a Continue packet with the rest.
	content := must(AppendMessageContent(nil, &MessageHeader{ID: id, Action: "split", DataSize: 2}))

	type part struct {
		b         []byte
		owedAfter bool // Owed() once the whole part was fed
	}
	tests := []struct {
		name  string
		parts []part
	}{
		{"heartbeats", []part{{AppendHeartbeat(nil), false}, {AppendHeartbeat(nil), false}}},
		{"message without payload", []part{{msg(MessageHeader{ID: id, Action: "a"}), false}}},
		{"message with data", []part{
			{msg(MessageHeader{ID: id, Action: "a", DataSize: 3}), true},
			{must(AppendData(nil, []byte("x"))), true},
			{must(AppendData(nil, []byte("yz"))), false},
		}},
		{"message waiting only for its stream", []part{
			{msg(MessageHeader{ID: id, Action: "a", HasStream: true}), false},
			{must(AppendStream(nil, []byte("s"))), false},
			{AppendStreamEnd(nil), false},
		}},
		{"message with data and a stream", []part{
			{msg(MessageHeader{ID: id, Action: "a", DataSize: 1, HasStream: true}), true},
			{must(AppendData(nil, []byte("d"))), false},
			{AppendStreamEnd(nil), false},
		}},
		{"message with a file", []part{
			{msg(MessageHeader{ID: id, Action: "f", Files: []FileHeader{{Name: "n", Size: 1}}}), true},
			{must(AppendFile(nil, 0, []byte("z"))), true},
			{must(AppendFileEnd(nil, 0)), false},
		}},
		{"split content", []part{
			{must(AppendSized(nil, KindMessage, 0, content[:7])), true},
			{must(AppendContinue(nil, content[7:])), true},
			{must(AppendData(nil, []byte("ab"))), false},
		}},
		{"aborted message", []part{
			{msg(MessageHeader{ID: id, Action: "a", DataSize: 9}), true},
			{AppendAbort(nil), false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(ReaderOptions{})
			feed(t, r, must(AppendConnHeader(nil, 4096)))
			if r.Owed() {
				t.Fatal("owed after the connection header")
			}
			for pi, p := range tc.parts {
				for i := range p.b {
					feed(t, r, p.b[i:i+1])
					want := true // inside a packet
					if i == len(p.b)-1 {
						want = p.owedAfter
					}
					if got := r.Owed(); got != want {
						t.Fatalf("part %d, after byte %d of %d: Owed() = %v, want %v", pi, i+1, len(p.b), got, want)
					}
				}
			}
		})
	}
}

// feed hands p to r entirely, failing on a decode error.
func feed(t *testing.T, r *Reader, p []byte) {
	t.Helper()
	for len(p) > 0 {
		n, _, err := r.Next(p)
		if err != nil {
			t.Fatal(err)
		}
		p = p[n:]
	}
}
