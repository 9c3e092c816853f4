package wire

import "testing"

func TestQuick(t *testing.T) {
	var b []byte
	b, _ = AppendConnHeader(b, 4096)
	m := &MessageHeader{ID: UUID{1, 2, 3}, Action: "a", DataSize: 3, HasStream: true, Expects: true, Files: []FileHeader{{Name: "f", Size: 2}, {Name: "g", Size: 0}}}
	b, _ = AppendMessage(b, m)
	b, _ = AppendData(b, []byte("xyz"))
	b, _ = AppendFile(b, 0, []byte("ab"))
	b, _ = AppendFileEnd(b, 0)
	b, _ = AppendFileEnd(b, 1)
	b, _ = AppendStream(b, []byte("s"))
	b = AppendStreamEnd(b)
	b = AppendHeartbeat(b)
	ev, err := decodeThreeWays(ReaderOptions{}, b, 1)
	for _, e := range ev {
		t.Log(e)
	}
	if err != nil {
		t.Fatal(err)
	}
}
