package ecosystem

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads the block-style YAML that yarn berry and pnpm write, in
// one pass over the lines (time linear in the file's size): nested block
// mappings and sequences, plain, single- and double-quoted scalars (quoted
// ones may continue on later lines), flow mappings and sequences ({a: b},
// [x, y]), comments and several documents separated by "---". Anchors,
// aliases, tags, block scalars (| and >) and complex keys (?) are not part
// of what these tools write and are refused with the line they are on.

// ykind is the kind of a YAML node.
type ykind uint8

const (
	yNull ykind = iota
	yScalar
	yMap
	ySeq
)

// ynode is one YAML node. A mapping keeps its keys in file order.
type ynode struct {
	kind  ykind
	line  int
	str   string   // yScalar
	keys  []string // yMap
	vals  []*ynode // yMap, parallel to keys
	klin  []int    // yMap: the line of each key
	items []*ynode // ySeq
}

// get returns the value of key in a mapping (the first when repeated), or nil.
func (n *ynode) get(key string) *ynode {
	if n == nil || n.kind != yMap {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// scalar returns a scalar's text, or "" for any other node.
func (n *ynode) scalar() string {
	if n == nil || n.kind != yScalar {
		return ""
	}
	return n.str
}

// strMap returns a mapping whose values are scalars as a Go map; other
// values are left out. nil for anything but a mapping.
func (n *ynode) strMap() map[string]string {
	if n == nil || n.kind != yMap || len(n.keys) == 0 {
		return nil
	}
	m := make(map[string]string, len(n.keys))
	for i, k := range n.keys {
		if v := n.vals[i]; v.kind == yScalar {
			m[k] = v.str
		}
	}
	return m
}

// yshape checks the shape of decoded nodes, keeping the first mismatch.
type yshape struct {
	path string
	err  error
}

func (c *yshape) fail(n *ynode, format string, args ...any) {
	if c.err == nil {
		c.err = posf(c.path, n.line, format, args...)
	}
}

// mapping returns n when it is a mapping, nil when absent or empty
// ("key:"), and records an error for anything else.
func (c *yshape) mapping(n *ynode, what string) *ynode {
	switch {
	case n == nil || n.kind == yNull:
		return nil
	case n.kind != yMap:
		c.fail(n, "%s: expected a mapping", what)
		return nil
	}
	return n
}

// strs is strMap for a mapping whose values must all be scalars.
func (c *yshape) strs(n *ynode, what string) map[string]string {
	n = c.mapping(n, what)
	if n == nil {
		return nil
	}
	for i, v := range n.vals {
		if v.kind != yScalar {
			c.fail(v, "%s: %s: expected a plain value", what, quoteShort(n.keys[i]))
		}
	}
	return n.strMap()
}

// maxYAMLDepth bounds the nesting of YAML nodes; lock files use five levels.
const maxYAMLDepth = 64

type yline struct {
	no     int
	indent int
	text   string // the line without its indentation and trailing spaces
}

type yparser struct {
	path  string
	lines []yline
	i     int
	depth int
	slab  []ynode // nodes handed out by node, allocated in chunks
	// The entries of the mappings being read, copied into each mapping
	// when it ends (so its slices are allocated once, at their size).
	keys []string
	vals []*ynode
	klin []int
}

// node returns a new node holding n, from a chunk allocated for many nodes
// (a lock file has tens of thousands).
func (p *yparser) node(n ynode) *ynode {
	if len(p.slab) == 0 {
		p.slab = make([]ynode, 256)
	}
	x := &p.slab[0]
	p.slab = p.slab[1:]
	*x = n
	return x
}

// parseYAMLDocs reads every document of data. Documents without content
// (before a leading "---") are left out.
func parseYAMLDocs(path string, data []byte) ([]*ynode, error) {
	var docs []*ynode
	cur := make([]yline, 0, bytes.Count(data, []byte{'\n'})+1)
	flush := func() error {
		p := &yparser{path: path, lines: cur}
		if _, ok := p.peek(); ok {
			n, err := p.document()
			if err != nil {
				return err
			}
			docs = append(docs, n)
		}
		cur = cur[len(cur):]
		return nil
	}
	s := string(data)
	for no := 1; len(s) > 0; no++ {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		line = strings.TrimRight(line, " \t\r")
		text := strings.TrimLeft(line, " ")
		indent := len(line) - len(text)
		if strings.HasPrefix(text, "\t") {
			return nil, posf(path, no, "a tab in indentation (YAML indents with spaces)")
		}
		if indent == 0 && (text == "---" || strings.HasPrefix(text, "--- ") || text == "...") {
			if err := flush(); err != nil {
				return nil, err
			}
			if rest := strings.TrimSpace(strings.TrimPrefix(text, "---")); rest != "" && !strings.HasPrefix(rest, "#") {
				return nil, posf(path, no, "content on a document marker line is not supported")
			}
			continue
		}
		if indent == 0 && strings.HasPrefix(text, "%") {
			return nil, posf(path, no, "YAML directives (%s) are not supported in lock files", quoteShort(text))
		}
		cur = append(cur, yline{no: no, indent: indent, text: text})
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

// peek returns the next line with content (skipping blank and comment
// lines) without consuming it.
func (p *yparser) peek() (yline, bool) {
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if l.text == "" || l.text[0] == '#' {
			p.i++
			continue
		}
		return l, true
	}
	return yline{}, false
}

func (p *yparser) errf(line int, format string, args ...any) error {
	return posf(p.path, line, format, args...)
}

func (p *yparser) document() (*ynode, error) {
	l, _ := p.peek()
	n, err := p.block(l.indent)
	if err != nil {
		return nil, err
	}
	if l, ok := p.peek(); ok {
		return nil, p.errf(l.no, "unexpected indentation")
	}
	return n, nil
}

func isSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block reads the node whose first line is the next one, at indent.
func (p *yparser) block(indent int) (*ynode, error) {
	p.depth++
	defer func() { p.depth-- }()
	l, _ := p.peek()
	if p.depth > maxYAMLDepth {
		return nil, p.errf(l.no, "nested deeper than %d levels", maxYAMLDepth)
	}
	if isSeqItem(l.text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yparser) mapping(indent int) (*ynode, error) {
	first, _ := p.peek()
	n := p.node(ynode{kind: yMap, line: first.no})
	mark := len(p.keys)
	for {
		l, ok := p.peek()
		if !ok || l.indent < indent {
			if len(p.keys) > mark {
				n.keys = slices.Clone(p.keys[mark:])
				n.vals = slices.Clone(p.vals[mark:])
				n.klin = slices.Clone(p.klin[mark:])
				p.keys, p.vals, p.klin = p.keys[:mark], p.vals[:mark], p.klin[:mark]
			}
			return n, nil
		}
		if l.indent > indent {
			return nil, p.errf(l.no, "unexpected indentation")
		}
		if isSeqItem(l.text) {
			return nil, p.errf(l.no, "a list item where a \"key: value\" line was expected")
		}
		key, rest, err := p.key(l)
		if err != nil {
			return nil, err
		}
		p.i++
		v, err := p.value(indent, rest, l.no, true)
		if err != nil {
			return nil, err
		}
		p.keys = append(p.keys, key)
		p.vals = append(p.vals, v)
		p.klin = append(p.klin, l.no)
	}
}

func (p *yparser) sequence(indent int) (*ynode, error) {
	first, _ := p.peek()
	n := p.node(ynode{kind: ySeq, line: first.no})
	for {
		l, ok := p.peek()
		if !ok || l.indent < indent || (l.indent == indent && !isSeqItem(l.text)) {
			return n, nil
		}
		if l.indent > indent {
			return nil, p.errf(l.no, "unexpected indentation")
		}
		rest := strings.TrimLeft(l.text[1:], " ")
		var item *ynode
		var err error
		switch {
		case rest == "" || rest[0] == '#':
			p.i++
			item, err = p.value(indent, "", l.no, false)
		case startsMapping(rest):
			// "- key: value" opens a mapping indented like its key.
			p.lines[p.i] = yline{no: l.no, indent: indent + len(l.text) - len(rest), text: rest}
			p.depth++
			item, err = p.mapping(indent + len(l.text) - len(rest))
			p.depth--
		default:
			p.i++
			item, err = p.value(indent, rest, l.no, false)
		}
		if err != nil {
			return nil, err
		}
		n.items = append(n.items, item)
	}
}

// startsMapping reports whether an inline sequence item is "key: ...".
func startsMapping(s string) bool {
	switch s[0] {
	case '"', '\'':
		end := quotedEnd(s)
		if end < 0 {
			return false
		}
		rest := strings.TrimLeft(s[end:], " ")
		return rest == ":" || strings.HasPrefix(rest, ": ")
	case '{', '[', '-':
		return false
	}
	return plainKeyEnd(s) >= 0
}

// plainKeyEnd is the index of the ":" that ends a plain key (followed by
// a space or the end of the line), or -1.
func plainKeyEnd(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			return i
		}
		if s[i] == '#' && i > 0 && s[i-1] == ' ' {
			return -1
		}
	}
	return -1
}

// quotedEnd returns the index just past the closing quote of the quoted
// scalar s starts with, or -1 when it is not closed on this line.
func quotedEnd(s string) int {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			if q == '\'' && i+1 < len(s) && s[i+1] == '\'' {
				i++
				continue
			}
			return i + 1
		}
	}
	return -1
}

