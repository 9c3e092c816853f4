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
