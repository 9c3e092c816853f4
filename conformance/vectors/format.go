package vectors

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/sockety-harness/sockety-harness/conformance/decode"
)

// FormatVersion is the value of the "format" field every vector file carries.
const FormatVersion = "sockety-vectors/1"

// Bounds that keep a malformed (or hostile) vector file from costing much.
const (
	// MaxVectorBytes bounds the bytes of one vector after repeats expand.
	MaxVectorBytes = 4 << 20
	// MaxFileSize bounds one vector file.
	MaxFileSize = 8 << 20
)

// ErrorClasses are the error classes a reader must report for invalid
// vectors; each maps onto one sentinel error of sockety/wire (ErrorClass).
var ErrorClasses = decode.ErrorClasses

// ErrFormat is wrapped by every error about a malformed vector file.
var ErrFormat = errors.New("malformed vector file")

// File is one vector file: a group of vectors.
type File struct {
	Path        string // name inside the embedded set or on disk
	Format      string
	Group       string
	Description string
	Vectors     []*Vector
}

// ByteGroup is one commented group of bytes of a vector.
type ByteGroup struct {
	Bytes   []byte
	Comment string
}

// Options configure the reader a vector is decoded with.
type Options struct {
	// Header is true when the bytes start with the connection header
	// ("header": "present"); false for "none" (the default).
	Header bool
	// MaxChannels is the channel count the reading side announced
	// (default 4096).
	MaxChannels int
	// MaxActionBytes, MaxFileNameBytes, MaxFiles are reader limits; 0 means
	// the protocol maximum.
	MaxActionBytes   int
	MaxFileNameBytes int
	MaxFiles         int
}

// ExpectedError is the outcome of an invalid vector.
type ExpectedError struct {
	Class string
	// Offset is the stream offset of the first byte of the packet at
	// fault, or -1 when the vector does not say.
	Offset int64
}

// Vector is one golden vector.
type Vector struct {
	Group       string
	Name        string
	Section     string
	Description string
	Options     Options
	// Canonical: the bytes are what a writer produces (smallest widths, no
	// Continue), so encoding Expect must give Bytes back.
	Canonical bool
	Groups    []ByteGroup
	Bytes     []byte // all groups concatenated
	// Valid vectors: the packets and the Message/Response summaries.
	Expect   []decode.Packet
	Messages []ExpectedSummary
	// Invalid vectors: the error.
	Error *ExpectedError
}

// Valid reports whether the vector expects a successful decode.
func (v *Vector) Valid() bool { return v.Error == nil }

// ExpectedSummary is the expected completion state of one Message/Response.
type ExpectedSummary struct {
	Type     string `json:"type"`
	Channel  int    `json:"channel"`
	ID       string `json:"id"`
	Complete bool   `json:"complete"`
	Aborted  bool   `json:"aborted"`
}

// object is a JSON object with strict key checking.
type object struct {
	where string
	m     map[string]json.RawMessage
	used  map[string]bool
}

func formatErr(where, f string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrFormat, where, fmt.Sprintf(f, a...))
}

func parseObject(where string, raw json.RawMessage) (*object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, formatErr(where, "want a JSON object")
	}
	var m map[string]json.RawMessage
	if err := strictUnmarshal(raw, &m); err != nil {
		return nil, formatErr(where, "%v", err)
	}
	return &object{where: where, m: m, used: map[string]bool{}}, nil
}