// key splits a "key: rest" line.
func (p *yparser) key(l yline) (string, string, error) {
	t := l.text
	switch t[0] {
	case '"', '\'':
		end := quotedEnd(t)
		if end < 0 {
			return "", "", p.errf(l.no, "unclosed quote in key %s (is the file cut short?)", quoteShort(t))
		}
		key, err := unquoteYAML(t[:end])
		if err != nil {
			return "", "", p.errf(l.no, "key %s: %v", quoteShort(t), err)
		}
		rest := strings.TrimLeft(t[end:], " ")
		if !strings.HasPrefix(rest, ":") || len(rest) > 1 && rest[1] != ' ' {
			return "", "", p.errf(l.no, "expected \":\" after the key %s", quoteShort(t[:end]))
		}
		return key, rest[1:], nil
	case '?':
		return "", "", p.errf(l.no, "complex keys (\"? \") are not supported in lock files")
	case '&', '*', '!', '|', '>', '{', '[':
		return "", "", p.errf(l.no, "unsupported YAML in a lock file: %s", quoteShort(t))
	}
	i := plainKeyEnd(t)
	if i < 0 {
		return "", "", p.errf(l.no, "expected \"key: value\", got %s (is the file cut short?)", quoteShort(t))
	}
	return strings.TrimRight(t[:i], " "), t[i+1:], nil
}

