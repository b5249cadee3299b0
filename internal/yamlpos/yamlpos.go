// Package yamlpos parses YAML into a small tree whose every node knows its
// file, line and column, so that readers of meta's YAML files (manifests,
// lock files, configuration) can report errors a user can act on.
package yamlpos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Kind is the shape of a node.
type Kind int

const (
	Null Kind = iota
	Scalar
	Map
	Seq
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "nothing"
	case Scalar:
		return "a scalar"
	case Map:
		return "a mapping"
	case Seq:
		return "a list"
	}
	return "?"
}

// Node is one YAML node with its position.
type Node struct {
	Kind   Kind
	Line   int
	Col    int
	Value  string // scalar text as written (unquoted); empty for maps and seqs
	Quoted bool   // the scalar was quoted, so it is certainly a string
	Tag    string // "str", "int", "float", "bool", "null" for scalars
	Keys   []*Node
	Values []*Node // for Map: values parallel to Keys; for Seq: the items

	index map[string]int // key → position in Keys, for large maps built by Parse
}

// Get returns the value of key k in a map node, or nil.
func (n *Node) Get(k string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	if n.index != nil {
		if i, ok := n.index[k]; ok {
			return n.Values[i]
		}
		return nil
	}
	for i, key := range n.Keys {
		if key.Value == k {
			return n.Values[i]
		}
	}
	return nil
}

// KeyNode returns the key node for k in a map node, or nil.
func (n *Node) KeyNode(k string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	if n.index != nil {
		if i, ok := n.index[k]; ok {
			return n.Keys[i]
		}
		return nil
	}
	for _, key := range n.Keys {
		if key.Value == k {
			return key
		}
	}
	return nil
}

// Error is a problem at a position in a file.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	return loc + ": " + e.Msg
}

// Errorf builds an *Error at node n.
func Errorf(file string, n *Node, format string, args ...any) *Error {
	e := &Error{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Col
	}
	return e
}

// WithHint sets the hint and returns e.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// Parse parses the first document of data. An empty document yields a Null
// node. Syntax errors are returned as *Error with the position goccy reports.
// Input over the limits of CheckSize and CheckDepth is refused before it is
// parsed.
func Parse(file string, data []byte) (*Node, error) {
	return ParseContext(context.Background(), file, data)
}

// ParseContext is Parse that stops with ctx's error when ctx is done.
//
// Plain block YAML, what manifests and lock files are written in, is read
// by a fast path of this package's own (fast.go); anything else, and
// every error, by goccy's parser.
func ParseContext(ctx context.Context, file string, data []byte) (*Node, error) {
	if err := CheckSize(file, data); err != nil {
		return nil, err
	}
	if n, ok, err := parseFast(ctx, data); ok || err != nil {
		return n, err
	}
	return parseGoccy(ctx, file, data)
}

