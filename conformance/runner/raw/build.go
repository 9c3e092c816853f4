// Package raw builds and parses Sockety bytes for the conformance suites with every width under
// the caller's control: smallest widths by default, any wider (valid but not minimal) width on
// request, and deliberately inconsistent values for robustness cases. It is the sending side of
// the runner; canonical output is cross-checked against sockety/wire in the tests.
package raw

import (
	"fmt"
)

// Packet type nibbles (high four bits of the first byte).
const (
	TSwitchLow  = 0x0
	TSwitch     = 0x1
	TMessage    = 0x2
	TFastLow    = 0x3
	TFast       = 0x4
	TResponse   = 0x5
	TContinue   = 0x6
	TStream     = 0x7
	TStreamEnd  = 0x8
	TAbort      = 0x9
	THeartbeat  = 0xA
	TGoAway     = 0xB
	TFile       = 0xC
	TFileEnd    = 0xD
	TData       = 0xE
	TUnused     = 0xF
	MaxChannels = 4096
)

// UintWidth is the smallest of the given widths (in bytes) that holds v, or 0 if none does.
func UintWidth(v uint64, widths ...int) int {
	for _, w := range widths {
		if w >= 8 || v < 1<<(8*uint(w)) {
			return w
		}
	}
	return 0
}

