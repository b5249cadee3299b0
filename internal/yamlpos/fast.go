package yamlpos

import (
	"context"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/goccy/go-yaml/token"
)

// The fast path: a linear, line-by-line parser for the plain block YAML
// that manifests and lock files are written in (block mappings and
// sequences, "- key: value" entries, one-line flow sequences and mappings
// of scalars, single-line plain and quoted scalars with the ASCII escapes,
// comments, a first "---"). It builds exactly the tree goccy builds for
// such a document (positions, tags by goccy's own token classifier, key
// order, key index), in a fraction of the time and memory, and gives up
// on anything else: anchors, aliases, tags, merge keys, block and
// multi-line scalars, other escapes, tabs and other control characters,
// odd indentation, "?" keys, nested or multi-line flow collections,
// several documents, duplicate keys, empty documents, any error.
// parseFast then reports false and the document goes through goccy,
// which gives today's tree or error.

// fastCtxLines is how many lines the fast path reads between two looks
// at its context.
const fastCtxLines = 4096

// fastMaxDepth bounds how deeply the fast path nests: far below MaxDepth,
// so that everything goccy's limits would refuse falls back to it.
const fastMaxDepth = MaxDepth / 4

// fastMaxIndent bounds the indentation the fast path reads, for the same
// reason (checkDepth counts columns).
const fastMaxIndent = MaxDepth / 2

// fastPanics counts the panics of the fast path other than its own
// bail-outs (tests check that there are none).
var fastPanics atomic.Int64

// bail is the panic value with which the fast path gives up.
type bail struct{}

// line is a content line (not blank, not only a comment), or the rest of
// one after a "- " entry indicator.
type line struct {
	start int // byte offset of the first non-space character
	end   int // byte offset of the line's end (its '\n' or len(src))
	num   int // 1-based line number
	col   int // 1-based column (in runes) of start
}

type fastParser struct {
	ctx   context.Context
	src   string
	next  int // byte offset of the first line not yet read
	num   int // number of the line starting at next
	cur   line
	have  bool // cur holds a line not yet consumed
	eof   bool
	lines int
	err   error // the context's error, when it ended the parse

	nodes []Node  // slab the nodes are taken from
	ptrs  []*Node // slab the Keys and Values slices are taken from
	stack []*Node // children of the collections being built
}

// parseFast parses data on the fast path. It reports false when it does
// not handle data, and then err is nil; err is non-nil only when ctx
// ended the parse.
func parseFast(ctx context.Context, data []byte) (n *Node, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	p := &fastParser{ctx: ctx, src: string(data), num: 1}
	// Bytes goccy may read as white space or line breaks of their own
	// (a byte order mark, NEL, LS, PS), or whose columns it may count
	// otherwise (invalid UTF-8).
	if !utf8.ValidString(p.src) || strings.Contains(p.src, "\ufeff") || strings.Contains(p.src, "\u0085") ||
		strings.Contains(p.src, "\u2028") || strings.Contains(p.src, "\u2029") {
		return nil, false, nil
	}
	defer func() {
		if r := recover(); r != nil {
			// A bug here must not crash meta on hostile input: goccy
			// reads the document instead (tests count such panics).
			if _, isBail := r.(bail); !isBail {
				fastPanics.Add(1)
			}
			n, ok, err = nil, false, p.err
		}
	}()
	// An optional "---" first line.
	if strings.HasPrefix(p.src, "---") {
		rest := p.src[3:]
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return nil, false, nil
		}
		if h := strings.TrimLeft(rest[:i], " "); h != "" && (h[0] != '#' || len(h) == i) {
			return nil, false, nil // anything but white space and a comment
		}
		for _, c := range []byte(rest[:i]) {
			if c < 0x20 || c == 0x7f {
				return nil, false, nil // a CR, a tab: goccy's line breaks and blanks
			}
		}
		p.next, p.num = 3+i+1, 2
	}
	if !p.peek() {
		return nil, false, nil // empty documents: goccy places their node
	}
	first := p.cur
	var root *Node
	if first.col != 1 {
		return nil, false, nil
	}
	if p.isEntry(first) {
		root = p.seq(first.col, 0)
	} else {
		root = p.mapping(first.col, 0)
	}
	if p.peek() {
		return nil, false, nil
	}
	return root, true, nil
}

