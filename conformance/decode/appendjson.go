package decode

import (
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// appendString appends s as a JSON string: quotes, backslash and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json).
func appendString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&15])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

func appendKey(dst []byte, k string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, k...)
	return append(dst, '"', ':')
}

func appendBool(dst []byte, b bool) []byte { return strconv.AppendBool(dst, b) }

// appendHex appends b as a quoted hex string.
func appendHex(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, b)
	return append(dst, '"')
}

// The append*Field functions append ,"k":v.

func appendIntField(dst []byte, k string, v int64) []byte {
	return strconv.AppendInt(appendKey(dst, k), v, 10)
}

func appendUintField(dst []byte, k string, v uint64) []byte {
	return strconv.AppendUint(appendKey(dst, k), v, 10)
}

func appendStringField(dst []byte, k, v string) []byte {
	return appendString(appendKey(dst, k), v)
}

func appendBoolField(dst []byte, k string, v bool) []byte {
	return appendBool(appendKey(dst, k), v)
}

// appendArray appends the JSON array of xs, each element appended by elem.
func appendArray[T any](dst []byte, xs []T, elem func([]byte, T) []byte) []byte {
	dst = append(dst, '[')
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = elem(dst, x)
	}
	return append(dst, ']')
}

func appendFileHead(dst []byte, f FileHead) []byte {
	dst = append(dst, `{"size":`...)
	dst = strconv.AppendUint(dst, f.Size, 10)
	dst = appendStringField(dst, "name", f.Name)
	return append(dst, '}')
}

func appendFileSummary(dst []byte, f FileSummary) []byte {
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, int64(f.Index), 10)
	dst = appendStringField(dst, "name", f.Name)
	dst = appendUintField(dst, "size", f.Size)
	dst = appendUintField(dst, "received", f.Received)
	dst = appendBoolField(dst, "ended", f.Ended)
	return append(dst, '}')
}

// appendFields appends ,"name":value for every canonical field of p's type;
// the payload is left out when withPayload is false.
func (p *Packet) appendFields(dst []byte, withPayload bool) []byte {
	for _, n := range fields[p.Type] {
		if n == "payload" && !withPayload {
			continue
		}
		dst = appendKey(dst, n)
		switch n {
		case "channel":
			dst = strconv.AppendInt(dst, int64(p.Channel), 10)
		case "channels":
			dst = strconv.AppendInt(dst, int64(p.Channels), 10)
		case "size":
			dst = strconv.AppendUint(dst, p.Size, 10)
		case "stream":
			dst = appendBool(dst, p.Stream)
		case "expectsResponse":
			dst = appendBool(dst, p.ExpectsResponse)
		case "id":
			dst = appendString(dst, p.ID)
		case "requestId":
			dst = appendString(dst, p.RequestID)
		case "action":
			dst = appendString(dst, p.Action)
		case "dataSize":
			dst = strconv.AppendUint(dst, p.DataSize, 10)
		case "filesSize":
			dst = strconv.AppendUint(dst, p.FilesSize, 10)
		case "files":
			dst = appendArray(dst, p.Files, appendFileHead)
		case "code":
			dst = strconv.AppendInt(dst, int64(p.Code), 10)
		case "index":
			dst = strconv.AppendInt(dst, int64(p.Index), 10)
		case "payload":
			dst = appendHex(dst, p.Payload)
		}
	}
	return dst
}

// AppendJSON appends the canonical JSON form of p.
func (p *Packet) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, p.Type)
	dst = p.appendFields(dst, true)
	return append(dst, '}')
}

// AppendJSON appends the decode tool's line for a packet (without newline).
func (l *Line) AppendJSON(dst []byte) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, `{"offset":`...)
	dst = strconv.AppendInt(dst, l.Offset, 10)
	dst = append(dst, `,"byte":"`...)
	dst = append(dst, hexDigits[l.First>>4], hexDigits[l.First&15], '"')
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, l.Packet.Type)
	dst = l.Packet.appendFields(dst, false)
	switch l.Packet.Type {
	case TypeData, TypeStream, TypeFile:
		dst = appendUintField(dst, "payloadLength", l.PayloadLen)
		dst = appendHex(appendKey(dst, "preview"), l.Packet.Payload)
	}
	return append(dst, '}')
}

// AppendJSON appends the decode tool's summary line (without newline).
func (s *Summary) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"summary":`...)
	dst = appendString(dst, s.Type)
	dst = appendIntField(dst, "channel", int64(s.Channel))
	dst = appendStringField(dst, "id", s.ID)
	if s.RequestID != "" {
		dst = appendStringField(dst, "requestId", s.RequestID)
	}
	if s.Action != "" {
		dst = appendStringField(dst, "action", s.Action)
	}
	dst = appendIntField(dst, "offset", s.Offset)
	dst = appendUintField(dst, "dataSize", s.DataSize)
	dst = appendUintField(dst, "dataReceived", s.DataReceived)
	dst = appendArray(appendKey(dst, "files"), s.Files, appendFileSummary)
	dst = appendBoolField(dst, "stream", s.Stream)
	dst = appendIntField(dst, "streamChunks", int64(s.StreamChunks))
	dst = appendUintField(dst, "streamBytes", s.StreamBytes)
	dst = appendBoolField(dst, "streamEnded", s.StreamEnded)
	dst = appendBoolField(dst, "contentComplete", s.ContentComplete)
	dst = appendBoolField(dst, "aborted", s.Aborted)
	dst = appendBoolField(dst, "complete", s.Complete)
	return append(dst, '}')
}
