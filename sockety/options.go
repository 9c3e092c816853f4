package sockety

import (
	"crypto/tls"
	"time"
)

// Options configure a connection. The zero value is usable: every zero field
// takes the default documented on it. A nil *Options means all defaults.
//
// Memory per connection is bounded. Replies awaited: a table of 1024
// waiter slots (8 KiB), the waiters themselves, and a map for those that
// do not fit in it. Writing: the queue holds at most
// WriteQueueBytes (plus the batch being written, so twice that), and each
// long outgoing transfer adds at most two ChunkSize buffers when its payload
// comes from an io.Reader. Reading: one ReadBufferSize buffer (growing to
// 4x for bulk transfers), the codec's buffer for split message headers (4
// MiB), and incoming payload bytes not yet consumed, bounded by
// MaxBufferedBytes plus 32 KiB per payload arriving concurrently (at most
// Channels of them). Payload bytes are lent to their reader straight from
// the read buffers when possible (no copy): read buffers held that way add
// up to at most MaxBufferedBytes/2 more; action names and file names of
// messages in progress, and small messages collected whole, each count
// against MaxBufferedBytes too (exceeding it with headers is a protocol
// error). With the defaults and a well-behaved peer that is a few MiB; the
// worst case with a hostile peer using all 4096 channels is about 150 MiB.
//
// When the buffered incoming payload reaches its bound, the read loop stops
// reading until a consumer reads: that is the backpressure towards the
// peer, and it also delays every other message and reply on the connection
// (head-of-line blocking). Read payloads promptly, or concurrently.
type Options struct {
	// Channels is the number of channels this side announces in its
	// connection header (1-4096, default 4096). The peer may open at most
	// that many concurrent messages towards us; we use at most the smaller of
	// ours and the peer's announcement for writing.
	Channels int

	// TLSConfig, when set, makes Dial run TLS over the connection (client)
	// or makes ListenAndServe serve TLS (server); TLS 1.2 is the minimum
	// whatever its MinVersion says.
	TLSConfig *tls.Config

	// Handler receives the messages the peer sends on this connection. A nil
	// Handler answers every message expecting a response with NotImplemented.
	Handler Handler

	// OnError is called once, from the connection's own goroutine, when the
	// connection ends with an error other than a normal close.
	OnError func(c *Conn, err error)

	// OnHeartbeat, when set, is called from the read loop for every
	// Heartbeat packet received (it must not block).
	OnHeartbeat func(c *Conn)

	// HeartbeatInterval is how long the write side may stay idle before a
	// Heartbeat packet is sent (default 15s; negative disables).
	HeartbeatInterval time.Duration
	// IdleTimeout closes the connection when nothing at all was received for
	// this long (default 60s; negative disables). Keep it above the peer's
	// heartbeat interval.
	IdleTimeout time.Duration
	// WriteTimeout ends the connection when one batch of writes makes no
	// progress for this long: a peer that stops reading entirely (default
	// 60s; negative disables).
	//
	// These checks (heartbeat, idle and write timeouts) run every half
	// HeartbeatInterval or quarter timeout, whichever is shortest, from
	// one timer shared by all connections of the process: a timeout is
	// noticed up to a quarter of its length late, and the write system
	// call of a batch is never given a deadline of its own.
	WriteTimeout time.Duration
	// HeaderTimeout bounds the connection header exchange, and the TLS
	// handshake when there is one (default 10s).
	HeaderTimeout time.Duration
	// MinReceiveRate is the slowest the peer may send, in bytes per
	// second, while it owes us bytes: inside a packet, or with a message
	// or response whose content, data or files have not all arrived (a
	// stream's pace is its sender's and does not count). It ends a peer
	// that trickles a message to hold the connection (slowloris) with
	// ErrSlowPeer. Only time spent waiting for the network counts, so a
	// handler that reads slowly (backpressure) never makes its peer slow.
	// Default 240 (as Kestrel's request body rate); negative disables.
	MinReceiveRate int
	// ReceiveRateWindow is the period over which MinReceiveRate is
	// averaged; it is also the grace period of a message's first bytes
	// (default 5s).
	ReceiveRateWindow time.Duration

	// ReadBufferSize is the size of the buffer the read loop reads into
	// (default 64 KiB).
	ReadBufferSize int
	// ChunkSize is the largest payload piece written at once for one channel
	// before other channels get their turn (default 64 KiB).
	ChunkSize int
	// WriteQueueBytes bounds the bytes queued for writing; senders block
	// (honouring their context) while it is full (default 2 MiB: one write
	// of up to 32 chunks; 1 MiB cost bulk transfers 15-25% of throughput
	// in BenchmarkData1MiB, with twice the wake-ups per byte).
	WriteQueueBytes int

	// NotSentLowat, when positive, bounds the bytes the kernel holds
	// unsent on a TCP connection (TCP_NOTSENT_LOWAT, Linux), so that small
	// messages are not queued behind megabytes of a large transfer in the
	// socket buffer. It lowers small-message latency during large
	// transfers (BenchmarkFastDuringTransfer: about 2x with 256 KiB) at
	// some cost in bulk throughput; default 0 keeps the system's setting.
	NotSentLowat int

	// MaxBufferedBytes bounds incoming payload bytes (data, files, streams)
	// received but not yet read by the application, over the whole
	// connection (default 8 MiB). When it is reached the read loop stops
	// reading until a consumer reads: this is backpressure towards the
	// peer, and it also delays every other message on the connection
	// (head-of-line blocking), so read payloads promptly or concurrently.
	MaxBufferedBytes int
	// MaxMessageBuffer bounds the buffered unread bytes of one payload of
	// one message (default 1 MiB).
	MaxMessageBuffer int
	// SmallMessage is the largest total of data and file bytes for a
	// message without a stream that is collected whole before the handler
	// runs (default 64 KiB). Such messages can be handled on the read loop
	// by an inline handler; larger ones are streamed to a handler running in
	// its own goroutine.
	SmallMessage int

	// MaxActionLength bounds incoming action names (default 65535, the
	// protocol's maximum).
	MaxActionLength int
	// MaxFiles bounds the number of files in one incoming message or
	// response (default 1024).
	MaxFiles int
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.Channels <= 0 || r.Channels > 4096 {
		r.Channels = 4096
	}
	if r.HeartbeatInterval == 0 {
		r.HeartbeatInterval = 15 * time.Second
	}
	if r.IdleTimeout == 0 {
		r.IdleTimeout = 60 * time.Second
	}
	if r.WriteTimeout == 0 {
		r.WriteTimeout = 60 * time.Second
	}
	if r.HeaderTimeout <= 0 {
		r.HeaderTimeout = 10 * time.Second
	}
	if r.MinReceiveRate == 0 {
		r.MinReceiveRate = 240
	}
	if r.ReceiveRateWindow <= 0 {
		r.ReceiveRateWindow = 5 * time.Second
	}
	if r.ReadBufferSize <= 0 {
		r.ReadBufferSize = 64 << 10
	}
	if r.ReadBufferSize < 1024 {
		r.ReadBufferSize = 1024
	}
	if r.ChunkSize <= 0 {
		r.ChunkSize = defaultChunkSize
	}
	if r.WriteQueueBytes <= 0 {
		r.WriteQueueBytes = 2 << 20
	}
	if r.MaxBufferedBytes <= 0 {
		r.MaxBufferedBytes = 8 << 20
	}
	if r.MaxMessageBuffer <= 0 {
		r.MaxMessageBuffer = 1 << 20
	}
	if r.MaxMessageBuffer > r.MaxBufferedBytes {
		r.MaxMessageBuffer = r.MaxBufferedBytes
	}
	if r.SmallMessage <= 0 {
		r.SmallMessage = 64 << 10
	}
	if r.MaxActionLength <= 0 || r.MaxActionLength > 65535 {
		r.MaxActionLength = 65535
	}
	if r.MaxFiles <= 0 {
		r.MaxFiles = 1024
	}
	return r
}

// defaultChunkSize is Options.ChunkSize's default.
var defaultChunkSize = 64 << 10
