// Package scenarios is the catalogue of benchmark cases: what a client sends,
// what the server does with it and when one operation counts as done. It knows
// nothing of any protocol; competitors map each scenario onto their own API.
package scenarios

// Kind is the shape of one operation.
type Kind int

// The shapes of the catalogue.
const (
	// Heartbeat: the client sends the protocol's keep-alive (Sockety Heartbeat
	// packet, HTTP/2 PING). Done when handed to the kernel (or, for protocols
	// whose ping is acknowledged, when acknowledged; the adapter says which).
	Heartbeat Kind = iota + 1
	// OneWay: a message that expects no response. Done when handed to the kernel.
	OneWay
	// FastReply: a message answered by a status code only. Done on the code.
	FastReply
	// Regular: a message answered by a full, empty response. Done on the response.
	Regular
	// Data: a message carrying Size bytes of data, no response. Done when handed
	// to the kernel; the server reads every byte and counts it as delivered.
	Data
	// File: a message carrying one file of Size bytes, no response. As Data.
	File
	// StreamEcho: a message with an attached stream carrying Size bytes; the
	// server echoes the stream back in its response. Done when the echo ended.
	StreamEcho
	// Mixed: fast replies on the same connections while large data transfers
	// run; Parts names the two scenarios and the harness reports each part's
	// latency on its own.
	Mixed
)

// Source says where a payload comes from.
type Source int

// Payload sources.
const (
	// Memory: one in-memory buffer, made once per run.
	Memory Source = iota
	// FS: a real file written once per run to a private temporary directory and
	// read from disk for every operation.
	FS
)

// Scenario is one benchmark case.
type Scenario struct {
	// ID is the stable machine name used in JSON results and filters.
	ID string
	// Name is the display name (the Node.js benchmark's, for Sockety).
	Name string
	// Kind is the shape of one operation.
	Kind Kind
	// Size is the payload size in bytes (0 for shapes without payload).
	Size int
	// Source says whether the payload is read from memory or from disk.
	Source Source
	// Parts lists the IDs of the scenarios a Mixed scenario runs together.
	Parts []string
	// Description states what the client sends, what the server does and when
	// an operation is done.
	Description string
}

// OneWay reports whether an operation completes without any answer from the
// server, so that the server's received counter is the honest throughput.
func (s Scenario) OneWay() bool {
	switch s.Kind {
	case Heartbeat, OneWay, Data, File:
		return true
	}
	return false
}

// Stable scenario IDs (used in JSON results, --list and by adapters).
const (
	IDHeartbeat       = "heartbeat"
	IDNoResponse      = "no-response"
	IDShortResponse   = "short-response"
	IDRegularResponse = "regular-response"
	IDData1MBMemory   = "data-1mb-memory"
	IDData4MBMemory   = "data-4mb-memory"
	IDFile1MBMemory   = "file-1mb-memory"
	IDFile1MBFS       = "file-1mb-fs"
	IDData1MBFS       = "data-1mb-fs"
	IDStreamEcho64K   = "stream-echo-64k"
	IDMixed           = "mixed"
)

// Sizes used by the catalogue.
const (
	KiB = 1 << 10
	MiB = 1 << 20
)

// MixedHeavyShare is the share of a client worker's concurrency that runs the
// heavy part of a Mixed scenario: max(1, concurrency/MixedHeavyShare) operations
// of the heavy part are in flight, the rest run the light part.
const MixedHeavyShare = 25

