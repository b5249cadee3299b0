package ecosystem

import (
	"bytes"
	"unicode/utf8"
)

// fastCargoLock reads a Cargo.lock written in the layout cargo itself
// writes (a version line, [[package]] tables of name, version, source,
// checksum, replace and a dependencies array of plain strings, and the
// [metadata] checksum table of version 1 files) without a general TOML
// decoder. It reports false for anything else, including anything that
// may be invalid TOML: the caller then decodes the file with the TOML
// library, which gives the same result for what this accepts and the
// precise error for what is wrong. So this never decides that a file is
// bad; it only makes the common case cheap.
func fastCargoLock(data []byte) (cargoLock, bool) {
	var lock cargoLock
	if bytes.IndexByte(data, '\r') >= 0 || !utf8.Valid(data) {
		return lock, false
	}
	s := cargoScanner{data: data}
	const (
		top = iota
		pkg
		meta
	)
	table := top
	seen := map[string]bool{} // keys of the current table
	var cur *cargoPackage
	metaSeen := false
	for s.p < len(s.data) {
		s.skipBlank()
		if s.p >= len(s.data) {
			break
		}
		switch c := s.data[s.p]; {
		case c == '\n':
			s.p++
			continue
		case c == '#':
			if !s.comment() {
				return lock, false
			}
			continue
		case c == '[':
			switch {
			case s.header("[[package]]"):
				lock.Package = append(lock.Package, cargoPackage{})
				cur, table = &lock.Package[len(lock.Package)-1], pkg
			case s.header("[metadata]") && !metaSeen:
				metaSeen, table, cur = true, meta, nil
			default:
				return lock, false
			}
			clear(seen)
			continue
		}
		if table == meta {
			// "checksum NAME VERSION (SOURCE)" = "HASH"
			k, ok := s.str()
			if !ok || seen[k] || !s.equals() {
				return lock, false
			}
			seen[k] = true
			if _, ok := s.str(); !ok || !s.lineEnd() {
				return lock, false
			}
			continue
		}
		key, ok := s.bareKey()
		if !ok || seen[key] || !s.equals() {
			return lock, false
		}
		seen[key] = true
		if table == top {
			if key != "version" {
				return lock, false
			}
			n, ok := s.smallInt()
			if !ok || !s.lineEnd() {
				return lock, false
			}
			lock.Version = n
			continue
		}
		var field *string
		switch key {
		case "name":
			field = &cur.Name
		case "version":
			field = &cur.Version
		case "source":
			field = &cur.Source
		case "checksum", "replace":
			field = new(string)
		case "dependencies":
			deps, ok := s.strArray()
			if !ok || !s.lineEnd() {
				return lock, false
			}
			cur.Dependencies = deps
			continue
		default:
			return lock, false
		}
		v, ok := s.str()
		if !ok || !s.lineEnd() {
			return lock, false
		}
		*field = v
	}
	return lock, true
}

// cargoScanner walks a Cargo.lock for fastCargoLock. Its methods report
// false on anything outside the layout it accepts.
type cargoScanner struct {
	data []byte
	p    int
}

// skipBlank skips spaces and tabs.
func (s *cargoScanner) skipBlank() {
	for s.p < len(s.data) && (s.data[s.p] == ' ' || s.data[s.p] == '\t') {
		s.p++
	}
}

// comment skips a comment up to (not including) its newline; control
// characters other than tab make it one to leave to the TOML decoder.
func (s *cargoScanner) comment() bool {
	for s.p < len(s.data) && s.data[s.p] != '\n' {
		if c := s.data[s.p]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
		s.p++
	}
	return true
}

// lineEnd accepts blanks, an optional comment and the end of the line.
func (s *cargoScanner) lineEnd() bool {
	s.skipBlank()
	if s.p < len(s.data) && s.data[s.p] == '#' && !s.comment() {
		return false
	}
	if s.p == len(s.data) {
		return true
	}
	if s.data[s.p] != '\n' {
		return false
	}
	s.p++
	return true
}

// header accepts a table header h alone on its line.
func (s *cargoScanner) header(h string) bool {
	if !bytes.HasPrefix(s.data[s.p:], []byte(h)) {
		return false
	}
	save := s.p
	s.p += len(h)
	if !s.lineEnd() {
		s.p = save
		return false
	}
	return true
}

// bareKey reads a bare key (ASCII letters, digits, '-' and '_').
func (s *cargoScanner) bareKey() (string, bool) {
	start := s.p
	for s.p < len(s.data) {
		c := s.data[s.p]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			break
		}
		s.p++
	}
	return string(s.data[start:s.p]), s.p > start
}

// equals accepts "=" with blanks around it.
func (s *cargoScanner) equals() bool {
	s.skipBlank()
	if s.p >= len(s.data) || s.data[s.p] != '=' {
		return false
	}
	s.p++
	s.skipBlank()
	return true
}

// str reads a basic string on one line, without control characters; of
// the escapes it knows only \" and \\.
func (s *cargoScanner) str() (string, bool) {
	if s.p >= len(s.data) || s.data[s.p] != '"' {
		return "", false
	}
	start := s.p + 1
	var b []byte // the text so far, once an escape was seen
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.p = i + 1
			if b != nil {
				return string(b), true
			}
			return string(s.data[start:i]), true
		case c == '\\':
			if i+1 >= len(s.data) || (s.data[i+1] != '"' && s.data[i+1] != '\\') {
				return "", false
			}
			if b == nil {
				b = append([]byte(nil), s.data[start:i]...)
			}
			b = append(b, s.data[i+1])
			i++
		case c < 0x20 || c == 0x7f:
			return "", false
		default:
			if b != nil {
				b = append(b, c)
			}
		}
	}
	return "", false
}

// smallInt reads a decimal integer of at most 9 digits, without sign,
// underscores or leading zeros.
func (s *cargoScanner) smallInt() (int, bool) {
	start, n := s.p, 0
	for s.p < len(s.data) && s.data[s.p] >= '0' && s.data[s.p] <= '9' && s.p-start < 10 {
		n = n*10 + int(s.data[s.p]-'0')
		s.p++
	}
	digits := s.p - start
	if digits == 0 || digits > 9 || (digits > 1 && s.data[start] == '0') {
		return 0, false
	}
	return n, true
}

// strArray reads an array of strings, on one line or several, with
// comments and a trailing comma allowed.
func (s *cargoScanner) strArray() ([]string, bool) {
	if s.p >= len(s.data) || s.data[s.p] != '[' {
		return nil, false
	}
	s.p++
	out := []string{}
	for {
		if !s.arraySpace() {
			return nil, false
		}
		if s.p < len(s.data) && s.data[s.p] == ']' {
			s.p++
			return out, true
		}
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if !s.arraySpace() || s.p >= len(s.data) {
			return nil, false
		}
		switch s.data[s.p] {
		case ',':
			s.p++
		case ']':
			s.p++
			return out, true
		default:
			return nil, false
		}
	}
}

// arraySpace skips blanks, newlines and comments inside an array.
func (s *cargoScanner) arraySpace() bool {
	for s.p < len(s.data) {
		switch s.data[s.p] {
		case ' ', '\t', '\n':
			s.p++
		case '#':
			if !s.comment() {
				return false
			}
		default:
			return true
		}
	}
	return true
}
