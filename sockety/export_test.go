package sockety

import (
	"os"
	"strconv"
)

// SOCKETY_INFLIGHT_CHUNKS overrides inFlightChunks in tests and benchmarks
// (for A/B measurements in one build).
func init() {
	if n, err := strconv.Atoi(os.Getenv("SOCKETY_INFLIGHT_CHUNKS")); err == nil && n >= 2 {
		inFlightChunks = n
	}
}

// SOCKETY_CHUNK overrides the default chunk size in tests and benchmarks.
func init() {
	if n, err := strconv.Atoi(os.Getenv("SOCKETY_CHUNK")); err == nil && n >= 4096 {
		defaultChunkSize = n
	}
}

// Reads is the number of Read calls on the connection (for benchmarks).
func (c *Conn) Reads() uint64 { return c.reads.Load() }

// SOCKETY_YIELD_MORE overrides yieldMore (A/B measurements in one build).
func init() {
	if n, err := strconv.Atoi(os.Getenv("SOCKETY_YIELD_MORE")); err == nil && n >= 0 {
		yieldMore = n
	}
}

// ClockConns is how many connections theClock checks (tests: every
// connection unregisters when it ends).
func ClockConns() int {
	theClock.mu.Lock()
	defer theClock.mu.Unlock()
	return len(theClock.conns)
}