// strictUnmarshal decodes exactly one JSON value; duplicate keys are not
// detected by encoding/json, so objects are checked by checkDuplicates.
func strictUnmarshal(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

func (o *object) has(k string) bool { _, ok := o.m[k]; return ok }

func (o *object) raw(k string, required bool) (json.RawMessage, bool, error) {
	r, ok := o.m[k]
	if !ok {
		if required {
			return nil, false, formatErr(o.where, "missing field %q", k)
		}
		return nil, false, nil
	}
	o.used[k] = true
	return r, true, nil
}

func (o *object) str(k string, required, nonEmpty bool) (string, error) {
	r, ok, err := o.raw(k, required)
	if err != nil || !ok {
		return "", err
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return "", formatErr(o.where, "field %q: want a string", k)
	}
	if nonEmpty && strings.TrimSpace(s) == "" {
		return "", formatErr(o.where, "field %q is empty", k)
	}
	return s, nil
}

func (o *object) boolean(k string, required bool) (bool, error) {
	r, ok, err := o.raw(k, required)
	if err != nil || !ok {
		return false, err
	}
	var b bool
	if err := json.Unmarshal(r, &b); err != nil {
		return false, formatErr(o.where, "field %q: want true or false", k)
	}
	return b, nil
}

// uint reads a non-negative integer no larger than max.
func (o *object) uint(k string, required bool, max uint64) (uint64, bool, error) {
	r, ok, err := o.raw(k, required)
	if err != nil || !ok {
		return 0, ok, err
	}
	v, err := parseUint(r, max)
	if err != nil {
		return 0, true, formatErr(o.where, "field %q: %v", k, err)
	}
	return v, true, nil
}

func parseUint(r json.RawMessage, max uint64) (uint64, error) {
	s := string(bytes.TrimSpace(r))
	if s == "" || s[0] == '-' || strings.ContainsAny(s, ".eE+") || s[0] == '"' {
		return 0, fmt.Errorf("want a non-negative integer, got %s", clip(s))
	}
	var v uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("want a non-negative integer, got %s", clip(s))
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, fmt.Errorf("integer %s too large", clip(s))
		}
		v = v*10 + uint64(c-'0')
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("integer %s has leading zeros", clip(s))
	}
	if v > max {
		return 0, fmt.Errorf("integer %s above %d", clip(s), max)
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// done fails on keys that were not read.
func (o *object) done() error {
	for k := range o.m {
		if !o.used[k] {
			return formatErr(o.where, "unknown field %q", k)
		}
	}
	return nil
}

func (o *object) array(k string, required bool) ([]json.RawMessage, bool, error) {
	r, ok, err := o.raw(k, required)
	if err != nil || !ok {
		return nil, ok, err
	}
	r = bytes.TrimSpace(r)
	if len(r) == 0 || r[0] != '[' {
		return nil, true, formatErr(o.where, "field %q: want an array", k)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(r, &a); err != nil {
		return nil, true, formatErr(o.where, "field %q: %v", k, err)
	}
	return a, true, nil
}

// ParseFile parses and validates one vector file.
func ParseFile(path string, data []byte) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, formatErr(path, "file larger than %d bytes", MaxFileSize)
	}
	if !utf8.Valid(data) {
		return nil, formatErr(path, "not UTF-8")
	}
	if err := checkDuplicates(data); err != nil {
		return nil, formatErr(path, "%v", err)
	}
	top, err := parseObject(path, data)
	if err != nil {
		return nil, err
	}
	f := &File{Path: path}
	if f.Format, err = top.str("format", true, true); err != nil {
		return nil, err
	}
	if f.Format != FormatVersion {
		return nil, formatErr(path, "format %q, want %q", f.Format, FormatVersion)
	}
	if f.Group, err = top.name("group"); err != nil {
		return nil, err
	}
	if f.Description, err = top.str("description", true, true); err != nil {
		return nil, err
	}
	vs, _, err := top.array("vectors", true)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, formatErr(path, "no vectors")
	}
	if err := top.done(); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for i, raw := range vs {
		v, err := parseVector(fmt.Sprintf("%s: vectors[%d]", path, i), f.Group, raw)
		if err != nil {
			return nil, err
		}
		if names[v.Name] {
			return nil, formatErr(path, "duplicate vector name %q", v.Name)
		}
		names[v.Name] = true
		f.Vectors = append(f.Vectors, v)
	}
	return f, nil
}

// name reads the required field k, a name (see isName).
func (o *object) name(k string) (string, error) {
	s, err := o.str(k, true, true)
	if err == nil && !isName(s) {
		err = formatErr(o.where, "%s %q: want lower-case letters, digits and dashes", k, s)
	}
	return s, err
}

