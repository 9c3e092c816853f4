package wire

import "strconv"

// Kind is the type of a packet or reader event.
type Kind uint8

// Packet and event kinds.
const (
	KindNone          Kind = iota // zero value: no packet
	KindConnHeader                // connection header (control byte + channel count)
	KindSwitchChannel             // Switch Channel (low or 12-bit form)
	KindMessage                   // Message (content complete)
	KindResponse                  // Response (content complete)
	KindContinue                  // Continue (only reported with ReaderOptions.ContinueEvents)
	KindFastReply                 // Fast Reply (low or 12-bit form)
	KindHeartbeat                 // Heartbeat
	KindGoAway                    // Go Away
	KindAbort                     // Abort
	KindData                      // Data (a piece of one packet's payload)
	KindStream                    // Stream (a piece of one packet's payload)
	KindStreamEnd                 // Stream End
	KindFile                      // File (a piece of one packet's payload)
	KindFileEnd                   // File End
)

var kindNames = [...]string{
	KindNone:          "none",
	KindConnHeader:    "header",
	KindSwitchChannel: "switch",
	KindMessage:       "message",
	KindResponse:      "response",
	KindContinue:      "continue",
	KindFastReply:     "fast-reply",
	KindHeartbeat:     "heartbeat",
	KindGoAway:        "go-away",
	KindAbort:         "abort",
	KindData:          "data",
	KindStream:        "stream",
	KindStreamEnd:     "stream-end",
	KindFile:          "file",
	KindFileEnd:       "file-end",
}

// String returns a short lower-case name ("message", "fast-reply", ...),
// the names used by the decoder tool and the conformance vectors.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Packet type nibbles (the high four bits of a packet's first byte).
const (
	nibSwitchLow  = 0x0
	nibSwitch     = 0x1
	nibMessage    = 0x2
	nibFastLow    = 0x3
	nibFast       = 0x4
	nibResponse   = 0x5
	nibContinue   = 0x6
	nibStream     = 0x7
	nibStreamEnd  = 0x8
	nibAbort      = 0x9
	nibHeartbeat  = 0xA
	nibGoAway     = 0xB
	nibFile       = 0xC
	nibFileEnd    = 0xD
	nibData       = 0xE
	nibUnused     = 0xF
	headerControl = 0xE0 // 0b111000AA
)

// Protocol limits.
const (
	MaxChannels   = 4096      // channels 0-4095
	MaxCode       = 4095      // largest Fast Reply code
	MaxActionSize = 65535     // largest action name, in bytes
	MaxNameSize   = 65535     // largest file name, in bytes
	MaxFileCount  = 1<<24 - 1 // largest number of files in one message
	MaxFileIndex  = MaxFileCount - 1
	MaxPacketSize = 1<<32 - 1 // largest packet size field
	MaxSize48     = 1<<48 - 1 // largest data, file or total files size
)

// Single-byte packets.
const (
	ByteHeartbeat = 0xA0
	ByteGoAway    = 0xB0
	ByteAbort     = 0x90
	ByteStreamEnd = 0x80
)
