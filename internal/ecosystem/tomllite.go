package ecosystem

import (
	"bytes"
	"unicode/utf8"
)

// tomlLite reads the plain subset of TOML that lock-file tools write (uv,
// for one) without the general TOML decoder: bare or quoted keys (no
// dotted keys), basic strings without escapes, decimal integers, booleans,
// arrays, inline tables on one line, and [table] and [[array]] headers. It
// reports false for anything else, including anything that may be
// invalid TOML (duplicate keys, a table defined twice, an inline table
// extended, a carriage return, invalid UTF-8): the caller then decodes
// the file with the TOML library, which gives the same values for what
// this accepts and the precise error for what is wrong.
//
// Tables come back as *liteTable, arrays of tables as *liteArray, inline
// arrays as []any, strings as string, integers as int64, booleans as bool.
func tomlLite(data []byte) (*liteTable, bool) {
	if bytes.IndexByte(data, '\r') >= 0 || !utf8.Valid(data) {
		return nil, false
	}
	p := liteParser{s: cargoScanner{data: data}, root: newLiteTable()}
	cur := p.root
	s := &p.s
	for s.p < len(s.data) {
		s.skipBlank()
		if s.p >= len(s.data) {
			break
		}
		switch s.data[s.p] {
		case '\n':
			s.p++
			continue
		case '#':
			if !s.comment() {
				return nil, false
			}
			continue
		case '[':
			t, ok := p.header()
			if !ok {
				return nil, false
			}
			cur = t
			continue
		}
		k, ok := p.key()
		if !ok || !s.equals() {
			return nil, false
		}
		if _, dup := cur.m[k]; dup {
			return nil, false
		}
		v, ok := p.value(0)
		if !ok || !s.lineEnd() {
			return nil, false
		}
		cur.m[k] = v
	}
	return p.root, true
}

// liteTable is a table; inline tables cannot be extended, and a table
// cannot be given a [header] twice.
type liteTable struct {
	m        map[string]any
	inline   bool
	explicit bool // defined by its own [header]
}

func newLiteTable() *liteTable { return &liteTable{m: map[string]any{}} }

// liteArray is an array of tables made by [[header]]s.
type liteArray struct{ tables []*liteTable }

// maxLiteDepth bounds nesting of arrays and inline tables.
const maxLiteDepth = 32

type liteParser struct {
	s    cargoScanner
	root *liteTable
}

// key reads a bare or quoted key.
func (p *liteParser) key() (string, bool) {
	if p.s.p < len(p.s.data) && p.s.data[p.s.p] == '"' {
		return p.s.str()
	}
	return p.s.bareKey()
}

// header reads a [a.b] or [[a.b]] line and returns the table it opens.
func (p *liteParser) header() (*liteTable, bool) {
	s := &p.s
	array := bytes.HasPrefix(s.data[s.p:], []byte("[["))
	if array {
		s.p += 2
	} else {
		s.p++
	}
	var path []string
	for {
		s.skipBlank()
		k, ok := p.key()
		if !ok {
			return nil, false
		}
		path = append(path, k)
		s.skipBlank()
		if s.p < len(s.data) && s.data[s.p] == '.' {
			s.p++
			continue
		}
		break
	}
	closing := "]"
	if array {
		closing = "]]"
	}
	if !bytes.HasPrefix(s.data[s.p:], []byte(closing)) {
		return nil, false
	}
	s.p += len(closing)
	if !s.lineEnd() {
		return nil, false
	}
	t := p.root
	for _, k := range path[:len(path)-1] {
		switch v := t.m[k].(type) {
		case nil:
			n := newLiteTable()
			t.m[k] = n
			t = n
		case *liteTable:
			if v.inline {
				return nil, false
			}
			t = v
		case *liteArray:
			t = v.tables[len(v.tables)-1]
		default:
			return nil, false
		}
	}
	last := path[len(path)-1]
	if array {
		a, ok := t.m[last].(*liteArray)
		if !ok {
			if t.m[last] != nil {
				return nil, false
			}
			a = &liteArray{}
			t.m[last] = a
		}
		n := newLiteTable()
		n.explicit = true
		a.tables = append(a.tables, n)
		return n, true
	}
	switch v := t.m[last].(type) {
	case nil:
		n := newLiteTable()
		n.explicit = true
		t.m[last] = n
		return n, true
	case *liteTable:
		if v.inline || v.explicit || liteHasValues(v) {
			return nil, false
		}
		v.explicit = true
		return v, true
	}
	return nil, false
}

