package wire

import (
	"fmt"
	"unicode/utf8"
)

// FileHeader describes one file of an outgoing Message or Response.
type FileHeader struct {
	Name string // UTF-8, at most 65535 bytes
	Size uint64 // at most MaxSize48
}

// MessageHeader describes the content of an outgoing Message.
type MessageHeader struct {
	ID        UUID
	Action    string // UTF-8, at most 65535 bytes
	Expects   bool   // the sender expects a response (bit C)
	HasStream bool   // a stream is attached (bit B)
	DataSize  uint64 // 0 = no data; at most MaxSize48
	Files     []FileHeader
}

// ResponseHeader describes the content of an outgoing Response.
type ResponseHeader struct {
	MessageID UUID // the Message this responds to
	ID        UUID
	Expects   bool
	HasStream bool
	DataSize  uint64
	Files     []FileHeader
}

func rangeErr(what string, v uint64, max uint64) error {
	return fmt.Errorf("wire: %s %d above %d: %w", what, v, max, ErrValueRange)
}

// AppendConnHeader appends the connection header announcing channels
// (1-4096): 0xE0 for 1, 0xE1 + uint8 up to 255, 0xE2 + uint16 up to 4095,
// 0xE3 for 4096.
func AppendConnHeader(dst []byte, channels int) ([]byte, error) {
	switch {
	case channels < 1 || channels > MaxChannels:
		return dst, fmt.Errorf("wire: channel count %d not in 1-4096: %w", channels, ErrValueRange)
	case channels == 1:
		return append(dst, headerControl), nil
	case channels <= 0xFF:
		return append(dst, headerControl|1, byte(channels)), nil
	case channels < MaxChannels:
		return append(dst, headerControl|2, byte(channels), byte(channels>>8)), nil
	}
	return append(dst, headerControl|3), nil
}

// AppendSwitchChannel appends a Switch Channel packet: the one-byte low form
// for channels 0-15, the 12-bit form for 16-4095.
func AppendSwitchChannel(dst []byte, ch int) ([]byte, error) {
	if ch < 0 || ch >= MaxChannels {
		return dst, fmt.Errorf("wire: channel %d not in 0-4095: %w", ch, ErrValueRange)
	}
	if ch < 16 {
		return append(dst, byte(ch)), nil
	}
	return append(dst, nibSwitch<<4|byte(ch>>8), byte(ch)), nil
}

// AppendHeartbeat appends a Heartbeat packet (0xA0).
func AppendHeartbeat(dst []byte) []byte { return append(dst, ByteHeartbeat) }

// AppendGoAway appends a Go Away packet (0xB0).
func AppendGoAway(dst []byte) []byte { return append(dst, ByteGoAway) }

// AppendAbort appends an Abort packet (0x90, as the specification says).
func AppendAbort(dst []byte) []byte { return append(dst, ByteAbort) }

// AppendStreamEnd appends a Stream End packet (0x80).
func AppendStreamEnd(dst []byte) []byte { return append(dst, ByteStreamEnd) }

// AppendFastReply appends a Fast Reply to the message id with code (0-4095):
// the low form for codes 0-15, the 12-bit form above.
func AppendFastReply(dst []byte, id UUID, code int) ([]byte, error) {
	if code < 0 || code > MaxCode {
		return dst, fmt.Errorf("wire: fast reply code %d not in 0-4095: %w", code, ErrValueRange)
	}
	if code < 16 {
		dst = append(dst, nibFastLow<<4|byte(code))
	} else {
		dst = append(dst, nibFast<<4|byte(code>>8), byte(code))
	}
	return append(dst, id[:]...), nil
}

// sizeCode returns the 2-bit width code of a packet size.
func sizeCode(n uint64) byte {
	switch {
	case n <= 0xFF:
		return 0
	case n <= 0xFFFF:
		return 1
	case n <= 0xFFFFFF:
		return 2
	}
	return 3
}

// appendUint appends the w low bytes of v, little-endian (w is 0-4 or 6).
func appendUint(dst []byte, v uint64, w int) []byte {
	switch w {
	case 0:
		return dst
	case 1:
		return append(dst, byte(v))
	case 2:
		return append(dst, byte(v), byte(v>>8))
	case 3:
		return append(dst, byte(v), byte(v>>8), byte(v>>16))
	case 4:
		return append(dst, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return append(dst, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40))
}

// validString reports whether s is valid UTF-8, with an ASCII fast path.
func validString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return utf8.ValidString(s[i:])
		}
	}
	return true
}

