package cargoindex

// This file reads a whole index line (the members entry maps) with the
// scanner of scan.go: the solver reads one or two entries in full of most
// packages it lists, and encoding/json was most of that cost.

import (
	"bytes"
	"encoding/json"
)

// parseLine decodes one index line into line. The result is what
// encoding/json decodes: plain lines (every line Cargo writes) are
// scanned directly, and anything the scanner does not handle (escapes or
// non-ASCII bytes in the members it reads, keys matching them only
// case-insensitively, "deps" twice, a dependency that is not an object,
// deep nesting, invalid JSON) is decoded by encoding/json, so that errors
// and corner cases are its.
func parseLine(text []byte) (line, error) {
	if x, ok := scanLine(text); ok {
		return x, nil
	}
	var x line
	err := json.Unmarshal(text, &x)
	return x, err
}

// lineKeys and depKeys are the members scanLine reads, top level and in
// each dependency.
var (
	lineKeys = []string{"name", "vers", "cksum", "yanked", "deps"}
	depKeys  = []string{"name", "package", "req", "optional", "kind"}
)

// scanLine is parseLine's fast path; ok false means "ask encoding/json".
func scanLine(text []byte) (x line, ok bool) {
	s := scanner{s: text}
	s.space()
	if !s.eat('{') {
		return line{}, false
	}
	s.space()
	if s.eat('}') {
		return x, s.end()
	}
	seenDeps := false
	for {
		key, ok := s.plainString()
		if !ok || !s.colon() {
			return line{}, false
		}
		switch string(key) {
		case "name":
			ok = s.stringInto(&x.Name)
		case "vers":
			ok = s.stringInto(&x.Vers)
		case "cksum":
			ok = s.stringInto(&x.Cksum)
		case "yanked":
			ok = s.boolInto(&x.Yanked)
		case "deps":
			// encoding/json decodes a second "deps" into the first one's
			// elements: leave that to it.
			ok = !seenDeps
			seenDeps = true
			if ok {
				x.Deps, ok = s.deps()
			}
		default:
			ok = !foldsTo(key, lineKeys) && s.skipValue()
		}
		if !ok {
			return line{}, false
		}
		s.space()
		if s.eat('}') {
			return x, s.end()
		}
		if !s.eat(',') {
			return line{}, false
		}
		s.space()
	}
}

// deps reads the "deps" array: null (nil, as encoding/json sets it) or
// objects.
func (s *scanner) deps() ([]lineDep, bool) {
	if s.literal("null") {
		return nil, true
	}
	if !s.eat('[') {
		return nil, false
	}
	out := []lineDep{}
	s.space()
	if s.eat(']') {
		return out, true
	}
	for {
		d, ok := s.dep()
		if !ok {
			return nil, false
		}
		out = append(out, d)
		s.space()
		if s.eat(']') {
			return out, true
		}
		if !s.eat(',') {
			return nil, false
		}
		s.space()
	}
}

// dep reads one dependency object.
func (s *scanner) dep() (d lineDep, ok bool) {
	if !s.eat('{') {
		return d, false
	}
	s.space()
	if s.eat('}') {
		return d, true
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.colon() {
			return d, false
		}
		switch string(key) {
		case "name":
			ok = s.stringInto(&d.Name)
		case "package":
			ok = s.stringInto(&d.Package)
		case "req":
			ok = s.stringInto(&d.Req)
		case "optional":
			ok = s.boolInto(&d.Optional)
		case "kind":
			ok = s.stringInto(&d.Kind)
		default:
			ok = !foldsTo(key, depKeys) && s.skipValue()
		}
		if !ok {
			return d, false
		}
		s.space()
		if s.eat('}') {
			return d, true
		}
		if !s.eat(',') {
			return d, false
		}
		s.space()
	}
}

// colon reads the `:` after a key and the white space around it.
func (s *scanner) colon() bool {
	s.space()
	if !s.eat(':') {
		return false
	}
	s.space()
	return true
}

// stringInto reads a plain string into dst; null leaves dst as it is, as
// encoding/json does.
func (s *scanner) stringInto(dst *string) bool {
	if s.literal("null") {
		return true
	}
	v, ok := s.plainString()
	if !ok {
		return false
	}
	switch string(v) { // the common values, without a copy
	case "normal":
		*dst = "normal"
	case "build":
		*dst = "build"
	case "dev":
		*dst = "dev"
	default:
		*dst = string(v)
	}
	return true
}

// boolInto reads true, false or null (dst unchanged) into dst.
func (s *scanner) boolInto(dst *bool) bool {
	switch {
	case s.literal("true"):
		*dst = true
	case s.literal("false"):
		*dst = false
	case s.literal("null"):
	default:
		return false
	}
	return true
}

// foldsTo reports whether key matches one of keys ignoring ASCII case
// (keys read by plainString are ASCII): encoding/json would match it to
// that member.
func foldsTo(key []byte, keys []string) bool {
	for _, k := range keys {
		if len(key) == len(k) && bytes.EqualFold(key, []byte(k)) {
			return true
		}
	}
	return false
}
