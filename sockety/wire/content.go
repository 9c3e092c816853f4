package wire

import (
	"strconv"
	"unicode/utf8"
)

// Content parser stages, in wire order.
const (
	stFlags = iota
	stIDs
	stActionSize
	stAction
	stDataSize
	stFilesCount
	stTotalSize
	stFileHead
	stFileSize
	stNameSize
	stName
	stDone
)

// fileRec is a parsed file header; the name is at content[off:off+n].
type fileRec struct {
	off, n int
	size   uint64
}

// contentParser decodes Message/Response content. It is resumable: feed is
// called with the whole content received so far (a prefix that only grows)
// and continues from where the previous call stopped, so split content costs
// O(length) over all calls. Positions are relative to the content start.
type contentParser struct {
	stage    uint8
	resp     bool
	flags    byte
	fhead    byte
	pos      int
	actLen   int // action size, then the action's offset is actOff
	actOff   int
	nameLen  int
	count    int
	dataSize uint64
	total    uint64
	sum      uint64
	fsize    uint64
	id       UUID
	parent   UUID
	files    []fileRec
}

func (c *contentParser) reset(resp bool) {
	files := c.files[:0]
	*c = contentParser{resp: resp, files: files}
}

// perr is a content error: class and detail, turned into a ProtocolError by
// the Reader (which knows offset and channel).
type perr struct {
	class  error
	detail string
}

func leUint(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// feed continues parsing b (all content bytes received so far). It returns
// done when the content structure is complete; c.pos is then its length.
func (c *contentParser) feed(b []byte, r *Reader) (done bool, e *perr) {
	for {
		avail := len(b) - c.pos
		switch c.stage {
		case stFlags:
			if avail < 1 {
				return false, nil
			}
			c.flags = b[c.pos]
			c.pos++
			c.stage = stIDs
		case stIDs:
			if !c.resp {
				if avail < 16 {
					return false, nil
				}
				c.id = UUID(b[c.pos : c.pos+16])
				c.pos += 16
				c.stage = stActionSize
				continue
			}
			if avail < 32 {
				return false, nil
			}
			c.parent = UUID(b[c.pos : c.pos+16])
			c.id = UUID(b[c.pos+16 : c.pos+32])
			c.pos += 32
			c.stage = stDataSize
		case stActionSize:
			w := 1 + int(c.flags>>1&1)
			if avail < w {
				return false, nil
			}
			if w == 1 {
				c.actLen = int(b[c.pos])
			} else {
				c.actLen = int(b[c.pos]) | int(b[c.pos+1])<<8
			}
			c.pos += w
			if c.actLen > r.maxAction {
				return false, &perr{ErrLimit, "action size " + strconv.Itoa(c.actLen) + " above limit " + strconv.Itoa(r.maxAction)}
			}
			c.actOff = c.pos
			c.stage = stAction
		case stAction:
			if avail < c.actLen {
				return false, nil
			}
			if !utf8.Valid(b[c.pos : c.pos+c.actLen]) {
				return false, &perr{ErrInvalidUTF8, "action name"}
			}
			c.pos += c.actLen
			c.stage = stDataSize
		case stDataSize:
			w := dataSizeWidth[c.flags>>6]
			if avail < w {
				return false, nil
			}
			c.dataSize = leUint(b[c.pos : c.pos+w])
			c.pos += w
			c.stage = stFilesCount
		case stFilesCount:
			w := countWidth[c.flags>>4&3]
			if w == 0 {
				c.stage = stDone
				return true, nil
			}
			if avail < w {
				return false, nil
			}
			c.count = int(leUint(b[c.pos : c.pos+w]))
			c.pos += w
			if c.count > r.maxFiles {
				return false, &perr{ErrLimit, "files count " + strconv.Itoa(c.count) + " above limit " + strconv.Itoa(r.maxFiles)}
			}
			c.stage = stTotalSize
		case stTotalSize:
			w := totalSizeWidth[c.flags>>2&3]
			if avail < w {
				return false, nil
			}
			c.total = leUint(b[c.pos : c.pos+w])
			c.pos += w
			c.stage = stFileHead
		case stFileHead:
			if len(c.files) == c.count {
				if c.sum != c.total {
					return false, &perr{ErrMalformed, "total files size " + strconv.FormatUint(c.total, 10) + " differs from the sum of file sizes " + strconv.FormatUint(c.sum, 10)}
				}
				c.stage = stDone
				return true, nil
			}
			if avail < 1 {
				return false, nil
			}
			c.fhead = b[c.pos]
			if c.fhead&0xF0 != 0 {
				return false, &perr{ErrReservedBits, "file header byte " + strconv.Itoa(int(c.fhead))}
			}
			c.pos++
			c.stage = stFileSize
		case stFileSize:
			w := fileSizeWidth[c.fhead>>2&3]
			if avail < w {
				return false, nil
			}
			c.fsize = leUint(b[c.pos : c.pos+w])
			c.pos += w
			c.sum += c.fsize
			if c.sum > c.total {
				return false, &perr{ErrMalformed, "file sizes exceed the total files size " + strconv.FormatUint(c.total, 10)}
			}
			c.stage = stNameSize
		case stNameSize:
			w := 1 + int(c.fhead>>1&1)
			if avail < w {
				return false, nil
			}
			if w == 1 {
				c.nameLen = int(b[c.pos])
			} else {
				c.nameLen = int(b[c.pos]) | int(b[c.pos+1])<<8
			}
			c.pos += w
			if c.nameLen > r.maxName {
				return false, &perr{ErrLimit, "file name size " + strconv.Itoa(c.nameLen) + " above limit " + strconv.Itoa(r.maxName)}
			}
			c.stage = stName
		case stName:
			if avail < c.nameLen {
				return false, nil
			}
			if !utf8.Valid(b[c.pos : c.pos+c.nameLen]) {
				return false, &perr{ErrInvalidUTF8, "file name " + strconv.Itoa(len(c.files))}
			}
			c.files = append(c.files, fileRec{off: c.pos, n: c.nameLen, size: c.fsize})
			c.pos += c.nameLen
			c.stage = stFileHead
		case stDone:
			return true, nil
		}
	}
}