// value reads the value after "key:" (rest) or "-": inline, or a block on
// the following lines indented more than parent. sameIndentSeq allows a
// sequence at the parent's own indent ("key:\n- a").
func (p *yparser) value(parent int, rest string, line int, sameIndentSeq bool) (*ynode, error) {
	rest = strings.TrimLeft(rest, " ")
	if rest == "" || rest[0] == '#' {
		nx, ok := p.peek()
		switch {
		case ok && nx.indent > parent:
			return p.block(nx.indent)
		case ok && nx.indent == parent && sameIndentSeq && isSeqItem(nx.text):
			return p.block(parent)
		}
		return p.node(ynode{kind: yNull, line: line}), nil
	}
	var n *ynode
	var err error
	switch rest[0] {
	case '"', '\'':
		n, err = p.quoted(rest, line, parent)
	case '{', '[':
		n, err = p.flow(rest, line, parent)
	case '|', '>':
		return nil, p.errf(line, "block scalars (| and >) are not supported in lock files")
	case '&', '*', '!':
		return nil, p.errf(line, "anchors, aliases and tags are not supported in lock files")
	default:
		v := rest
		if i := strings.Index(v, " #"); i >= 0 {
			v = v[:i]
		}
		n = p.node(ynode{kind: yScalar, line: line, str: strings.TrimRight(v, " ")})
	}
	if err != nil {
		return nil, err
	}
	if nx, ok := p.peek(); ok && nx.indent > parent {
		if n.kind == yScalar && !isSeqItem(nx.text) && plainKeyEnd(nx.text) < 0 && nx.text[0] != '"' && nx.text[0] != '\'' {
			return nil, p.errf(nx.no, "a plain value continued on the next line is not supported in lock files")
		}
		return nil, p.errf(nx.no, "unexpected indentation after a value on line %d", line)
	}
	return n, nil
}