// appendSizedHeader appends first|sizeCode<<2 and the size field.
func appendSizedHeader(dst []byte, first byte, n uint64) []byte {
	c := sizeCode(n)
	dst = append(dst, first|c<<2)
	return appendUint(dst, n, int(c)+1)
}

func checkPacketSize(n int) error {
	if n < 0 || uint64(n) > MaxPacketSize {
		return fmt.Errorf("wire: packet size %d above %d: %w", n, uint64(MaxPacketSize), ErrValueRange)
	}
	return nil
}

// AppendDataHeader appends the header of a Data packet carrying n payload
// bytes (first byte and size); the caller sends the n bytes after it.
func AppendDataHeader(dst []byte, n int) ([]byte, error) {
	if err := checkPacketSize(n); err != nil {
		return dst, err
	}
	return appendSizedHeader(dst, nibData<<4, uint64(n)), nil
}

// AppendData appends a Data packet carrying payload.
func AppendData(dst []byte, payload []byte) ([]byte, error) {
	dst, err := AppendDataHeader(dst, len(payload))
	if err != nil {
		return dst, err
	}
	return append(dst, payload...), nil
}

// AppendStreamHeader appends the header of a Stream packet carrying n bytes.
func AppendStreamHeader(dst []byte, n int) ([]byte, error) {
	if err := checkPacketSize(n); err != nil {
		return dst, err
	}
	return appendSizedHeader(dst, nibStream<<4, uint64(n)), nil
}

// AppendStream appends a Stream packet carrying payload.
func AppendStream(dst []byte, payload []byte) ([]byte, error) {
	dst, err := AppendStreamHeader(dst, len(payload))
	if err != nil {
		return dst, err
	}
	return append(dst, payload...), nil
}

// indexCode returns the 2-bit width code of a file index (0 = no bytes).
func indexCode(i int) byte {
	switch {
	case i == 0:
		return 0
	case i <= 0xFF:
		return 1
	case i <= 0xFFFF:
		return 2
	}
	return 3
}

func checkIndex(i int) error {
	if i < 0 || i > MaxFileIndex {
		return fmt.Errorf("wire: file index %d not in 0-%d: %w", i, MaxFileIndex, ErrValueRange)
	}
	return nil
}

// AppendFileHeader appends the header of a File packet for file index
// carrying n content bytes: first byte, size (which counts the content only)
// and the index (no bytes for index 0).
func AppendFileHeader(dst []byte, index, n int) ([]byte, error) {
	if err := checkPacketSize(n); err != nil {
		return dst, err
	}
	if err := checkIndex(index); err != nil {
		return dst, err
	}
	ic := indexCode(index)
	dst = appendSizedHeader(dst, nibFile<<4|ic, uint64(n))
	return appendUint(dst, uint64(index), int(ic)), nil
}

// AppendFile appends a File packet carrying payload for file index.
func AppendFile(dst []byte, index int, payload []byte) ([]byte, error) {
	dst, err := AppendFileHeader(dst, index, len(payload))
	if err != nil {
		return dst, err
	}
	return append(dst, payload...), nil
}

// AppendFileEnd appends a File End packet for file index.
func AppendFileEnd(dst []byte, index int) ([]byte, error) {
	if err := checkIndex(index); err != nil {
		return dst, err
	}
	ic := indexCode(index)
	dst = append(dst, nibFileEnd<<4|ic)
	return appendUint(dst, uint64(index), int(ic)), nil
}

// FlagBits returns the low two bits of a Message or Response first byte:
// 0b10 when a stream is attached, 0b01 when a response is expected.
func FlagBits(hasStream, expects bool) byte {
	var b byte
	if hasStream {
		b |= 2
	}
	if expects {
		b |= 1
	}
	return b
}

// AppendSized appends a sized packet of kind (KindMessage, KindResponse,
// KindContinue, KindStream or KindData) whose content is content, with the
// smallest size width. low is put in the first byte's two low bits as given:
// FlagBits for Message and Response, 0 for the others (a non-zero value
// produces a packet with reserved bits set, which conformance tests may
// want). Use it with AppendMessageContent to send content split over a
// Message and Continue packets at arbitrary points.
func AppendSized(dst []byte, kind Kind, low byte, content []byte) ([]byte, error) {
	var nib byte
	switch kind {
	case KindMessage:
		nib = nibMessage
	case KindResponse:
		nib = nibResponse
	case KindContinue:
		nib = nibContinue
	case KindStream:
		nib = nibStream
	case KindData:
		nib = nibData
	default:
		return dst, fmt.Errorf("wire: %v is not a sized packet without index: %w", kind, ErrValueRange)
	}
	if low > 3 {
		return dst, fmt.Errorf("wire: low bits %#x above 3: %w", low, ErrValueRange)
	}
	if err := checkPacketSize(len(content)); err != nil {
		return dst, err
	}
	dst = appendSizedHeader(dst, nib<<4|low, uint64(len(content)))
	return append(dst, content...), nil
}

