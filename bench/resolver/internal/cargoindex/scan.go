package cargoindex

// This file is a scanner that reads the top-level "name", "vers" and
// "yanked" members of one index line without encoding/json: listing a
// package's versions reads every line of its file, and decoding each line
// with encoding/json was most of the CPU meta spent on Cargo's index.

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// maxScanDepth bounds the nesting the fast scanner follows; deeper lines
// go to encoding/json, which has its own bound.
const maxScanDepth = 256

// headerKeys are the members scanHeader reads.
var headerKeys = []string{"name", "vers", "yanked"}

// header is the part of an index line that lists versions, for
// encoding/json.
type header struct {
	Name   string `json:"name"`
	Vers   string `json:"vers"`
	Yanked bool   `json:"yanked"`
}

// rawHeader is header as the scanner reads it: name and version are
// slices of the line, or copies when encoding/json decoded them.
type rawHeader struct {
	name, vers []byte
	yanked     bool
}

// parseHeader reads one index line's name, version and yanked flag. The
// result is what encoding/json decodes into header; plain lines (every
// line Cargo writes) are scanned directly, and anything the scanner does
// not handle (escapes or non-ASCII bytes in the members it reads, keys
// matching them only case-insensitively, invalid JSON) is decoded by
// encoding/json, so that errors and corner cases are its.
func parseHeader(line []byte) (rawHeader, error) {
	if h, ok := scanHeader(line); ok {
		return h, nil
	}
	var h header
	if err := json.Unmarshal(line, &h); err != nil {
		return rawHeader{}, err
	}
	return rawHeader{name: []byte(h.Name), vers: []byte(h.Vers), yanked: h.Yanked}, nil
}

// scanHeader is parseHeader's fast path; ok false means "ask
// encoding/json".
func scanHeader(line []byte) (h rawHeader, ok bool) {
	s := scanner{s: line}
	s.space()
	if !s.eat('{') {
		return rawHeader{}, false
	}
	s.space()
	if s.eat('}') {
		return h, s.end()
	}
	for {
		key, ok := s.plainString()
		if !ok {
			return rawHeader{}, false
		}
		s.space()
		if !s.eat(':') {
			return rawHeader{}, false
		}
		s.space()
		if !s.member(key, &h) {
			return rawHeader{}, false
		}
		s.space()
		if s.eat('}') {
			return h, s.end()
		}
		if !s.eat(',') {
			return rawHeader{}, false
		}
		s.space()
	}
}

// scanner walks a string; every method reports failure rather than
// guessing, and failure sends the line to encoding/json.
type scanner struct {
	s []byte
	i int
}

func (s *scanner) space() {
	b, i := s.s, s.i
	for i < len(b) && isSpace[b[i]] {
		i++
	}
	s.i = i
}

// Byte tables for the loops over strings and white space.
var (
	// isSpace: JSON white space.
	isSpace [256]bool
	// stopsString: '"', '\\' and control bytes, which end a run of
	// plain bytes in a string.
	stopsString [256]bool
	// isPlain: what plainString accepts in a string, printable ASCII
	// but '"' and '\\'.
	isPlain [256]bool
)

func init() {
	for _, c := range []byte(" \t\r\n") {
		isSpace[c] = true
	}
	for c := range 0x20 {
		stopsString[c] = true
	}
	stopsString['"'], stopsString['\\'] = true, true
	for c := 0x20; c < 0x80; c++ {
		isPlain[c] = !stopsString[c]
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.s) && s.s[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.s)
}

// member reads the value of key into h if key is one of header's fields,
// and skips it otherwise.
func (s *scanner) member(key []byte, h *rawHeader) bool {
	switch string(key) {
	case "name", "vers":
		if s.literal("null") {
			return true // encoding/json leaves the field as it was
		}
		v, ok := s.plainString()
		if !ok {
			return false
		}
		if string(key) == "name" {
			h.name = v
		} else {
			h.vers = v
		}
		return true
	case "yanked":
		switch {
		case s.literal("true"):
			h.yanked = true
		case s.literal("false"):
			h.yanked = false
		case s.literal("null"):
		default:
			return false
		}
		return true
	}
	// encoding/json matches keys case-insensitively: leave such keys to it.
	if foldsTo(key, headerKeys) {
		return false
	}
	return s.skipValue()
}

