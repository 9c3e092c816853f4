package scenarios

import (
	"bytes"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// MaxPayloadSize bounds every payload a run can ask for, so that no size read
// from a peer or a flag can make a process allocate without limit.
const MaxPayloadSize = 64 * MiB

// castagnoli is the CRC-32C table (hardware accelerated on amd64 and arm64).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C of b, the checksum used by --verify.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// NewHash returns a streaming CRC-32C, for payloads that arrive in chunks;
// its Sum32 equals Checksum of the concatenated chunks.
func NewHash() hash.Hash32 { return crc32.New(castagnoli) }

// NewSeed returns a fresh random seed for a run.
func NewSeed() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; fall back anyway.
		return rand.Uint64()
	}
	return binary.LittleEndian.Uint64(b[:])
}

// Payloads holds the random payloads of one run. They are derived from Seed so
// that every worker process of the run (clients and servers) has the same
// bytes without sending them around, and a server can verify what it receives.
//
// Bytes(n) is the first n bytes of one deterministic random stream (ChaCha8
// keyed by Seed), so a payload of any size can be checked against any other.
// The zero value with Seed set is ready to use; everything is made lazily, once,
// and is safe for concurrent use. Returned slices are shared: never modify them.
type Payloads struct {
	// Seed selects the random stream; workers of one run share it.
	Seed uint64
	// BaseDir is where the private payload directory is made ("" means the
	// system's temporary directory). The harness points it at a directory it
	// removes itself, so files never outlive a killed worker.
	BaseDir string

	stream atomic.Pointer[[]byte] // the stream generated so far

	mu     sync.Mutex
	dir    string         // private temporary directory, made by the first Path
	files  map[int]string // size -> file holding Bytes(size)
	sums   map[int]uint32 // size -> Checksum(Bytes(size))
	closed bool
}

// New returns the payloads of a run with this seed.
func New(seed uint64) *Payloads { return &Payloads{Seed: seed} }

// Bytes returns the first n bytes of the run's random stream. It panics when n
// is negative or above MaxPayloadSize (a programming error: sizes come from
// the catalogue).
func (p *Payloads) Bytes(n int) []byte {
	if n < 0 || n > MaxPayloadSize {
		panic(fmt.Sprintf("scenarios: payload size %d out of range [0, %d]", n, MaxPayloadSize))
	}
	if s := p.stream.Load(); s != nil && len(*s) >= n {
		return (*s)[:n:n]
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.stream.Load(); s != nil && len(*s) >= n {
		return (*s)[:n:n]
	}
	size := 4 * MiB // the catalogue's largest payload: usually made once
	if s := p.stream.Load(); s != nil && 2*len(*s) > size {
		size = 2 * len(*s)
	}
	size = max(size, n)
	size = min(size, MaxPayloadSize)
	buf := generate(p.Seed, size)
	p.stream.Store(&buf)
	return buf[:n:n]
}

// generate returns the first n bytes of the stream keyed by seed.
func generate(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	copy(key[8:], "sockety-harness payloads")
	buf := make([]byte, n)
	// ChaCha8.Read never fails.
	_, _ = rand.NewChaCha8(key).Read(buf)
	return buf
}

// Sum returns Checksum(Bytes(n)), computed once per size.
func (p *Payloads) Sum(n int) uint32 {
	b := p.Bytes(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.sums[n]; ok {
		return s
	}
	if p.sums == nil {
		p.sums = map[int]uint32{}
	}
	s := Checksum(b)
	p.sums[n] = s
	return s
}

// Match reports whether b equals the stream's bytes at offset off, so that a
// receiver can check chunks as they arrive without hashing. Offsets beyond
// MaxPayloadSize never match.
func (p *Payloads) Match(off int, b []byte) bool {
	if off < 0 || off > MaxPayloadSize || len(b) > MaxPayloadSize-off {
		return false
	}
	return bytes.Equal(p.Bytes(off + len(b))[off:], b)
}

// Path returns a file holding Bytes(n), written once into a private temporary
// directory (mode 0700, files 0600) that Close removes.
func (p *Payloads) Path(n int) (string, error) {
	b := p.Bytes(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return "", fmt.Errorf("scenarios: payloads closed")
	}
	if f, ok := p.files[n]; ok {
		return f, nil
	}
	if p.dir == "" {
		dir, err := os.MkdirTemp(p.BaseDir, "sockety-bench-payloads-")
		if err != nil {
			return "", fmt.Errorf("scenarios: payload directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			_ = os.RemoveAll(dir)
			return "", fmt.Errorf("scenarios: payload directory: %w", err)
		}
		p.dir = dir
		p.files = map[int]string{}
	}
	name := filepath.Join(p.dir, fmt.Sprintf("payload-%d.bin", n))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("scenarios: payload file: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("scenarios: payload file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("scenarios: payload file: %w", err)
	}
	p.files[n] = name
	return name, nil
}

// Dir returns the private directory of the payload files, or "" before the
// first Path.
func (p *Payloads) Dir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dir
}

// Close removes the payload files and their directory. Bytes keeps working.
func (p *Payloads) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.dir == "" {
		return nil
	}
	dir := p.dir
	p.dir, p.files = "", nil
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("scenarios: remove payloads: %w", err)
	}
	return nil
}
