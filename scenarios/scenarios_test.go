package scenarios

import (
	"bytes"
	"os"
	"testing"
)

func TestCatalogue(t *testing.T) {
	want := []string{"Heartbeat", "No response", "Short response (code)", "Regular response",
		"1MB data (memory)", "4MB data (memory)", "1MB file (memory)", "1MB file (FS)",
		"1MB data (FS)", "Stream echo (64 KiB per op)", "Mixed"}
	cat := Catalogue()
	if len(cat) != len(want) {
		t.Fatalf("catalogue has %d scenarios, want %d", len(cat), len(want))
	}
	ids := map[string]bool{}
	for i, s := range cat {
		if s.Name != want[i] {
			t.Errorf("scenario %d is %q, want %q", i, s.Name, want[i])
		}
		if s.ID == "" || ids[s.ID] {
			t.Errorf("scenario %q: empty or duplicate ID %q", s.Name, s.ID)
		}
		ids[s.ID] = true
		if s.Description == "" || s.Kind == 0 || s.Kind.String() == "unknown" {
			t.Errorf("scenario %q: missing description or kind", s.Name)
		}
		if (s.Kind == Data || s.Kind == File || s.Kind == StreamEcho) && s.Size <= 0 {
			t.Errorf("scenario %q: payload kind without size", s.Name)
		}
		got, ok := ByID(s.ID)
		if !ok || got.Name != s.Name {
			t.Errorf("ByID(%q) = %v, %v", s.ID, got.Name, ok)
		}
	}
	mixed, _ := ByID(IDMixed)
	parts := mixed.PartScenarios()
	if len(parts) != 2 || parts[0].ID != IDShortResponse || parts[1].ID != IDData4MBMemory {
		t.Errorf("mixed parts = %v", parts)
	}
	if _, ok := ByID("nope"); ok {
		t.Error("ByID found an unknown ID")
	}
	oneWay := map[string]bool{IDHeartbeat: true, IDNoResponse: true, IDData1MBMemory: true, IDData4MBMemory: true,
		IDFile1MBMemory: true, IDFile1MBFS: true, IDData1MBFS: true}
	for _, s := range cat {
		if s.OneWay() != oneWay[s.ID] {
			t.Errorf("%s: OneWay() = %v", s.ID, s.OneWay())
		}
	}
}

func TestPayloadsDeterministicPrefix(t *testing.T) {
	a, b := New(42), New(42)
	small := a.Bytes(1000)
	big := b.Bytes(5 * MiB) // forces growth past the first block on b
	if !bytes.Equal(small, big[:1000]) {
		t.Fatal("Bytes(n) is not a prefix of one stream")
	}
	if !bytes.Equal(a.Bytes(5*MiB), big) {
		t.Fatal("same seed gave different streams")
	}
	if bytes.Equal(New(43).Bytes(1000), small) {
		t.Fatal("different seeds gave the same bytes")
	}
	if a.Sum(1000) != Checksum(small) {
		t.Fatal("Sum mismatch")
	}
	h := NewHash()
	h.Write(big[:300])
	h.Write(big[300:1000])
	if h.Sum32() != a.Sum(1000) {
		t.Fatal("streaming hash differs from Checksum")
	}
	if !a.Match(500, big[500:900]) || a.Match(500, big[501:901]) {
		t.Fatal("Match wrong")
	}
	if a.Match(MaxPayloadSize, []byte{1}) || a.Match(-1, nil) {
		t.Fatal("Match accepted an offset out of range")
	}
}

func TestPayloadsBytesOutOfRangePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	New(1).Bytes(MaxPayloadSize + 1)
}

func TestPayloadsFiles(t *testing.T) {
	p := New(7)
	path, err := p.Path(64 * KiB)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.Path(64 * KiB)
	if err != nil || again != path {
		t.Fatalf("second Path = %q, %v", again, err)
	}
	data, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(data, p.Bytes(64*KiB)) {
		t.Fatalf("file content differs: %v", err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", st.Mode().Perm())
	}
	dst, _ := os.Stat(p.Dir())
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", dst.Mode().Perm())
	}
	dir := p.Dir()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("directory still there: %v", err)
	}
	if _, err := p.Path(1); err == nil {
		t.Fatal("Path after Close succeeded")
	}
}

func BenchmarkPayloadsGenerate4MiB(b *testing.B) {
	b.SetBytes(4 * MiB)
	for i := 0; i < b.N; i++ {
		generate(uint64(i), 4*MiB)
	}
}