// parseGoccy parses data with goccy's lexer and parser.
func parseGoccy(ctx context.Context, file string, data []byte) (n *Node, err error) {
	defer func() {
		// The YAML parser is third-party code fed with user input; a panic
		// in it must become an error, never a crash.
		if r := recover(); r != nil {
			n, err = nil, &Error{File: file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	tokens, err := tokenize(file, data)
	if err != nil {
		return nil, err
	}
	c := &converter{ctx: ctx, file: file, anchors: map[string]*Node{}, parallel: !hasAnchors(tokens)}
	return c.parseRange(tokens, 0)
}

type converter struct {
	ctx     context.Context
	file    string
	anchors map[string]*Node
	// parallel: the document has no anchors or aliases, so its parts can
	// be converted independently (see parseRange).
	parallel bool
}

// hasAnchors reports whether tokens define or use an anchor.
func hasAnchors(tokens token.Tokens) bool {
	for _, tk := range tokens {
		if tk.Type == token.AnchorType || tk.Type == token.AliasType {
			return true
		}
	}
	return false
}

// maxDepth bounds the nesting of converted nodes.
const maxDepth = MaxDepth

func pos(nd ast.Node) (int, int) {
	if nd == nil {
		return 0, 0
	}
	tk := nd.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

func (c *converter) convert(nd ast.Node, depth int) (*Node, error) {
	if depth > maxDepth {
		l, col := pos(nd)
		return nil, &Error{File: c.file, Line: l, Col: col, Msg: "YAML nested too deeply"}
	}
	line, col := pos(nd)
	switch v := nd.(type) {
	case nil:
		return &Node{Kind: Null}, nil
	case *ast.DocumentNode:
		return c.convert(v.Body, depth+1)
	case *ast.CommentNode, *ast.CommentGroupNode:
		return &Node{Kind: Null, Line: line, Col: col}, nil
	case *ast.NullNode:
		return &Node{Kind: Null, Line: line, Col: col, Tag: "null"}, nil
	case *ast.StringNode:
		q := v.Token != nil && (strings.HasPrefix(v.Token.Origin, "\"") || strings.HasPrefix(strings.TrimSpace(v.Token.Origin), "\"") || strings.HasPrefix(strings.TrimSpace(v.Token.Origin), "'"))
		return &Node{Kind: Scalar, Line: line, Col: col, Value: v.Value, Quoted: q, Tag: "str"}, nil
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &Node{Kind: Scalar, Line: line, Col: col, Value: s, Quoted: true, Tag: "str"}, nil
	case *ast.IntegerNode:
		return &Node{Kind: Scalar, Line: line, Col: col, Value: v.Token.Value, Tag: "int"}, nil
	case *ast.FloatNode:
		return &Node{Kind: Scalar, Line: line, Col: col, Value: v.Token.Value, Tag: "float"}, nil
	case *ast.BoolNode:
		return &Node{Kind: Scalar, Line: line, Col: col, Value: v.Token.Value, Tag: "bool"}, nil
	case *ast.InfinityNode:
		return &Node{Kind: Scalar, Line: line, Col: col, Value: v.Token.Value, Tag: "float"}, nil
	case *ast.NanNode:
		return &Node{Kind: Scalar, Line: line, Col: col, Value: v.Token.Value, Tag: "float"}, nil
	case *ast.TagNode:
		return c.convert(v.Value, depth+1)
	case *ast.AnchorNode:
		n, err := c.convert(v.Value, depth+1)
		if err != nil {
			return nil, err
		}
		if v.Name != nil {
			c.anchors[v.Name.String()] = n
		}
		return n, nil
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.String()
		}
		n, ok := c.anchors[name]
		if !ok {
			return nil, &Error{File: c.file, Line: line, Col: col, Msg: fmt.Sprintf("unknown alias *%s", name)}
		}
		return n, nil
	case *ast.MappingNode:
		b := newMapBuilder(line, col)
		for _, mv := range v.Values {
			if err := c.addPair(b, mv, depth); err != nil {
				return nil, err
			}
		}
		if len(v.Values) > 0 {
			b.out.Line, b.out.Col = pos(v.Values[0].Key)
		}
		return b.out, nil
	case *ast.MappingValueNode:
		b := newMapBuilder(0, 0)
		if err := c.addPair(b, v, depth); err != nil {
			return nil, err
		}
		b.out.Line, b.out.Col = b.out.Keys[0].Line, b.out.Keys[0].Col
		return b.out, nil
	case *ast.SequenceNode:
		out := &Node{Kind: Seq, Line: line, Col: col}
		for _, item := range v.Values {
			n, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			if n.Line == 0 {
				n.Line, n.Col = line, col
			}
			out.Values = append(out.Values, n)
		}
		return out, nil
	case *ast.MappingKeyNode:
		return c.convert(v.Value, depth+1)
	}
	return nil, &Error{File: c.file, Line: line, Col: col, Msg: fmt.Sprintf("unsupported YAML construct %s", nd.Type())}
}

func (c *converter) addPair(b *mapBuilder, mv *ast.MappingValueNode, depth int) error {
	if mv.Key != nil && mv.Key.IsMergeKey() {
		src, err := c.convert(mv.Value, depth+1)
		if err != nil {
			return err
		}
		if src.Kind != Map {
			return &Error{File: c.file, Line: src.Line, Col: src.Col, Msg: "merge key << needs a mapping"}
		}
		for i, k := range src.Keys {
			if b.key(k.Value) == nil {
				b.add(k, src.Values[i])
			}
		}
		return nil
	}
	k, err := c.convert(mv.Key, depth+1)
	if err != nil {
		return err
	}
	if err := c.checkKey(b, k); err != nil {
		return err
	}
	val, err := c.convert(mv.Value, depth+1)
	if err != nil {
		return err
	}
	b.add(k, val)
	return nil
}

// checkKey refuses a key that is not a scalar or that b already has.
func (c *converter) checkKey(b *mapBuilder, k *Node) error {
	if k.Kind != Scalar {
		return &Error{File: c.file, Line: k.Line, Col: k.Col, Msg: "mapping keys must be plain strings"}
	}
	if prev := b.key(k.Value); prev != nil {
		return &Error{File: c.file, Line: k.Line, Col: k.Col,
			Msg:  fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, prev.Line),
			Hint: "remove one of the two entries"}
	}
	return nil
}

// mapBuilder builds a Map node; from indexFrom keys on, the node keeps an
// index of its keys, so that building and querying a mapping of n keys
// costs O(n), not O(n²).
type mapBuilder struct{ out *Node }

func newMapBuilder(line, col int) *mapBuilder {
	return &mapBuilder{out: &Node{Kind: Map, Line: line, Col: col}}
}

// indexFrom is the size from which a map keeps an index of its keys.
const indexFrom = 16

// key returns the key node for k, or nil.
func (b *mapBuilder) key(k string) *Node { return b.out.KeyNode(k) }

// add appends the pair k: v (v at k's position when it has none).
func (b *mapBuilder) add(k, v *Node) {
	if v.Line == 0 {
		v.Line, v.Col = k.Line, k.Col
	}
	n := b.out
	n.Keys = append(n.Keys, k)
	n.Values = append(n.Values, v)
	switch {
	case n.index != nil:
		n.index[k.Value] = len(n.Keys) - 1
	case len(n.Keys) >= indexFrom:
		n.index = make(map[string]int, 2*len(n.Keys))
		for i, key := range n.Keys {
			if _, dup := n.index[key.Value]; !dup {
				n.index[key.Value] = i
			}
		}
	}
}

// syntaxError turns a goccy parse error into an *Error with a position.
func syntaxError(file string, err error) *Error {
	e := &Error{File: file, Msg: "invalid YAML: " + strings.SplitN(err.Error(), "\n", 2)[0]}
	var se interface {
		GetMessage() string
		GetToken() *token.Token
	}
	if errors.As(err, &se) {
		e.Msg = "invalid YAML: " + se.GetMessage()
		if tk := se.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return e
}

// Suggest returns the candidate closest to s by edit distance when it is
// close enough to be a plausible typo, else "".
func Suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := Distance(strings.ToLower(s), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(s) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// Distance is the Levenshtein edit distance between a and b.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