// plainString reads a string with no escapes and only printable ASCII,
// returning its contents.
func (s *scanner) plainString() ([]byte, bool) {
	b, i := s.s, s.i
	if i >= len(b) || b[i] != '"' {
		return nil, false
	}
	i++
	start := i
	for i < len(b) && isPlain[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' {
		s.i = i + 1
		return b[start:i], true
	}
	return nil, false
}

// skipString skips a string, escapes and any bytes of 0x80 and above
// included (encoding/json accepts invalid UTF-8 in strings).
func (s *scanner) skipString() bool {
	b, i := s.s, s.i
	if i >= len(b) || b[i] != '"' {
		return false
	}
	for i++; i < len(b); {
		if !stopsString[b[i]] {
			i++
			continue
		}
		c := b[i]
		i++
		switch {
		case c == '"':
			s.i = i
			return true
		case c < 0x20:
			return false
		}
		// A backslash.
		if i >= len(b) {
			return false
		}
		e := b[i]
		i++
		switch e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 > len(b) || !isHex4(b[i:i+4]) {
				return false
			}
			i += 4
		default:
			return false
		}
	}
	return false
}

func isHex4(h []byte) bool {
	for i := 0; i < 4; i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *scanner) literal(w string) bool {
	if bytes.HasPrefix(s.s[s.i:], []byte(w)) {
		s.i += len(w)
		return true
	}
	return false
}

// skipNumber skips a number as JSON's grammar has it.
func (s *scanner) skipNumber() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.digits() == 0:
		return false
	}
	if s.eat('.') && s.digits() == 0 {
		return false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

func (s *scanner) digits() int {
	start := s.i
	for s.i < len(s.s) && '0' <= s.s[s.i] && s.s[s.i] <= '9' {
		s.i++
	}
	return s.i - start
}

// skipValue skips one value, nested objects and arrays iteratively up to
// maxScanDepth.
func (s *scanner) skipValue() bool {
	if s.i < len(s.s) && s.s[s.i] == '"' {
		return s.skipString() // most values skipped: no nesting to set up
	}
	return s.skipNested()
}

// skipNested is skipValue for any value.
func (s *scanner) skipNested() bool {
	var stack [maxScanDepth]byte // '{' or '[' per open level
	depth := 0
	for {
		// A value.
		if s.i >= len(s.s) {
			return false
		}
		switch c := s.s[s.i]; {
		case c == '"':
			if !s.skipString() {
				return false
			}
		case c == '{' || c == '[':
			if depth == maxScanDepth {
				return false
			}
			s.i++
			s.space()
			if s.eat(closer(c)) {
				break // empty: a complete value
			}
			stack[depth] = c
			depth++
			if c == '{' && !s.key() {
				return false
			}
			continue
		case c == 't':
			if !s.literal("true") {
				return false
			}
		case c == 'f':
			if !s.literal("false") {
				return false
			}
		case c == 'n':
			if !s.literal("null") {
				return false
			}
		case c == '-' || '0' <= c && c <= '9':
			if !s.skipNumber() {
				return false
			}
		default:
			return false
		}
		// After a value: close levels or move to the next element.
		for {
			if depth == 0 {
				return true
			}
			s.space()
			open := stack[depth-1]
			if s.eat(closer(open)) {
				depth--
				continue
			}
			if !s.eat(',') {
				return false
			}
			s.space()
			if open == '{' && !s.key() {
				return false
			}
			break
		}
	}
}

// key reads `"key" :` and the white space after it inside an object.
func (s *scanner) key() bool {
	if !s.skipString() {
		return false
	}
	s.space()
	if !s.eat(':') {
		return false
	}
	s.space()
	return true
}

func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// lineError names the file and line of an index line that does not parse.
func lineError(path string, no int, err error) error {
	return fmt.Errorf("%s:%d: %w", path, no, err)
}
