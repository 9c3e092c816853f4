// Package sockety is a Go implementation of the Sockety protocol: a binary,
// multiplexed message protocol over TCP or TLS (specification: repository
// sockety/protocol; byte layouts in package wire).
//
// # Connections
//
// Dial (client) and Server.Serve (server) both end in a *Conn once the
// connection headers were exchanged; from then on both sides are equal:
// either can send messages (Pass, Send, SendMulti, Call, CallFunc, Start) and answer
// the messages it receives (Message.FastReply, Respond, RespondStart).
// Received messages go to the connection's Handler (Options.Handler, or
// Server.Handler), for example a Router dispatching by action name.
//
//	srv := &sockety.Server{Handler: router}
//	go srv.Serve(ln)
//	c, err := sockety.Dial(ctx, "tcp", addr, nil)
//	rep, err := c.Call(ctx, &sockety.Outgoing{Action: "fast"})
//	if rep.IsFast() && rep.Code == sockety.Accept { ... }
//
// Call parks its goroutine until the reply comes. CallFunc instead returns
// once the message is queued and calls a function with the reply, on the
// connection's read loop: one goroutine can keep hundreds of calls in
// flight (as a Node.js client does), at about half the CPU per round trip
// of a goroutine parked per call.
//
// # Payloads
//
// Outgoing data and files come from memory or from io.Readers with declared
// sizes, read chunk by chunk while they are sent; a stream is written
// through Request.Stream. Incoming data, files and streams are Payloads:
// io.Readers that yield bytes while they arrive (Payload.Bytes reads a small
// one into memory). A message whose payload is at most Options.SmallMessage
// and has no stream is collected whole before its handler runs.
//
// # How a connection works
//
// One writer goroutine per connection drains a bounded queue: senders
// append their packets to a shared buffer under a lock (no allocation per
// packet), the writer swaps the buffer out and writes it with one system
// call, so packets from many goroutines are coalesced; payload slices above
// 4 KiB are written in place with writev. Long payloads are cut into chunks
// of Options.ChunkSize, each long transfer holding a channel and at most two
// chunks in the queue, so channels take turns and a small message never
// waits behind more than a few chunks. One reader goroutine reads into a
// 64 KiB buffer and feeds the codec; small complete messages are handled on
// it when the handler is an InlineHandler that accepts them, otherwise each
// message gets a goroutine. Replies are matched to requests through a
// per-connection table of waiter slots indexed by the UUID's first bytes
// (one compare-and-swap per reply; a sharded map for the rest); UUIDs are
// version 4 from the runtime's per-thread ChaCha8 generator. A small
// message's start packet is encoded and its reply waiter registered before
// the writer lock is taken, so the lock only covers the copy into the
// batch. Heartbeats, idle and write timeouts of all connections are
// checked from one process-wide timer.
//
// # Limits and robustness
//
// A peer that violates the protocol ends its connection with a
// *ProtocolError (wrapping the codec's error class, e.g. wire.ErrUnexpected,
// or ErrLimit); other connections are unaffected, and pending requests and
// payload readers get the error. The limits are Options fields: Channels
// (announced channel count, 4096 max), MaxActionLength, MaxFiles,
// MaxBufferedBytes and MaxMessageBuffer (buffered incoming payload, also
// bounding kept header bytes and collected small messages), WriteQueueBytes,
// HeaderTimeout, IdleTimeout and MinReceiveRate (a peer that trickles a
// packet or a message is cut: slowloris); the Options doc states the resulting memory
// bound. A declared size is never allocated up front beyond SmallMessage.
// Handler panics end the connection, not the process.
//
// Go Away: Conn.GoAway announces a shutdown (new messages are refused on
// both sides); Server.Shutdown sends it on every connection, waits for the
// handlers in flight, flushes and closes. Abort: a send whose context is
// cancelled half-way sends Abort, and the receiver's payload readers get
// ErrAborted.
package sockety