func isName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func parseVector(where, group string, raw json.RawMessage) (*Vector, error) {
	o, err := parseObject(where, raw)
	if err != nil {
		return nil, err
	}
	v := &Vector{Group: group}
	if v.Name, err = o.name("name"); err != nil {
		return nil, err
	}
	where = where + " (" + v.Name + ")"
	o.where = where
	if v.Section, err = o.str("section", true, true); err != nil {
		return nil, err
	}
	if v.Description, err = o.str("description", true, true); err != nil {
		return nil, err
	}
	if v.Options, err = parseOptions(where, o); err != nil {
		return nil, err
	}
	v.Groups, err = parseEach(o, where, "bytes", func(where string, raw json.RawMessage) (ByteGroup, error) {
		bg, err := parseByteGroup(where, raw, MaxVectorBytes-len(v.Bytes))
		v.Bytes = append(v.Bytes, bg.Bytes...)
		return bg, err
	})
	if err != nil {
		return nil, err
	}
	if len(v.Groups) == 0 {
		return nil, formatErr(where, "no bytes")
	}
	if o.has("error") {
		for _, k := range []string{"expect", "messages", "canonical"} {
			if o.has(k) {
				return nil, formatErr(where, "an invalid vector (with \"error\") has no %q", k)
			}
		}
		eo, _, _ := o.raw("error", true)
		e, err := parseError(where+": error", eo)
		if err != nil {
			return nil, err
		}
		v.Error = e
		return v, o.done()
	}
	if v.Canonical, err = o.boolean("canonical", true); err != nil {
		return nil, err
	}
	if v.Expect, err = parseEach(o, where, "expect", parsePacket); err != nil {
		return nil, err
	}
	if len(v.Expect) == 0 {
		return nil, formatErr(where, "expect is empty")
	}
	if v.Options.Header != (v.Expect[0].Type == decode.TypeHeader) {
		return nil, formatErr(where, "option header and the first expected packet disagree")
	}
	for i, p := range v.Expect[1:] {
		if p.Type == decode.TypeHeader {
			return nil, formatErr(where, "expect[%d]: header after the first packet", i+1)
		}
	}
	if v.Messages, err = parseEach(o, where, "messages", parseSummary); err != nil {
		return nil, err
	}
	return v, o.done()
}

// parseEach parses every element of o's required array k with parse, which
// names it "where: k[i]" in errors.
func parseEach[T any](o *object, where, k string, parse func(where string, raw json.RawMessage) (T, error)) ([]T, error) {
	a, _, err := o.array(k, true)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(a))
	for i, r := range a {
		x, err := parse(fmt.Sprintf("%s: %s[%d]", where, k, i), r)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (v *Vector) String() string { return v.Group + "/" + v.Name }

func parseOptions(where string, o *object) (Options, error) {
	opt := Options{MaxChannels: 4096}
	r, ok, err := o.raw("options", false)
	if err != nil || !ok {
		return opt, err
	}
	oo, err := parseObject(where+": options", r)
	if err != nil {
		return opt, err
	}
	h, err := oo.str("header", false, false)
	if err != nil {
		return opt, err
	}
	switch h {
	case "", "none":
	case "present":
		opt.Header = true
	default:
		return opt, formatErr(oo.where, "header %q: want \"none\" or \"present\"", h)
	}
	if n, ok, err := oo.uint("maxChannels", false, 4096); err != nil {
		return opt, err
	} else if ok {
		if n == 0 {
			return opt, formatErr(oo.where, "maxChannels 0")
		}
		opt.MaxChannels = int(n)
	}
	for _, l := range []struct {
		k   string
		p   *int
		max uint64
	}{{"maxActionBytes", &opt.MaxActionBytes, 65535}, {"maxFileNameBytes", &opt.MaxFileNameBytes, 65535}, {"maxFiles", &opt.MaxFiles, 1<<24 - 1}} {
		n, ok, err := oo.uint(l.k, false, l.max)
		if err != nil {
			return opt, err
		}
		if ok {
			if n == 0 {
				return opt, formatErr(oo.where, "%s 0", l.k)
			}
			*l.p = int(n)
		}
	}
	return opt, oo.done()
}

func parseError(where string, raw json.RawMessage) (*ExpectedError, error) {
	o, err := parseObject(where, raw)
	if err != nil {
		return nil, err
	}
	c, err := o.str("class", true, true)
	if err != nil {
		return nil, err
	}
	known := false
	for _, k := range ErrorClasses {
		known = known || k == c
	}
	if !known {
		return nil, formatErr(where, "unknown error class %q", c)
	}
	e := &ExpectedError{Class: c, Offset: -1}
	if n, ok, err := o.uint("offset", false, MaxVectorBytes); err != nil {
		return nil, err
	} else if ok {
		e.Offset = int64(n)
	}
	return e, o.done()
}

// parseByteGroup reads ["hex", "comment"] or [{"repeat": "hex", "times": n}, "comment"].
func parseByteGroup(where string, raw json.RawMessage, room int) (ByteGroup, error) {
	var g ByteGroup
	var a []json.RawMessage
	r := bytes.TrimSpace(raw)
	if len(r) == 0 || r[0] != '[' || json.Unmarshal(r, &a) != nil || len(a) != 2 {
		return g, formatErr(where, "want [bytes, comment]")
	}
	var err error
	if g.Bytes, err = parseBlob(where, a[0], room); err != nil {
		return g, err
	}
	if len(g.Bytes) == 0 {
		return g, formatErr(where, "no bytes")
	}
	if err := json.Unmarshal(a[1], &g.Comment); err != nil || strings.TrimSpace(g.Comment) == "" {
		return g, formatErr(where, "want a non-empty comment string")
	}
	return g, nil
}

// parseBlob reads a hex string (byte pairs, optionally separated by single
// spaces) or {"repeat": "hex", "times": n}.
func parseBlob(where string, raw json.RawMessage, room int) ([]byte, error) {
	r := bytes.TrimSpace(raw)
	if len(r) > 0 && r[0] == '{' {
		o, err := parseObject(where, r)
		if err != nil {
			return nil, err
		}
		h, err := o.str("repeat", true, true)
		if err != nil {
			return nil, err
		}
		unit, err := parseHex(where, h)
		if err != nil {
			return nil, err
		}
		n, _, err := o.uint("times", true, MaxVectorBytes)
		if err != nil {
			return nil, err
		}
		if n == 0 || len(unit) == 0 || uint64(len(unit))*n > uint64(room) {
			return nil, formatErr(where, "repeat: empty, or more than %d bytes", MaxVectorBytes)
		}
		if err := o.done(); err != nil {
			return nil, err
		}
		return bytes.Repeat(unit, int(n)), nil
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return nil, formatErr(where, "want a hex string or a repeat object")
	}
	b, err := parseHex(where, s)
	if err != nil {
		return nil, err
	}
	if len(b) > room {
		return nil, formatErr(where, "more than %d bytes", MaxVectorBytes)
	}
	return b, nil
}

func parseHex(where, s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		if s[i] == ' ' {
			if i == 0 || i+1 == len(s) || s[i+1] == ' ' {
				return nil, formatErr(where, "hex %q: stray space", clip(s))
			}
			i++
			continue
		}
		if i+2 > len(s) {
			return nil, formatErr(where, "hex %q: odd number of digits", clip(s))
		}
		var b [1]byte
		if _, err := hex.Decode(b[:], []byte(s[i:i+2])); err != nil {
			return nil, formatErr(where, "hex %q: %v", clip(s), err)
		}
		out = append(out, b[0])
		i += 2
	}
	return out, nil
}