// AppendContinue appends a Continue packet carrying the next content bytes
// of the Message or Response in progress on the current channel.
func AppendContinue(dst []byte, content []byte) ([]byte, error) {
	return AppendSized(dst, KindContinue, 0, content)
}

// contentSize validates the fields of a Message (response false) or
// Response content and returns its size in bytes and its flags byte.
func contentSize(response bool, action string, dataSize uint64, files []FileHeader) (int, byte, error) {
	var flags byte
	n := 1 + 16 // flags, id
	if response {
		n += 16
	} else {
		if len(action) > MaxActionSize {
			return 0, 0, rangeErr("action size", uint64(len(action)), MaxActionSize)
		}
		if !validString(action) {
			return 0, 0, fmt.Errorf("wire: action %q: %w", action, ErrInvalidUTF8)
		}
		if len(action) > 0xFF {
			flags |= 2
			n += 2
		} else {
			n++
		}
		n += len(action)
	}
	switch {
	case dataSize == 0:
	case dataSize <= 0xFF:
		flags |= 1 << 6
		n++
	case dataSize <= 0xFFFF:
		flags |= 2 << 6
		n += 2
	case dataSize <= MaxSize48:
		flags |= 3 << 6
		n += 6
	default:
		return 0, 0, rangeErr("data size", dataSize, MaxSize48)
	}
	if len(files) == 0 {
		return n, flags, nil
	}
	switch c := len(files); {
	case c <= 0xFF:
		flags |= 1 << 4
		n++
	case c <= 0xFFFF:
		flags |= 2 << 4
		n += 2
	case c <= MaxFileCount:
		flags |= 3 << 4
		n += 3
	default:
		return 0, 0, rangeErr("file count", uint64(c), MaxFileCount)
	}
	var total uint64
	for i := range files {
		f := &files[i]
		if f.Size > MaxSize48 {
			return 0, 0, rangeErr("file size", f.Size, MaxSize48)
		}
		total += f.Size
		if total > MaxSize48 {
			return 0, 0, rangeErr("total files size", total, MaxSize48)
		}
		if len(f.Name) > MaxNameSize {
			return 0, 0, rangeErr("file name size", uint64(len(f.Name)), MaxNameSize)
		}
		if !validString(f.Name) {
			return 0, 0, fmt.Errorf("wire: file name %q: %w", f.Name, ErrInvalidUTF8)
		}
		n += 1 + fileSizeWidth[fileSizeCode(f.Size)] + len(f.Name)
		if len(f.Name) > 0xFF {
			n += 2
		} else {
			n++
		}
	}
	tc := totalSizeCode(total)
	flags |= tc << 2
	n += totalSizeWidth[tc]
	return n, flags, nil
}

// Widths by 2-bit code.
var (
	dataSizeWidth  = [4]int{0, 1, 2, 6}
	countWidth     = [4]int{0, 1, 2, 3}
	totalSizeWidth = [4]int{2, 3, 4, 6}
	fileSizeWidth  = [4]int{1, 2, 3, 6}
)

func fileSizeCode(v uint64) byte {
	switch {
	case v <= 0xFF:
		return 0
	case v <= 0xFFFF:
		return 1
	case v <= 0xFFFFFF:
		return 2
	}
	return 3
}

func totalSizeCode(v uint64) byte {
	switch {
	case v <= 0xFFFF:
		return 0
	case v <= 0xFFFFFF:
		return 1
	case v <= 0xFFFFFFFF:
		return 2
	}
	return 3
}