// catalogue is the ordered list of scenarios; see Catalogue.
var catalogue = []Scenario{
	{ID: IDHeartbeat, Name: "Heartbeat", Kind: Heartbeat,
		Description: "The client sends the protocol's keep-alive (Sockety Heartbeat packet, HTTP/2 PING frame). " +
			"The server does nothing. Done when handed to the kernel, or when acknowledged for protocols whose ping is acknowledged (the adapter's row name says which)."},
	{ID: IDNoResponse, Name: "No response", Kind: OneWay,
		Description: "The client sends a small message that expects no response (Sockety action \"ping\"). " +
			"The server reads it and counts it. Done when handed to the kernel; the server's count is shown as \"delivered\"."},
	{ID: IDShortResponse, Name: "Short response (code)", Kind: FastReply,
		Description: "The client sends a small message (Sockety action \"fast\"); the server answers with a status code only (Sockety fast reply Accept, HTTP 200/204). " +
			"Done when the client has the code."},
	{ID: IDRegularResponse, Name: "Regular response", Kind: Regular,
		Description: "The client sends a small message (Sockety action \"echo\"); the server answers with a full, empty response. " +
			"Done when the client has the whole response."},
	{ID: IDData1MBMemory, Name: "1MB data (memory)", Kind: Data, Size: 1 * MiB, Source: Memory,
		Description: "The client sends a message carrying 1 MiB of data from memory and expects no response. " +
			"The server reads every byte (and checksums it with --verify). Done when handed to the kernel; the server's count is \"delivered\"."},
	{ID: IDData4MBMemory, Name: "4MB data (memory)", Kind: Data, Size: 4 * MiB, Source: Memory,
		Description: "As 1MB data (memory) with 4 MiB of data."},
	{ID: IDFile1MBMemory, Name: "1MB file (memory)", Kind: File, Size: 1 * MiB, Source: Memory,
		Description: "The client sends a message carrying one 1 MiB file from memory and expects no response. " +
			"The server reads the whole file (and checksums it with --verify). Done when handed to the kernel; the server's count is \"delivered\"."},
	{ID: IDFile1MBFS, Name: "1MB file (FS)", Kind: File, Size: 1 * MiB, Source: FS,
		Description: "As 1MB file (memory), but the client reads the file from disk (a real file in a private temporary directory) for every operation."},
	{ID: IDData1MBFS, Name: "1MB data (FS)", Kind: Data, Size: 1 * MiB, Source: FS,
		Description: "As 1MB data (memory), but the client reads the data from disk (a real file in a private temporary directory) for every operation."},
	{ID: IDStreamEcho64K, Name: "Stream echo (64 KiB per op)", Kind: StreamEcho, Size: 64 * KiB, Source: Memory,
		Description: "The client sends a message with an attached stream carrying 64 KiB; the server echoes the stream back in its response. " +
			"Done when the client has read the whole echo (and compared it with --verify)."},
	{ID: IDMixed, Name: "Mixed", Kind: Mixed, Parts: []string{IDShortResponse, IDData4MBMemory},
		Description: "Short responses (code) on the same connections while 4MB data (memory) transfers run: " +
			"max(1, concurrency/25) operations of each client worker send 4 MiB, the others send short-response messages. " +
			"Each part is timed and reported on its own row, so the table shows what large transfers do to small requests' latency."},
}

// Catalogue returns every scenario in display order. The slice is a copy.
func Catalogue() []Scenario {
	out := make([]Scenario, len(catalogue))
	copy(out, catalogue)
	return out
}

// ByID returns the catalogue entry with this ID.
func ByID(id string) (Scenario, bool) {
	for _, s := range catalogue {
		if s.ID == id {
			return s, true
		}
	}
	return Scenario{}, false
}

// PartScenarios returns the scenarios a Mixed scenario runs together, in
// order; it returns nil for other kinds or unknown part IDs.
func (s Scenario) PartScenarios() []Scenario {
	if s.Kind != Mixed {
		return nil
	}
	out := make([]Scenario, 0, len(s.Parts))
	for _, id := range s.Parts {
		p, ok := ByID(id)
		if !ok {
			return nil
		}
		out = append(out, p)
	}
	return out
}

// String returns the kind's name as used in JSON results.
func (k Kind) String() string {
	switch k {
	case Heartbeat:
		return "heartbeat"
	case OneWay:
		return "one-way"
	case FastReply:
		return "fast-reply"
	case Regular:
		return "regular"
	case Data:
		return "data"
	case File:
		return "file"
	case StreamEcho:
		return "stream-echo"
	case Mixed:
		return "mixed"
	}
	return "unknown"
}

// String returns the source's name as used in JSON results.
func (s Source) String() string {
	if s == FS {
		return "fs"
	}
	return "memory"
}