// parseText reads a string or {"repeat": "text", "times": n}.
func parseText(where string, raw json.RawMessage) (string, error) {
	r := bytes.TrimSpace(raw)
	if len(r) > 0 && r[0] == '{' {
		o, err := parseObject(where, r)
		if err != nil {
			return "", err
		}
		unit, err := o.str("repeat", true, false)
		if err != nil {
			return "", err
		}
		n, _, err := o.uint("times", true, 65535)
		if err != nil {
			return "", err
		}
		if n == 0 || unit == "" || uint64(len(unit))*n > 65535 {
			return "", formatErr(where, "repeat: empty or longer than 65535 bytes")
		}
		if err := o.done(); err != nil {
			return "", err
		}
		return strings.Repeat(unit, int(n)), nil
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return "", formatErr(where, "want a string or a repeat object")
	}
	if len(s) > 65535 {
		return "", formatErr(where, "text longer than 65535 bytes")
	}
	return s, nil
}

func parseUUID(where string, o *object, k string) (string, error) {
	s, err := o.str(k, true, true)
	if err != nil {
		return "", err
	}
	if !ValidUUID(s) {
		return "", formatErr(where, "field %q: %q is not a canonical lower-case UUID", k, s)
	}
	return s, nil
}

// ValidUUID reports whether s is in canonical 8-4-4-4-12 lower-case form.
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func parsePacket(where string, raw json.RawMessage) (decode.Packet, error) {
	var p decode.Packet
	o, err := parseObject(where, raw)
	if err != nil {
		return p, err
	}
	if p.Type, err = o.str("type", true, true); err != nil {
		return p, err
	}
	names := decode.Fields(p.Type)
	if names == nil {
		return p, formatErr(where, "unknown packet type %q", p.Type)
	}
	const max48 = 1<<48 - 1
	for _, n := range names {
		var err error
		var u uint64
		switch n {
		case "channel":
			u, _, err = o.uint(n, true, 4095)
			p.Channel = int(u)
		case "channels":
			u, _, err = o.uint(n, true, 4096)
			if err == nil && u == 0 {
				err = formatErr(where, "channels 0")
			}
			p.Channels = int(u)
		case "size":
			p.Size, _, err = o.uint(n, true, math.MaxUint32)
		case "stream":
			p.Stream, err = o.boolean(n, true)
		case "expectsResponse":
			p.ExpectsResponse, err = o.boolean(n, true)
		case "id":
			p.ID, err = parseUUID(where, o, n)
		case "requestId":
			p.RequestID, err = parseUUID(where, o, n)
		case "action":
			var r json.RawMessage
			if r, _, err = o.raw(n, true); err == nil {
				p.Action, err = parseText(where+": action", r)
			}
			if err == nil && p.Action == "" {
				err = formatErr(where, "empty action")
			}
		case "dataSize":
			p.DataSize, _, err = o.uint(n, true, max48)
		case "filesSize":
			p.FilesSize, _, err = o.uint(n, true, max48)
		case "files":
			p.Files, err = parseFiles(where, o)
		case "code":
			u, _, err = o.uint(n, true, 4095)
			p.Code = int(u)
		case "index":
			u, _, err = o.uint(n, true, 1<<24-1)
			p.Index = int(u)
		case "payload":
			var r json.RawMessage
			if r, _, err = o.raw(n, true); err == nil {
				if s := bytes.TrimSpace(r); len(s) == 2 && s[0] == '"' && s[1] == '"' {
					p.Payload = []byte{}
				} else {
					p.Payload, err = parseBlob(where+": payload", r, MaxVectorBytes)
				}
			}
			if err == nil && uint64(len(p.Payload)) != p.Size {
				err = formatErr(where, "payload has %d bytes, size says %d", len(p.Payload), p.Size)
			}
		}
		if err != nil {
			return p, err
		}
	}
	return p, o.done()
}

