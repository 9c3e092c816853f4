package scenarios

// Payloads holds the random payloads of one run. They are derived from Seed so
// that every worker process of the run (clients and servers) has the same
// bytes without sending them around, and a server can verify what it receives.
//
// TODO(harness): implement: New(seed, dir) making the bytes once per size
// (Bytes(n) returns the first n bytes of one deterministic random stream, so a
// payload of any size can be checked), Path(n) for FS scenarios (a file written
// once to a private temporary directory, removed by Close), and a cheap
// checksum per size for verification.
type Payloads struct {
	Seed uint64
}