// PutUint appends v as a little-endian integer of w bytes (truncating silently: callers that
// want a lie use this on purpose).
func PutUint(dst []byte, v uint64, w int) []byte {
	for i := 0; i < w; i++ {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst
}

// Header returns the connection header announcing n channels in its smallest form
// (1 -> single, 2..255 -> uint8, 256..4095 -> uint16, 4096 -> maximum).
func Header(n int) []byte {
	switch {
	case n == 1:
		return []byte{0xE0}
	case n < 256:
		return []byte{0xE1, byte(n)}
	case n < MaxChannels:
		return []byte{0xE2, byte(n), byte(n >> 8)}
	}
	return []byte{0xE3}
}

// sizeCode maps a packet size width to the two A bits.
func sizeCode(w int) byte {
	switch w {
	case 1:
		return 0
	case 2:
		return 1
	case 3:
		return 2
	case 4:
		return 3
	}
	panic(fmt.Sprintf("raw: bad packet size width %d", w))
}

// Sized appends a sized packet: first byte (nibble<<4 | A bits<<2 | low2), a size of width w
// (0 = smallest), then body. The declared size is len(body) unless declared >= 0.
func Sized(dst []byte, nibble, low2 byte, body []byte, w int, declared int64) []byte {
	n := uint64(len(body))
	if declared >= 0 {
		n = uint64(declared)
	}
	if w == 0 {
		w = UintWidth(n, 1, 2, 3, 4)
		if w == 0 {
			panic("raw: packet too big")
		}
	}
	dst = append(dst, nibble<<4|sizeCode(w)<<2|low2&3)
	dst = PutUint(dst, n, w)
	return append(dst, body...)
}

// Switch appends a Switch Channel packet, low form for 0-15 unless wide.
func Switch(dst []byte, ch int, wide bool) []byte {
	if ch < 16 && !wide {
		return append(dst, byte(ch))
	}
	return append(dst, 0x10|byte(ch>>8)&0x0F, byte(ch))
}

// FastReply appends a Fast Reply, low form for 0-15 unless wide.
func FastReply(dst []byte, id [16]byte, code int, wide bool) []byte {
	if code < 16 && !wide {
		dst = append(dst, 0x30|byte(code))
	} else {
		dst = append(dst, 0x40|byte(code>>8)&0x0F, byte(code))
	}
	return append(dst, id[:]...)
}

// Data appends a Data packet with the smallest size width.
func Data(dst, b []byte) []byte { return Sized(dst, TData, 0, b, 0, -1) }

// Stream appends a Stream packet with the smallest size width.
func Stream(dst, b []byte) []byte { return Sized(dst, TStream, 0, b, 0, -1) }

// File appends a File packet for file index idx (index field of the smallest width, none for 0).
func File(dst []byte, idx int, b []byte) []byte { return FileW(dst, idx, -1, b) }

// FileW appends a File packet with an index width iw (-1 = smallest; 0 only for index 0).
func FileW(dst []byte, idx, iw int, b []byte) []byte {
	if iw < 0 {
		iw = 0
		if idx > 0 {
			iw = UintWidth(uint64(idx), 1, 2, 3)
		}
	}
	w := UintWidth(uint64(len(b)), 1, 2, 3, 4)
	dst = append(dst, TFile<<4|sizeCode(w)<<2|byte(iw))
	dst = PutUint(dst, uint64(len(b)), w)
	dst = PutUint(dst, uint64(idx), iw)
	return append(dst, b...)
}

// FileEnd appends a File End packet for index idx (smallest index width).
func FileEnd(dst []byte, idx int) []byte {
	if idx == 0 {
		return append(dst, 0xD0)
	}
	iw := UintWidth(uint64(idx), 1, 2, 3)
	dst = append(dst, 0xD0|byte(iw))
	return PutUint(dst, uint64(idx), iw)
}

// Single-byte packets.
const (
	BHeartbeat = 0xA0
	BGoAway    = 0xB0
	BAbort     = 0x90
	BStreamEnd = 0x80
)

// FileSpec is one file header of a Message or Response.
type FileSpec struct {
	Name []byte
	Size int64
	// SizeWidth forces the file size width (1, 2, 3 or 6); 0 = smallest.
	SizeWidth int
	// NameWide forces a uint16 name size.
	NameWide bool
}

// Head describes Message or Response content. Zero widths mean "smallest".
type Head struct {
	Response bool
	ID       [16]byte
	Parent   [16]byte // Response only
	Action   []byte   // Message only
	// ActionWide forces a uint16 action size.
	ActionWide bool
	// DataSize is the declared payload size; HasData declares it even when zero.
	DataSize int64
	HasData  bool
	// DataWidth forces the payload size width (1, 2 or 6).
	DataWidth int
	Files     []FileSpec
	// CountWidth (1, 2, 3) and TotalWidth (2, 3, 4, 6) force the file count and total widths.
	CountWidth, TotalWidth int
	// LieTotal makes Content write Total as the total files size instead of the real sum.
	LieTotal bool
	Total    int64
	Stream   bool
	Expects  bool
	// ExtraFlags is OR-ed into the flags byte (e.g. the unused bit).
	ExtraFlags byte
}

// TotalFiles is the sum of declared file sizes.
func (h *Head) TotalFiles() int64 {
	var t int64
	for _, f := range h.Files {
		t += f.Size
	}
	return t
}

func codeOf(w int, widths []int) byte {
	for i, x := range widths {
		if x == w {
			return byte(i)
		}
	}
	panic(fmt.Sprintf("raw: width %d not in %v", w, widths))
}

// Content returns the content bytes: flags, UUID(s), action, sizes and file headers.
func (h *Head) Content() []byte {
	var flags byte
	dataW := 0
	if h.DataSize > 0 || h.HasData {
		dataW = h.DataWidth
		if dataW == 0 {
			dataW = UintWidth(uint64(h.DataSize), 1, 2, 6)
		}
		flags |= (codeOf(dataW, []int{0, 1, 2, 6})) << 6
	}
	countW, totalW := 0, 0
	total := h.TotalFiles()
	if h.LieTotal {
		total = h.Total
	}
	if len(h.Files) > 0 {
		countW = h.CountWidth
		if countW == 0 {
			countW = UintWidth(uint64(len(h.Files)), 1, 2, 3)
		}
		totalW = h.TotalWidth
		if totalW == 0 {
			totalW = UintWidth(uint64(total), 2, 3, 4, 6)
		}
		flags |= codeOf(countW, []int{0, 1, 2, 3}) << 4
		flags |= codeOf(totalW, []int{2, 3, 4, 6}) << 2
	}
	actW := 1
	if !h.Response && (h.ActionWide || len(h.Action) > 255) {
		actW = 2
		flags |= 0x02
	}
	flags |= h.ExtraFlags
	b := []byte{flags}
	if h.Response {
		b = append(b, h.Parent[:]...)
		b = append(b, h.ID[:]...)
	} else {
		b = append(b, h.ID[:]...)
		b = PutUint(b, uint64(len(h.Action)), actW)
		b = append(b, h.Action...)
	}
	b = PutUint(b, uint64(h.DataSize), dataW)
	if len(h.Files) > 0 {
		b = PutUint(b, uint64(len(h.Files)), countW)
		b = PutUint(b, uint64(total), totalW)
		for _, f := range h.Files {
			sw := f.SizeWidth
			if sw == 0 {
				sw = UintWidth(uint64(f.Size), 1, 2, 3, 6)
			}
			nw := 1
			var fh byte = codeOf(sw, []int{1, 2, 3, 6}) << 2
			if f.NameWide || len(f.Name) > 255 {
				nw = 2
				fh |= 0x02
			}
			b = append(b, fh)
			b = PutUint(b, uint64(f.Size), sw)
			b = PutUint(b, uint64(len(f.Name)), nw)
			b = append(b, f.Name...)
		}
	}
	return b
}

// Start appends the Message or Response packet carrying the whole content.
func (h *Head) Start(dst []byte) []byte {
	return h.Split(dst, nil)
}

// Split appends the Message/Response packet carrying content[:cuts[0]] and Continue packets for
// the rest, cut at the given increasing offsets (each in 0..len(content)).
func (h *Head) Split(dst []byte, cuts []int) []byte {
	c := h.Content()
	return SplitContent(dst, h.firstNibble(), h.low2(), c, cuts)
}

func (h *Head) firstNibble() byte {
	if h.Response {
		return TResponse
	}
	return TMessage
}

func (h *Head) low2() byte {
	var b byte
	if h.Stream {
		b |= 2
	}
	if h.Expects {
		b |= 1
	}
	return b
}

// SplitContent appends a start packet (nibble, low bits) with content[:cuts[0]] and Continue
// packets for the rest.
func SplitContent(dst []byte, nibble, low2 byte, c []byte, cuts []int) []byte {
	prev := 0
	first := true
	for _, cut := range append(append([]int(nil), cuts...), len(c)) {
		if cut < prev || cut > len(c) {
			panic(fmt.Sprintf("raw: bad cut %d", cut))
		}
		if first {
			dst = Sized(dst, nibble, low2, c[prev:cut], 0, -1)
			first = false
		} else {
			dst = Sized(dst, TContinue, 0, c[prev:cut], 0, -1)
		}
		prev = cut
	}
	return dst
}

// Offsets of the fields inside content built by Head.Content, for splitting cases.
type Offsets struct {
	Flags, ID, ActionSize, Action, DataSize, Count, Total, FileHeads, End int
}

// Layout computes where each field of h.Content() starts.
func (h *Head) Layout() Offsets {
	var o Offsets
	o.Flags = 0
	if h.Response {
		o.ID = 17
		o.ActionSize = 33
		o.Action = 33
	} else {
		o.ID = 1
		o.ActionSize = 17
		aw := 1
		if h.ActionWide || len(h.Action) > 255 {
			aw = 2
		}
		o.Action = 17 + aw
	}
	o.DataSize = o.Action + len(h.Action)
	if h.Response {
		o.DataSize = 33
	}
	c := h.Content()
	dw := 0
	if h.DataSize > 0 || h.HasData {
		dw = []int{0, 1, 2, 6}[c[0]>>6]
	}
	o.Count = o.DataSize + dw
	o.Total = o.Count
	o.FileHeads = o.Count
	if len(h.Files) > 0 {
		o.Total = o.Count + []int{0, 1, 2, 3}[(c[0]>>4)&3]
		o.FileHeads = o.Total + []int{2, 3, 4, 6}[(c[0]>>2)&3]
	}
	o.End = len(c)
	return o
}
