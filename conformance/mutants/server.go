// Package mutants is a small raw-wire implementation of the conformance contract server with a
// mutation switch: with None it is a correct contract server; every other Mutation breaks it in
// exactly one way. The server-suite tests run the suite against every mutant and check that the
// right case catches it, which shows the suite has teeth. It is meant for tests only.
package mutants

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/sockety-harness/sockety-harness/conformance/runner/raw"
)

// Mutation selects the one thing the server does wrong.
type Mutation int

// The mutations. None is the correct server.
const (
	None               Mutation = iota
	FastWrongCode               // `fast` answers code 1 instead of 0
	CodeLowOnly                 // codes >= 16 are sent in the low form, truncated to 4 bits
	UnknownAccept               // unknown actions get code 0 instead of 2
	DropLastFile                // echo leaves out the last file
	DataShortByOne              // echo data is one byte short (declared and sent)
	BadSizeWidth                // packet size flag says 2 bytes but 1 byte is written
	WrongChannel                // responses are written on channel 1 even if the peer has one channel
	NoHeader                    // no connection header is sent
	StreamNotEnded              // the echoed stream never gets its Stream End
	WrongParent                 // Response carries its own UUID as parent
	IgnoreContinue              // content in Continue packets is dropped: split messages get no answer
	PingReplies                 // `ping` is answered with fast reply 0
	Switch12AsLow               // a 12-bit Switch Channel is read as a low switch (second byte taken as a packet)
	BadControlByte              // the connection header control byte is 0xF3
	DieOnUnknown                // an unknown packet type stops the whole server (it "crashes")
	NotV4                       // response UUIDs are not version 4
	FilesReversed               // echo files come back in reverse order
	HeartbeatKills              // a Heartbeat closes the connection
	GoAwayDrops                 // a Go Away closes the connection at once, dropping in-flight replies
	WideFastReply               // codes < 16 use the 12-bit form (valid but not the smallest)
	EmptyFileNoEnd              // a 0-byte file gets no File End
	StreamChunksMerged          // the echoed stream is sent as one chunk at the end (not chunk by chunk)
	mutationCount
)

var names = [...]string{"none", "fast-wrong-code", "code-low-only", "unknown-accept", "drop-last-file",
	"data-short-by-one", "bad-size-width", "wrong-channel", "no-header", "stream-not-ended", "wrong-parent",
	"ignore-continue", "ping-replies", "switch12-as-low", "bad-control-byte", "die-on-unknown", "not-v4",
	"files-reversed", "heartbeat-kills", "goaway-drops", "wide-fast-reply", "empty-file-no-end", "stream-chunks-merged"}

// String names the mutation.
func (m Mutation) String() string {
	if m >= 0 && int(m) < len(names) {
		return names[m]
	}
	return "mutation(" + strconv.Itoa(int(m)) + ")"
}

// All lists every mutation except None.
func All() []Mutation {
	var out []Mutation
	for m := None + 1; m < mutationCount; m++ {
		out = append(out, m)
	}
	return out
}

// Server is a running contract server.
type Server struct {
	ln  net.Listener
	mut Mutation
	wg  sync.WaitGroup
	mu  sync.Mutex
	cs  map[net.Conn]bool
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Close.
func Start(addr string, m Mutation) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mutant server listen: %w", err)
	}
	s := &Server{ln: ln, mut: m, cs: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and closes every connection.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.cs {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.cs[nc] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(nc)
			nc.Close()
			s.mu.Lock()
			delete(s.cs, nc)
			s.mu.Unlock()
		}()
	}
}

// reply tracks a response whose stream is still open.
type reply struct {
	ch       int
	id       [16]byte
	started  bool
	pending  [][]byte // chunks received before the response head went out
	ended    bool
	merged   []byte
	parentID [16]byte
}

type conn struct {
	s         *Server
	nc        net.Conn
	out       []byte
	wch       int // current write channel
	limit     int // channels we may write on
	busy      map[int]bool
	replies   map[*raw.Obj]*reply
	goingAway bool
}