// collect returns s joined with the following raw lines until done(text)
// reports the end, for quoted and flow values spread over several lines.
// Continuation lines must be indented more than parent.
func (p *yparser) collect(s string, line, parent int, done func(string) bool, what string) (string, error) {
	for !done(s) {
		if p.i >= len(p.lines) {
			return "", p.errf(line, "unclosed %s (is the file cut short?)", what)
		}
		next := p.lines[p.i]
		if next.text != "" && next.indent <= parent {
			return "", p.errf(line, "unclosed %s (is the file cut short?)", what)
		}
		p.i++
		if next.text == "" {
			s += "\n"
			continue
		}
		if strings.HasSuffix(s, "\n") {
			s += next.text
		} else {
			s += " " + next.text
		}
	}
	return s, nil
}

func (p *yparser) quoted(s string, line, parent int) (*ynode, error) {
	s, err := p.collect(s, line, parent, func(t string) bool { return quotedEnd(t) >= 0 }, "quote")
	if err != nil {
		return nil, err
	}
	end := quotedEnd(s)
	if tail := strings.TrimLeft(s[end:], " "); tail != "" && tail[0] != '#' {
		return nil, p.errf(line, "unexpected %s after a quoted value", quoteShort(tail))
	}
	v, err := unquoteYAML(s[:end])
	if err != nil {
		return nil, p.errf(line, "%v", err)
	}
	return p.node(ynode{kind: yScalar, line: line, str: v}), nil
}

func (p *yparser) flow(s string, line, parent int) (*ynode, error) {
	s, err := p.collect(s, line, parent, flowClosed, "flow collection ({ or [)")
	if err != nil {
		return nil, err
	}
	f := &flowReader{s: s}
	n, err := f.value(0)
	if err != nil {
		return nil, p.errf(line, "%v", err)
	}
	f.space()
	if f.i < len(f.s) && f.s[f.i] != '#' {
		return nil, p.errf(line, "unexpected %s after a flow collection", quoteShort(f.s[f.i:]))
	}
	n.line = line
	return n, nil
}

// flowClosed reports whether the brackets of a flow collection balance,
// quotes respected.
func flowClosed(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'':
			end := quotedEnd(s[i:])
			if end < 0 {
				return false
			}
			i += end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return true
			}
		}
	}
	return false
}

type flowReader struct {
	s string
	i int
}

func (f *flowReader) space() {
	for f.i < len(f.s) && (f.s[f.i] == ' ' || f.s[f.i] == '\n') {
		f.i++
	}
}