func (p *fastParser) fail() { panic(bail{}) }

// peek makes cur the next content line and reports whether there is one.
func (p *fastParser) peek() bool {
	if p.have {
		return true
	}
	for !p.eof {
		if p.next >= len(p.src) {
			p.eof = true
			break
		}
		p.lines++
		if p.lines%fastCtxLines == 0 {
			if err := p.ctx.Err(); err != nil {
				p.err = err
				p.fail()
			}
		}
		start := p.next
		end := strings.IndexByte(p.src[start:], '\n')
		if end < 0 {
			end = len(p.src)
			p.next = end
		} else {
			end += start
			p.next = end + 1
		}
		num := p.num
		p.num++
		i := start
		for i < end && p.src[i] == ' ' {
			i++
		}
		if i == end || p.src[i] == '#' {
			// Blank or comment line: check its bytes all the same.
			for j := i; j < end; j++ {
				if c := p.src[j]; c < 0x20 || c == 0x7f {
					p.fail()
				}
			}
			continue
		}
		if i-start > fastMaxIndent {
			p.fail()
		}
		// The bytes goccy may read otherwise: control characters (tabs,
		// CR), DEL, non-ASCII line or document markers.
		for j := i; j < end; j++ {
			if c := p.src[j]; c < 0x20 || c == 0x7f {
				p.fail()
			}
		}
		if i == start && end-start >= 3 && (p.src[start:start+3] == "---" || p.src[start:start+3] == "...") {
			p.fail()
		}
		p.cur = line{start: i, end: end, num: num, col: i - start + 1}
		p.have = true
		return true
	}
	return false
}

// isEntry reports whether l starts with a block sequence entry "- ".
func (p *fastParser) isEntry(l line) bool {
	return p.src[l.start] == '-' && (l.start+1 == l.end || p.src[l.start+1] == ' ')
}

// node returns a new node from the slab.
func (p *fastParser) node() *Node {
	if len(p.nodes) == 0 {
		// Slabs sized by the document, so that a small file costs little.
		p.nodes = make([]Node, min(1024, 8+len(p.src)/16))
	}
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	return n
}

// take moves the last k nodes of the stack into a slice of their own.
func (p *fastParser) take(k int) []*Node {
	if k == 0 {
		return nil
	}
	out := p.slice(k)
	copy(out, p.stack[len(p.stack)-k:])
	p.stack = p.stack[:len(p.stack)-k]
	return out
}

// slice returns a slice of k pointers from the slab.
func (p *fastParser) slice(k int) []*Node {
	if len(p.ptrs) < k {
		p.ptrs = make([]*Node, max(min(4096, 8+len(p.src)/16), k))
	}
	out := p.ptrs[:k:k]
	p.ptrs = p.ptrs[k:]
	return out
}

// colAt returns the column of byte offset i of line l.
func (p *fastParser) colAt(l line, i int) int {
	return l.col + utf8.RuneCountInString(p.src[l.start:i])
}

// mapping parses the block mapping whose keys are at column col, the
// first of them on cur.
func (p *fastParser) mapping(col, depth int) *Node {
	if depth > fastMaxDepth {
		p.fail()
	}
	m := p.node()
	m.Kind = Map
	base := len(p.stack)
	for p.peek() && p.cur.col >= col {
		l := p.cur
		if l.col > col || p.isEntry(l) {
			p.fail()
		}
		p.have = false
		k, i := p.key(l)
		if k.Kind != Scalar {
			p.fail()
		}
		// A duplicate falls back to goccy, for its error.
		for j := base; j < len(p.stack); j += 2 {
			if p.stack[j].Value == k.Value {
				p.fail()
			}
		}
		v := p.value(l, i, col, depth)
		if v.Line == 0 {
			v.Line, v.Col = k.Line, k.Col
		}
		p.stack = append(p.stack, k, v)
		if len(p.stack)-base == 2*indexFrom {
			// Large mappings look duplicates up in an index.
			return p.largeMapping(m, base, col, depth)
		}
	}
	return p.finishMap(m, base, nil)
}