func parseFiles(where string, o *object) ([]decode.FileHead, error) {
	return parseEach(o, where, "files", parseFileHead)
}

func parseFileHead(where string, raw json.RawMessage) (decode.FileHead, error) {
	var f decode.FileHead
	fo, err := parseObject(where, raw)
	if err != nil {
		return f, err
	}
	if f.Size, _, err = fo.uint("size", true, 1<<48-1); err != nil {
		return f, err
	}
	nr, _, err := fo.raw("name", true)
	if err != nil {
		return f, err
	}
	if f.Name, err = parseText(where+": name", nr); err != nil {
		return f, err
	}
	return f, fo.done()
}

func parseSummary(where string, raw json.RawMessage) (ExpectedSummary, error) {
	var s ExpectedSummary
	o, err := parseObject(where, raw)
	if err != nil {
		return s, err
	}
	if s.Type, err = o.str("type", true, true); err != nil {
		return s, err
	}
	if s.Type != decode.TypeMessage && s.Type != decode.TypeResponse {
		return s, formatErr(where, "type %q: want message or response", s.Type)
	}
	u, _, err := o.uint("channel", true, 4095)
	if err != nil {
		return s, err
	}
	s.Channel = int(u)
	if s.ID, err = parseUUID(where, o, "id"); err != nil {
		return s, err
	}
	if s.Complete, err = o.boolean("complete", true); err != nil {
		return s, err
	}
	if s.Aborted, err = o.boolean("aborted", false); err != nil {
		return s, err
	}
	return s, o.done()
}

// checkDuplicates rejects JSON objects with a repeated key anywhere in data
// (encoding/json would silently keep the last one).
func checkDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next token is a key
	}
	var stack []*frame
	for depth := 0; ; {
		t, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && depth == 0 {
				return nil
			}
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := t.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: t == '{', keys: map[string]bool{}, key: t == '{'})
				depth++
				if depth > 64 {
					return errors.New("JSON nested too deeply")
				}
			default:
				stack = stack[:len(stack)-1]
				depth--
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.keys[t] {
					return fmt.Errorf("duplicate key %q", t)
				}
				top.keys[t] = true
				top.key = false
				continue
			}
			if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}