// appendContent appends validated content (flags from contentSize).
func appendContent(dst []byte, flags byte, parent *UUID, id *UUID, action string, dataSize uint64, files []FileHeader) []byte {
	dst = append(dst, flags)
	if parent != nil {
		dst = append(dst, parent[:]...)
	}
	dst = append(dst, id[:]...)
	if parent == nil {
		if flags&2 != 0 {
			dst = append(dst, byte(len(action)), byte(len(action)>>8))
		} else {
			dst = append(dst, byte(len(action)))
		}
		dst = append(dst, action...)
	}
	dst = appendUint(dst, dataSize, dataSizeWidth[flags>>6])
	if len(files) == 0 {
		return dst
	}
	dst = appendUint(dst, uint64(len(files)), countWidth[flags>>4&3])
	var total uint64
	for i := range files {
		total += files[i].Size
	}
	dst = appendUint(dst, total, totalSizeWidth[flags>>2&3])
	for i := range files {
		f := &files[i]
		sc := fileSizeCode(f.Size)
		var nb byte
		if len(f.Name) > 0xFF {
			nb = 1
		}
		dst = append(dst, sc<<2|nb<<1)
		dst = appendUint(dst, f.Size, fileSizeWidth[sc])
		dst = appendUint(dst, uint64(len(f.Name)), int(nb)+1)
		dst = append(dst, f.Name...)
	}
	return dst
}

// MessageContentSize returns the size of m's content (what follows the
// packet size field when the content is sent whole), validating m.
func MessageContentSize(m *MessageHeader) (int, error) {
	n, _, err := contentSize(false, m.Action, m.DataSize, m.Files)
	return n, err
}

// ResponseContentSize returns the size of r's content, validating r.
func ResponseContentSize(r *ResponseHeader) (int, error) {
	n, _, err := contentSize(true, "", r.DataSize, r.Files)
	return n, err
}

// AppendMessageContent appends the content of m (flags byte, UUID, action
// size, action, data size, files count, total files size, file headers)
// without a packet header, picking the smallest widths; the total files size
// is the sum of the file sizes. Send it with AppendSized(dst, KindMessage,
// FlagBits(m.HasStream, m.Expects), part) and AppendContinue.
func AppendMessageContent(dst []byte, m *MessageHeader) ([]byte, error) {
	_, flags, err := contentSize(false, m.Action, m.DataSize, m.Files)
	if err != nil {
		return dst, err
	}
	return appendContent(dst, flags, nil, &m.ID, m.Action, m.DataSize, m.Files), nil
}

// AppendResponseContent appends the content of r (flags byte, message UUID,
// own UUID, data size, files count, total files size, file headers).
func AppendResponseContent(dst []byte, r *ResponseHeader) ([]byte, error) {
	_, flags, err := contentSize(true, "", r.DataSize, r.Files)
	if err != nil {
		return dst, err
	}
	return appendContent(dst, flags, &r.MessageID, &r.ID, "", r.DataSize, r.Files), nil
}

// AppendMessage appends a Message packet holding the whole content of m.
// The payload (Data, File, Stream packets) follows separately.
func AppendMessage(dst []byte, m *MessageHeader) ([]byte, error) {
	if len(m.Files) == 0 && len(m.Action) <= 0xFF && m.DataSize <= 0xFFFF && validString(m.Action) {
		// Fast path: one-byte action size, small data, no files.
		var flags byte
		dw := 0
		if m.DataSize > 0xFF {
			flags, dw = 2<<6, 2
		} else if m.DataSize > 0 {
			flags, dw = 1<<6, 1
		}
		n := 18 + len(m.Action) + dw
		first := nibMessage<<4 | FlagBits(m.HasStream, m.Expects)
		if n <= 0xFF {
			dst = append(dst, first, byte(n), flags)
		} else {
			dst = append(dst, first|1<<2, byte(n), byte(n>>8), flags)
		}
		dst = append(dst, m.ID[:]...)
		dst = append(dst, byte(len(m.Action)))
		dst = append(dst, m.Action...)
		return appendUint(dst, m.DataSize, dw), nil
	}
	n, flags, err := contentSize(false, m.Action, m.DataSize, m.Files)
	if err != nil {
		return dst, err
	}
	if err := checkPacketSize(n); err != nil {
		return dst, err
	}
	dst = appendSizedHeader(dst, nibMessage<<4|FlagBits(m.HasStream, m.Expects), uint64(n))
	return appendContent(dst, flags, nil, &m.ID, m.Action, m.DataSize, m.Files), nil
}

// AppendResponse appends a Response packet holding the whole content of r.
func AppendResponse(dst []byte, r *ResponseHeader) ([]byte, error) {
	n, flags, err := contentSize(true, "", r.DataSize, r.Files)
	if err != nil {
		return dst, err
	}
	if err := checkPacketSize(n); err != nil {
		return dst, err
	}
	dst = appendSizedHeader(dst, nibResponse<<4|FlagBits(r.HasStream, r.Expects), uint64(n))
	return appendContent(dst, flags, &r.MessageID, &r.ID, "", r.DataSize, r.Files), nil
}