// largeMapping goes on with the mapping m whose first pairs are on the
// stack from base, with an index of its keys.
func (p *fastParser) largeMapping(m *Node, base, col, depth int) *Node {
	index := make(map[string]int, 2*indexFrom)
	for j := base; j < len(p.stack); j += 2 {
		index[p.stack[j].Value] = (j - base) / 2
	}
	for p.peek() && p.cur.col >= col {
		l := p.cur
		if l.col > col || p.isEntry(l) {
			p.fail()
		}
		p.have = false
		k, i := p.key(l)
		if k.Kind != Scalar {
			p.fail()
		}
		if _, dup := index[k.Value]; dup {
			p.fail()
		}
		index[k.Value] = (len(p.stack) - base) / 2
		v := p.value(l, i, col, depth)
		if v.Line == 0 {
			v.Line, v.Col = k.Line, k.Col
		}
		p.stack = append(p.stack, k, v)
	}
	return p.finishMap(m, base, index)
}

// finishMap gives m the pairs on the stack from base.
func (p *fastParser) finishMap(m *Node, base int, index map[string]int) *Node {
	n := (len(p.stack) - base) / 2
	if n == 0 {
		p.fail()
	}
	keys, values := p.slice(n), p.slice(n)
	for i := range n {
		keys[i], values[i] = p.stack[base+2*i], p.stack[base+2*i+1]
	}
	p.stack = p.stack[:base]
	m.Keys, m.Values = keys, values
	m.Line, m.Col = keys[0].Line, keys[0].Col
	if n >= indexFrom {
		if index == nil {
			index = make(map[string]int, 2*n)
			for i, k := range keys {
				index[k.Value] = i
			}
		}
		m.index = index
	}
	return m
}

// key parses the key that line l starts with and its ':', and returns it
// and the offset after the ':'.
func (p *fastParser) key(l line) (*Node, int) {
	s := p.src
	i := l.start
	var k *Node
	switch s[i] {
	case '"', '\'':
		k, i = p.quoted(l, i)
	default:
		// A plain key ends at ": " or a ':' that ends the line.
		j := i
		for {
			c := s[j]
			if c == ':' && (j+1 == l.end || s[j+1] == ' ') {
				break
			}
			if !plainByte(c) || c == ' ' && j+1 < l.end && s[j+1] == '#' {
				p.fail()
			}
			j++
			if j == l.end {
				p.fail()
			}
		}
		if j == i || s[j-1] == ' ' || !plainStart(s, i, j) {
			p.fail()
		}
		k = p.plain(l, i, j)
		i = j
	}
	if i >= l.end || s[i] != ':' || i+1 < l.end && s[i+1] != ' ' {
		p.fail()
	}
	return k, i + 1
}

// value parses the value of the key on line l (whose mapping is at column
// col), which starts after the ':' at offset i.
func (p *fastParser) value(l line, i, col, depth int) *Node {
	s := p.src
	j := i
	for j < l.end && s[j] == ' ' {
		j++
	}
	if j == l.end || s[j] == '#' {
		if j < l.end {
			// "key: # comment": goccy attaches the comment; fall back.
			p.fail()
		}
		// The value is on the lines below, or empty.
		switch {
		case !p.peek():
			// An empty value at the end: goccy places it a column
			// further than one followed by a line.
			n := p.node()
			n.Kind, n.Tag, n.Line, n.Col = Null, "null", l.num, p.colAt(l, i)+1
			return n
		case p.cur.col > col:
			return p.block(depth + 1)
		case p.cur.col == col && p.isEntry(p.cur):
			return p.seq(col, depth+1)
		}
		n := p.node()
		n.Kind, n.Tag, n.Line, n.Col = Null, "null", l.num, p.colAt(l, i)
		return n
	}
	v := p.inline(l, j, depth)
	// A deeper line after an inline value continues it, or is an error.
	if p.peek() && p.cur.col > col {
		p.fail()
	}
	return v
}

// block parses the block node that starts on cur.
func (p *fastParser) block(depth int) *Node {
	if p.isEntry(p.cur) {
		return p.seq(p.cur.col, depth)
	}
	return p.mapping(p.cur.col, depth)
}