func (s *Server) serve(nc net.Conn) {
	c := &conn{s: s, nc: nc, limit: 1, busy: map[int]bool{}, replies: map[*raw.Obj]*reply{}}
	switch s.mut {
	case NoHeader:
	case BadControlByte:
		c.out = append(c.out, 0xF3)
	default:
		c.out = append(c.out, raw.Header(raw.MaxChannels)...)
	}
	if err := c.flush(); err != nil {
		return
	}
	asm := raw.NewAssembler(true)
	var pending []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			in := buf[:n]
			if s.mut == Switch12AsLow {
				in = mangleSwitch(in)
			}
			// Feed one packet at a time so that each event sees the message as it was when
			// the event happened (later packets of the same read are not applied yet).
			pending = append(pending, in...)
			var perr error
			for len(pending) > 0 && perr == nil {
				n := 1 // the header goes byte by byte
				if asm.HeaderSeen() {
					_, k, err := raw.ParsePacket(pending, 0)
					switch {
					case err == raw.ErrShort:
						n = 0
					case err != nil:
						n = len(pending) // let the assembler report it
					default:
						n = k
					}
				}
				if n == 0 {
					break
				}
				var evs []raw.Event
				evs, perr = asm.Feed(pending[:n])
				pending = pending[n:]
				if asm.HeaderSeen() {
					c.limit = asm.HeaderChannels
				}
				for _, ev := range evs {
					if !c.handle(ev) {
						c.flush()
						return
					}
				}
			}
			pending = append([]byte(nil), pending...)
			if ferr := c.flush(); ferr != nil {
				return
			}
			if perr != nil {
				var pe *raw.ParseError
				if s.mut == DieOnUnknown && errors.As(perr, &pe) && bytes.Contains([]byte(pe.Msg), []byte("unknown packet type")) {
					s.ln.Close() // the whole server goes down
				}
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// mangleSwitch turns every byte that looks like a 12-bit switch into a low switch (a crude
// model of a reader that ignores the 12-bit form); only used by the Switch12AsLow mutant.
func mangleSwitch(b []byte) []byte {
	out := bytes.Clone(b)
	for i, x := range out {
		if x>>4 == raw.TSwitch && i+1 < len(out) {
			out[i] = x & 0x0F
		}
	}
	return out
}

func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	return err
}

func (c *conn) switchTo(ch int) {
	if c.s.mut == WrongChannel && ch == 0 {
		ch = 1
	}
	if ch != c.wch {
		c.out = raw.Switch(c.out, ch, false)
		c.wch = ch
	}
}

func (c *conn) freeChannel() int {
	if !c.busy[c.wch] && c.wch < c.limit {
		return c.wch
	}
	for ch := 0; ch < c.limit; ch++ {
		if !c.busy[ch] {
			return ch
		}
	}
	return -1
}

func (c *conn) fast(id [16]byte, code int) {
	switch c.s.mut {
	case CodeLowOnly:
		c.out = append(c.out, 0x30|byte(code&15))
		c.out = append(c.out, id[:]...)
		return
	case WideFastReply:
		c.out = raw.FastReply(c.out, id, code, true)
		return
	}
	c.out = raw.FastReply(c.out, id, code, false)
}

func (c *conn) newID() [16]byte {
	id := raw.NewID()
	if c.s.mut == NotV4 {
		id[6] &= 0x0F
	}
	return id
}

// handle reacts to one event; false closes the connection.
func (c *conn) handle(ev raw.Event) bool {
	switch ev.Kind {
	case raw.EvHeartbeat:
		return c.s.mut != HeartbeatKills
	case raw.EvGoAway:
		c.goingAway = true
		return c.s.mut != GoAwayDrops
	case raw.EvContent:
		o := ev.Obj
		if o.Response {
			return true
		}
		if c.s.mut == IgnoreContinue && o.Continues > 0 {
			o.Expects = false // the content it "saw" was cut short: it answers nothing
			return true
		}
		if string(o.Action) == "echo" && o.Expects {
			c.replies[o] = &reply{ch: -1}
		}
		return c.maybeAnswer(o)
	case raw.EvData, raw.EvFile, raw.EvFileEnd:
		if !ev.Obj.Response {
			return c.maybeAnswer(ev.Obj)
		}
	case raw.EvStream, raw.EvStreamEnd:
		if ev.Obj.Response {
			return true
		}
		r := c.replies[ev.Obj]
		if r == nil {
			return c.maybeAnswer(ev.Obj)
		}
		if ev.Kind == raw.EvStream {
			if c.s.mut == StreamChunksMerged {
				r.merged = append(r.merged, ev.Bytes...)
			} else if !r.started {
				r.pending = append(r.pending, bytes.Clone(ev.Bytes))
			} else {
				c.switchTo(r.ch)
				c.out = raw.Stream(c.out, ev.Bytes)
			}
		} else {
			r.ended = true
		}
		return c.maybeAnswer(ev.Obj)
	}
	return true
}

// maybeAnswer sends what can be sent for o.
func (c *conn) maybeAnswer(o *raw.Obj) bool {
	action := string(o.Action)
	if !o.BodyDone() {
		return true
	}
	switch action {
	case "echo":
		r := c.replies[o]
		if r == nil {
			return true
		}
		if !r.started {
			c.startEcho(o, r)
		}
		if o.HasStream && r.ended && r.started {
			if c.s.mut == StreamChunksMerged && len(r.merged) > 0 {
				c.switchTo(r.ch)
				c.out = raw.Stream(c.out, r.merged)
			}
			if c.s.mut != StreamNotEnded {
				c.switchTo(r.ch)
				c.out = append(c.out, raw.BStreamEnd)
			}
			delete(c.busy, r.ch)
			delete(c.replies, o)
		}
		if !o.HasStream {
			delete(c.replies, o)
		}
		return true
	}
	if !o.Complete() || !o.Expects {
		if o.Complete() && action == "ping" && c.s.mut == PingReplies {
			c.fast(o.ID, 0)
		}
		return true
	}
	if o.Complete() {
		// Only answer once: Complete fires after the last part, so guard on a marker.
		if o.Expects {
			o.Expects = false
			switch action {
			case "ping":
				if c.s.mut == PingReplies {
					c.fast(o.ID, 0)
				}
			case "fast":
				code := 0
				if c.s.mut == FastWrongCode {
					code = 1
				}
				c.fast(o.ID, code)
			case "code":
				n, err := strconv.Atoi(string(o.Data))
				if err != nil || n < 0 || n > 4095 {
					n = 4
				}
				c.fast(o.ID, n)
			default:
				code := 2
				if c.s.mut == UnknownAccept {
					code = 0
				}
				c.fast(o.ID, code)
			}
		}
	}
	return true
}

func (c *conn) startEcho(o *raw.Obj, r *reply) {
	ch := c.freeChannel()
	if ch < 0 {
		return // no free channel: answered when one frees up is not modelled; peers rarely hit it
	}
	r.ch = ch
	r.started = true
	id := c.newID()
	data := o.Data
	if c.s.mut == DataShortByOne && len(data) > 0 {
		data = data[:len(data)-1]
	}
	files := append([]raw.FileObj(nil), o.Files...)
	if c.s.mut == DropLastFile && len(files) > 0 {
		files = files[:len(files)-1]
	}
	if c.s.mut == FilesReversed {
		for i, j := 0, len(files)-1; i < j; i, j = i+1, j-1 {
			files[i], files[j] = files[j], files[i]
		}
	}
	h := raw.Head{Response: true, ID: id, Parent: o.ID, DataSize: int64(len(data)), Stream: o.HasStream, Expects: true}
	if c.s.mut == WrongParent {
		h.Parent = id
	}
	for _, f := range files {
		h.Files = append(h.Files, raw.FileSpec{Name: f.Name, Size: int64(len(f.Data))})
	}
	c.switchTo(ch)
	if c.s.mut == BadSizeWidth {
		content := h.Content()
		// Flag says a 2-byte size, but one byte follows: the peer reads garbage.
		c.out = append(c.out, raw.TResponse<<4|1<<2|boolBit(h.Stream)<<1|1, byte(len(content)))
		c.out = append(c.out, content...)
	} else {
		c.out = h.Start(c.out)
	}
	if len(data) > 0 {
		for p := 0; p < len(data); p += 60000 {
			c.out = raw.Data(c.out, data[p:min(p+60000, len(data))])
		}
	}
	for i, f := range files {
		if len(f.Data) > 0 {
			c.out = raw.File(c.out, i, f.Data)
		}
		if len(f.Data) == 0 && c.s.mut == EmptyFileNoEnd {
			continue
		}
		c.out = raw.FileEnd(c.out, i)
	}
	if o.HasStream {
		c.busy[ch] = true
		for _, p := range r.pending {
			c.out = raw.Stream(c.out, p)
		}
		r.pending = nil
	}
}

func boolBit(b bool) byte {
	if b {
		return 1
	}
	return 0
}