// liteHasValues reports whether an implicitly created table already has
// keys other than subtables: leave such redefinitions to the decoder.
func liteHasValues(t *liteTable) bool {
	for _, v := range t.m {
		switch v.(type) {
		case *liteTable, *liteArray:
		default:
			return true
		}
	}
	return false
}

// value reads a string, integer, boolean, array or inline table.
func (p *liteParser) value(depth int) (any, bool) {
	s := &p.s
	if s.p >= len(s.data) || depth > maxLiteDepth {
		return nil, false
	}
	switch c := s.data[s.p]; {
	case c == '"':
		if bytes.HasPrefix(s.data[s.p:], []byte(`"""`)) {
			return nil, false
		}
		return s.str()
	case c >= '0' && c <= '9':
		start := s.p
		var n int64
		for s.p < len(s.data) && s.data[s.p] >= '0' && s.data[s.p] <= '9' {
			n = n*10 + int64(s.data[s.p]-'0')
			s.p++
		}
		digits := s.p - start
		if digits > 18 || (digits > 1 && s.data[start] == '0') {
			return nil, false
		}
		// 1979-05-27, 1.5, 1e3, 1_000: dates, floats and underscores are left to the decoder.
		if s.p < len(s.data) && bytes.IndexByte([]byte("-:.eE_xob"), s.data[s.p]) >= 0 {
			return nil, false
		}
		return n, true
	case c == 't' && bytes.HasPrefix(s.data[s.p:], []byte("true")):
		s.p += 4
		return true, p.wordEnd()
	case c == 'f' && bytes.HasPrefix(s.data[s.p:], []byte("false")):
		s.p += 5
		return false, p.wordEnd()
	case c == '[':
		s.p++
		out := []any{}
		for {
			if !s.arraySpace() || s.p >= len(s.data) {
				return nil, false
			}
			if s.data[s.p] == ']' {
				s.p++
				return out, true
			}
			v, ok := p.value(depth + 1)
			if !ok || !s.arraySpace() || s.p >= len(s.data) {
				return nil, false
			}
			out = append(out, v)
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
	case c == '{':
		s.p++
		t := newLiteTable()
		t.inline = true
		s.skipBlank()
		if s.p < len(s.data) && s.data[s.p] == '}' {
			s.p++
			return t, true
		}
		for {
			s.skipBlank()
			k, ok := p.key()
			if !ok || !s.equals() {
				return nil, false
			}
			if _, dup := t.m[k]; dup {
				return nil, false
			}
			v, ok := p.value(depth + 1)
			if !ok {
				return nil, false
			}
			t.m[k] = v
			s.skipBlank()
			if s.p >= len(s.data) {
				return nil, false
			}
			switch s.data[s.p] {
			case ',':
				s.p++
			case '}':
				s.p++
				return t, true
			default:
				return nil, false
			}
		}
	}
	return nil, false
}

// wordEnd checks that a keyword is not the start of a longer word.
func (p *liteParser) wordEnd() bool {
	s := &p.s
	if s.p >= len(s.data) {
		return true
	}
	c := s.data[s.p]
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')
}

// liteAny is v as the TOML library decodes it into an interface:
// map[string]any for tables, []map[string]any for arrays of tables.
func liteAny(v any) any {
	switch v := v.(type) {
	case *liteTable:
		m := make(map[string]any, len(v.m))
		for k, x := range v.m {
			m[k] = liteAny(x)
		}
		return m
	case *liteArray:
		out := make([]map[string]any, len(v.tables))
		for i, t := range v.tables {
			out[i] = liteAny(t).(map[string]any)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = liteAny(x)
		}
		return out
	}
	return v
}

// liteTables is v as a list of tables: an array of tables, or an inline
// array whose elements are all tables.
func liteTables(v any) ([]*liteTable, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case *liteArray:
		return v.tables, true
	case []any:
		out := make([]*liteTable, len(v))
		for i, x := range v {
			t, ok := x.(*liteTable)
			if !ok {
				return nil, false
			}
			out[i] = t
		}
		return out, true
	}
	return nil, false
}

// liteString is v when it is a string (or absent: "").
func liteString(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return v, true
	}
	return "", false
}

// liteStructKeys reports whether t's keys can be matched to struct fields
// exactly: the TOML library also matches keys to fields case-insensitively,
// so a key with upper-case letters is left to it.
func liteStructKeys(t *liteTable) bool {
	for k := range t.m {
		for i := 0; i < len(k); i++ {
			if k[i] >= 'A' && k[i] <= 'Z' {
				return false
			}
		}
	}
	return true
}