// seq parses the block sequence whose entries are at column col, the first
// of them on cur.
func (p *fastParser) seq(col, depth int) *Node {
	if depth > fastMaxDepth {
		p.fail()
	}
	sq := p.node()
	sq.Kind = Seq
	sq.Line, sq.Col = p.cur.num, p.cur.col
	base := len(p.stack)
	for p.peek() && p.cur.col >= col {
		l := p.cur
		if l.col > col {
			p.fail()
		}
		if !p.isEntry(l) {
			break
		}
		p.have = false
		s := p.src
		i := l.start + 1
		for i < l.end && s[i] == ' ' {
			i++
		}
		var item *Node
		switch {
		case i == l.end:
			switch {
			case !p.peek():
				// An empty entry at the end: as an empty value above.
				item = p.node()
				item.Kind, item.Tag, item.Line, item.Col = Null, "null", l.num, l.col+2
			case p.cur.col > col:
				item = p.block(depth + 1)
			case p.cur.col == col && !p.isEntry(p.cur):
				// goccy takes the line for the entry's value.
				p.fail()
			default:
				item = p.node()
				item.Kind, item.Tag, item.Line, item.Col = Null, "null", l.num, l.col+1
			}
		case s[i] == '#':
			p.fail()
		default:
			rest := line{start: i, end: l.end, num: l.num, col: l.col + (i - l.start)}
			if p.isEntry(rest) {
				p.fail()
			}
			if p.isKeyLine(rest) {
				// "- key: value": a mapping at the column of key.
				p.cur, p.have = rest, true
				item = p.mapping(rest.col, depth+1)
			} else {
				item = p.inline(rest, rest.start, depth)
				if p.peek() && p.cur.col > col {
					p.fail()
				}
			}
		}
		p.stack = append(p.stack, item)
	}
	n := len(p.stack) - base
	sq.Values = p.take(n)
	return sq
}

