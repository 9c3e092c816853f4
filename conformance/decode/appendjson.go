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

func appendFiles(dst []byte, fs []FileHead) []byte {
	dst = append(dst, '[')
	for i, f := range fs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"size":`...)
		dst = strconv.AppendUint(dst, f.Size, 10)
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, f.Name)
		dst = append(dst, '}')
	}
	return append(dst, ']')
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
			dst = appendFiles(dst, p.Files)
		case "code":
			dst = strconv.AppendInt(dst, int64(p.Code), 10)
		case "index":
			dst = strconv.AppendInt(dst, int64(p.Index), 10)
		case "payload":
			dst = append(dst, '"')
			dst = hex.AppendEncode(dst, p.Payload)
			dst = append(dst, '"')
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
		dst = appendKey(dst, "payloadLength")
		dst = strconv.AppendUint(dst, l.PayloadLen, 10)
		dst = appendKey(dst, "preview")
		dst = append(dst, '"')
		dst = hex.AppendEncode(dst, l.Packet.Payload)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// AppendJSON appends the decode tool's summary line (without newline).
func (s *Summary) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"summary":`...)
	dst = appendString(dst, s.Type)
	dst = appendKey(dst, "channel")
	dst = strconv.AppendInt(dst, int64(s.Channel), 10)
	dst = appendKey(dst, "id")
	dst = appendString(dst, s.ID)
	if s.RequestID != "" {
		dst = appendKey(dst, "requestId")
		dst = appendString(dst, s.RequestID)
	}
	if s.Action != "" {
		dst = appendKey(dst, "action")
		dst = appendString(dst, s.Action)
	}
	dst = appendKey(dst, "offset")
	dst = strconv.AppendInt(dst, s.Offset, 10)
	dst = appendKey(dst, "dataSize")
	dst = strconv.AppendUint(dst, s.DataSize, 10)
	dst = appendKey(dst, "dataReceived")
	dst = strconv.AppendUint(dst, s.DataReceived, 10)
	dst = appendKey(dst, "files")
	dst = append(dst, '[')
	for i, f := range s.Files {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"index":`...)
		dst = strconv.AppendInt(dst, int64(f.Index), 10)
		dst = appendKey(dst, "name")
		dst = appendString(dst, f.Name)
		dst = appendKey(dst, "size")
		dst = strconv.AppendUint(dst, f.Size, 10)
		dst = appendKey(dst, "received")
		dst = strconv.AppendUint(dst, f.Received, 10)
		dst = appendKey(dst, "ended")
		dst = appendBool(dst, f.Ended)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = appendKey(dst, "stream")
	dst = appendBool(dst, s.Stream)
	dst = appendKey(dst, "streamChunks")
	dst = strconv.AppendInt(dst, int64(s.StreamChunks), 10)
	dst = appendKey(dst, "streamBytes")
	dst = strconv.AppendUint(dst, s.StreamBytes, 10)
	dst = appendKey(dst, "streamEnded")
	dst = appendBool(dst, s.StreamEnded)
	dst = appendKey(dst, "contentComplete")
	dst = appendBool(dst, s.ContentComplete)
	dst = appendKey(dst, "aborted")
	dst = appendBool(dst, s.Aborted)
	dst = appendKey(dst, "complete")
	dst = appendBool(dst, s.Complete)
	return append(dst, '}')
}