func (f *flowReader) value(depth int) (*ynode, error) {
	if depth > maxYAMLDepth {
		return nil, fmt.Errorf("flow collection nested deeper than %d levels", maxYAMLDepth)
	}
	f.space()
	if f.i >= len(f.s) {
		return nil, fmt.Errorf("flow collection ends early")
	}
	switch f.s[f.i] {
	case '{':
		f.i++
		n := &ynode{kind: yMap}
		for {
			f.space()
			if f.i < len(f.s) && f.s[f.i] == '}' {
				f.i++
				return n, nil
			}
			k, err := f.scalar(true)
			if err != nil {
				return nil, err
			}
			f.space()
			var v *ynode
			if f.i < len(f.s) && f.s[f.i] == ':' {
				f.i++
				f.space()
				if f.i < len(f.s) && (f.s[f.i] == ',' || f.s[f.i] == '}') {
					v = &ynode{kind: yNull}
				} else if v, err = f.value(depth + 1); err != nil {
					return nil, err
				}
			} else {
				v = &ynode{kind: yNull}
			}
			n.keys = append(n.keys, k.str)
			n.vals = append(n.vals, v)
			if err := f.sep('}'); err != nil {
				return nil, err
			}
		}
	case '[':
		f.i++
		n := &ynode{kind: ySeq}
		for {
			f.space()
			if f.i < len(f.s) && f.s[f.i] == ']' {
				f.i++
				return n, nil
			}
			v, err := f.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, v)
			if err := f.sep(']'); err != nil {
				return nil, err
			}
		}
	}
	return f.scalar(false)
}

// sep reads the "," between entries; before close it is optional.
func (f *flowReader) sep(close byte) error {
	f.space()
	if f.i >= len(f.s) {
		return fmt.Errorf("flow collection is not closed with %q", close)
	}
	switch f.s[f.i] {
	case ',':
		f.i++
		return nil
	case close:
		return nil
	}
	return fmt.Errorf("expected \",\" or %q in a flow collection, got %s", close, quoteShort(f.s[f.i:]))
}

func (f *flowReader) scalar(key bool) (*ynode, error) {
	if f.i < len(f.s) && (f.s[f.i] == '"' || f.s[f.i] == '\'') {
		end := quotedEnd(f.s[f.i:])
		if end < 0 {
			return nil, fmt.Errorf("unclosed quote in a flow collection")
		}
		v, err := unquoteYAML(f.s[f.i : f.i+end])
		if err != nil {
			return nil, err
		}
		f.i += end
		return &ynode{kind: yScalar, str: v}, nil
	}
	start := f.i
	for f.i < len(f.s) {
		c := f.s[f.i]
		if c == ',' || c == '}' || c == ']' || c == '{' || c == '[' {
			break
		}
		if c == ':' && (f.i+1 == len(f.s) || f.s[f.i+1] == ' ' || (key && (f.s[f.i+1] == ',' || f.s[f.i+1] == '}'))) {
			break
		}
		f.i++
	}
	v := strings.TrimSpace(f.s[start:f.i])
	if v == "" && f.i < len(f.s) && (f.s[f.i] == '{' || f.s[f.i] == '[') {
		return nil, fmt.Errorf("a flow collection as a key is not supported")
	}
	return &ynode{kind: yScalar, str: v}, nil
}

// unquoteYAML decodes a single- or double-quoted YAML scalar, quotes
// included.
func unquoteYAML(s string) (string, error) {
	if s[0] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	}
	body := s[1 : len(s)-1]
	if !strings.Contains(body, `\`) {
		return body, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", fmt.Errorf("a quoted value ends with a lone backslash")
		}
		switch e := body[i]; e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case '"', '\\', '/', ' ':
			b.WriteByte(e)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+1+n > len(body) {
				return "", fmt.Errorf("short \\%c escape in a quoted value", e)
			}
			r, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32)
			if err != nil || !utf8.ValidRune(rune(r)) {
				return "", fmt.Errorf("bad \\%c escape in a quoted value", e)
			}
			b.WriteRune(rune(r))
			i += n
		default:
			return "", fmt.Errorf("unknown escape \\%c in a quoted value", e)
		}
	}
	return b.String(), nil
}