// isKeyLine reports whether l starts with a mapping key: a ": " or final
// ':' outside quotes, before any comment.
func (p *fastParser) isKeyLine(l line) bool {
	s := p.src
	i := l.start
	switch s[i] {
	case '"', '\'':
		q := s[i]
		for i++; i < l.end; i++ {
			if s[i] == q {
				if q == '\'' && i+1 < l.end && s[i+1] == '\'' {
					i++
					continue
				}
				break
			}
			if q == '"' && s[i] == '\\' {
				i++
			}
		}
		if i >= l.end {
			p.fail()
		}
		i++
		return i < l.end && s[i] == ':'
	case '[', '{':
		return false
	}
	for ; i < l.end; i++ {
		switch s[i] {
		case ':':
			if i+1 == l.end || s[i+1] == ' ' {
				return true
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return false
}

// inline parses the node that starts at offset i of line l and ends the
// line: a scalar or a flow sequence of scalars.
func (p *fastParser) inline(l line, i, depth int) *Node {
	s := p.src
	var n *Node
	switch s[i] {
	case '"', '\'':
		n, i = p.quoted(l, i)
	case '[':
		n, i = p.flowSeq(l, i, depth)
	case '{':
		n, i = p.flowMap(l, i, depth)
	default:
		j := i
		for j < l.end {
			c := s[j]
			if c == ' ' && j+1 < l.end && s[j+1] == '#' {
				break
			}
			if c == ':' && (j+1 == l.end || s[j+1] == ' ') || !plainByte(c) {
				p.fail()
			}
			j++
		}
		e := j
		for s[e-1] == ' ' {
			e--
		}
		// goccy moves a plain scalar right by the spaces that end its line.
		if !plainStart(s, i, e) || e < j && j == l.end {
			p.fail()
		}
		n = p.plain(l, i, e)
		i = j
	}
	p.rest(l, i)
	return n
}

// rest checks that only spaces and a comment follow offset i on line l.
func (p *fastParser) rest(l line, i int) {
	s := p.src
	j := i
	for j < l.end && s[j] == ' ' {
		j++
	}
	if j < l.end && (s[j] != '#' || j == i) {
		p.fail()
	}
}

// flowSeq parses a flow sequence of scalars on one line, from its '['.
func (p *fastParser) flowSeq(l line, i, depth int) (*Node, int) {
	if depth+1 > fastMaxDepth {
		p.fail()
	}
	s := p.src
	sq := p.node()
	sq.Kind, sq.Line, sq.Col = Seq, l.num, p.colAt(l, i)
	base := len(p.stack)
	i++
	skip := func() {
		for i < l.end && s[i] == ' ' {
			i++
		}
	}
	skip()
	if i < l.end && s[i] == ']' {
		return sq, i + 1
	}
	for {
		if i >= l.end {
			p.fail()
		}
		var item *Node
		switch s[i] {
		case '"', '\'':
			item, i = p.quoted(l, i)
		default:
			j := i
			for j < l.end && s[j] != ',' && s[j] != ']' {
				if c := s[j]; !plainByte(c) || c == '#' || c == ':' && !urlColon(s, j, l.end) {
					p.fail()
				}
				j++
			}
			e := j
			for e > i && s[e-1] == ' ' {
				e--
			}
			if e == i || !plainStart(s, i, e) {
				p.fail()
			}
			item = p.plain(l, i, e)
			i = j
		}
		p.stack = append(p.stack, item)
		skip()
		if i >= l.end {
			p.fail()
		}
		if s[i] == ']' {
			i++
			break
		}
		if s[i] != ',' {
			p.fail()
		}
		i++
		skip()
	}
	sq.Values = p.take(len(p.stack) - base)
	return sq, i
}

// flowMap parses a flow mapping of scalars on one line, from its '{'.
func (p *fastParser) flowMap(l line, i, depth int) (*Node, int) {
	if depth+1 > fastMaxDepth {
		p.fail()
	}
	s := p.src
	m := p.node()
	m.Kind, m.Line, m.Col = Map, l.num, p.colAt(l, i)
	base := len(p.stack)
	i++
	skip := func() {
		for i < l.end && s[i] == ' ' {
			i++
		}
	}
	skip()
	if i < l.end && s[i] == '}' {
		return m, i + 1
	}
	for {
		if i >= l.end {
			p.fail()
		}
		var k *Node
		switch s[i] {
		case '"', '\'':
			k, i = p.quoted(l, i)
		default:
			k, i = p.flowPlain(l, i, ':')
		}
		if k.Kind != Scalar || i+1 >= l.end || s[i] != ':' || s[i+1] != ' ' {
			p.fail()
		}
		for j := base; j < len(p.stack); j += 2 {
			if p.stack[j].Value == k.Value {
				p.fail()
			}
		}
		i++
		skip()
		if i >= l.end {
			p.fail()
		}
		var v *Node
		switch s[i] {
		case '"', '\'':
			v, i = p.quoted(l, i)
		default:
			v, i = p.flowPlain(l, i, '}')
		}
		p.stack = append(p.stack, k, v)
		if len(p.stack)-base >= 2*indexFrom {
			p.fail() // large flow mappings are not worth an index here
		}
		skip()
		if i >= l.end {
			p.fail()
		}
		if s[i] == '}' {
			i++
			break
		}
		if s[i] != ',' {
			p.fail()
		}
		i++
		skip()
	}
	return p.finishMap(m, base, nil), i
}

// flowPlain parses a plain scalar inside a flow mapping, from offset i of
// line l to the first ',' or stop, and returns it and the offset after it.
func (p *fastParser) flowPlain(l line, i int, stop byte) (*Node, int) {
	s := p.src
	j := i
	for j < l.end && s[j] != ',' && s[j] != stop {
		if c := s[j]; !plainByte(c) || c == '#' || c == '}' || c == ':' && (stop == '}' && !urlColon(s, j, l.end)) {
			p.fail()
		}
		j++
	}
	e := j
	for e > i && s[e-1] == ' ' {
		e--
	}
	if e == i || e < j && stop == ':' || !plainStart(s, i, e) {
		p.fail()
	}
	return p.plain(l, i, e), j
}

// urlColon reports whether the ':' at s[j] is inside a flow scalar (as in
// a URL): followed by a character that neither ends the scalar nor is
// white space.
func urlColon(s string, j, end int) bool {
	if j+1 >= end {
		return false
	}
	switch s[j+1] {
	case ' ', ',', ']', '}', ':':
		return false
	}
	return true
}

// plainByte reports whether c may be part of a plain scalar on the fast
// path.
func plainByte(c byte) bool {
	switch c {
	case '[', ']', '{', '}', '\t':
		return false
	}
	return c >= 0x20 && c != 0x7f
}

// plainStart reports whether the plain scalar s[i:j] starts in a way the
// fast path reads as goccy does: not with an indicator.
func plainStart(s string, i, j int) bool {
	if s[i] == '-' {
		return j > i+1 && s[i+1] != ' '
	}
	switch s[i] {
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '<', ' ', '=':
		return false
	}
	return true
}

// plain makes the plain scalar s[i:j] of line l a node, tagged as goccy's
// token package tags it.
func (p *fastParser) plain(l line, i, j int) *Node {
	v := p.src[i:j]
	if strings.Contains(v, "<<") {
		p.fail() // goccy may read a merge key
	}
	if r, _ := utf8.DecodeRuneInString(v); r >= utf8.RuneSelf && unicode.IsSpace(r) {
		// The goccy path trims Unicode white space before it looks for
		// a quote (to set Quoted).
		p.fail()
	}
	n := p.node()
	n.Kind, n.Line, n.Col, n.Value, n.Tag = Scalar, l.num, p.colAt(l, i), v, "str"
	switch c := v[0]; {
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
		// Only the keywords null, true and false (in three spellings
		// each) start with a letter, and none is longer than 5 bytes.
		if len(v) > 5 || !strings.ContainsRune("nNtTfF", rune(c)) {
			break
		}
		fallthrough
	case c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.' || c == '~':
		switch token.New(v, v, nil).Type {
		case token.StringType:
		case token.NullType:
			n.Kind, n.Value, n.Tag = Null, "", "null"
		case token.BoolType:
			n.Tag = "bool"
		case token.IntegerType, token.BinaryIntegerType, token.OctetIntegerType, token.HexIntegerType:
			n.Tag = "int"
		case token.FloatType, token.InfinityType, token.NanType:
			n.Tag = "float"
		default:
			p.fail()
		}
	}
	return n
}

// unescape returns the byte that the double-quoted escape "\\c" stands
// for, or -1 for escapes the fast path leaves to goccy (those of
// non-ASCII characters, and \\x, \\u, \\U).
func unescape(c byte) int {
	switch c {
	case '0':
		return 0
	case 'a':
		return 0x07
	case 'b':
		return 0x08
	case 't':
		return '\t'
	case 'n':
		return '\n'
	case 'v':
		return 0x0b
	case 'f':
		return 0x0c
	case 'r':
		return '\r'
	case 'e':
		return 0x1b
	case ' ', '"', '/', '\\':
		return int(c)
	}
	return -1
}

// quoted parses the single-line quoted scalar that starts at offset i of
// line l and returns it and the offset after its closing quote.
func (p *fastParser) quoted(l line, i int) (*Node, int) {
	s := p.src
	q := s[i]
	j := i + 1
	esc := false
	for {
		if j >= l.end {
			p.fail()
		}
		c := s[j]
		if c == q {
			if q == '\'' && j+1 < l.end && s[j+1] == '\'' {
				esc = true
				j += 2
				continue
			}
			break
		}
		if q == '"' && c == '\\' {
			if j+1 >= l.end || unescape(s[j+1]) < 0 {
				p.fail()
			}
			esc = true
			j += 2
			continue
		}
		j++
	}
	v := s[i+1 : j]
	switch {
	case esc && q == '\'':
		v = strings.ReplaceAll(v, "''", "'")
	case esc:
		var b strings.Builder
		b.Grow(len(v))
		for k := 0; k < len(v); k++ {
			if v[k] == '\\' {
				k++
				b.WriteByte(byte(unescape(v[k])))
				continue
			}
			b.WriteByte(v[k])
		}
		v = b.String()
	}
	n := p.node()
	n.Kind, n.Line, n.Col, n.Value, n.Quoted, n.Tag = Scalar, l.num, p.colAt(l, i), v, true, "str"
	return n, j + 1
}
