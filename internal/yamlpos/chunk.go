package yamlpos

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// goccy's parser builds a block mapping of n keys by recursing once per
// key and copying the rest each time: O(n²) time and n stack frames. A
// large block mapping is therefore cut at its keys into runs of at most
// chunkTokens tokens, each parsed on its own and joined here, and a key
// whose value is itself a large block is parsed by recursing into the
// value. Anything this does not recognise as plain block-mapping entries
// is parsed whole, as before.
var chunkTokens = 2048

// parseRange converts the YAML node that tokens form (one whole document,
// or the value of a mapping key).
func (c *converter) parseRange(tokens token.Tokens, depth int) (*Node, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	if len(tokens) <= chunkTokens || depth >= maxDepth {
		return c.parseTokens(tokens, depth)
	}
	starts, ok := entryStarts(tokens)
	if !ok {
		return c.parseTokens(tokens, depth)
	}
	// Cut the mapping into runs of whole entries: runs of several small
	// entries, and single large ones.
	type run struct {
		lo, hi int
		big    bool
		n      *Node // the run parsed ahead, when it was
		err    error
	}
	var runs []run
	for i := 0; i < len(starts); {
		lo := starts[i]
		j := i + 1
		for j < len(starts) && starts[j]-lo < chunkTokens {
			j++
		}
		hi := len(tokens)
		if j < len(starts) {
			hi = starts[j]
		}
		runs = append(runs, run{lo: lo, hi: hi, big: j == i+1 && hi-lo > chunkTokens})
		i = j
	}
	// Runs of small entries are independent documents: without anchors
	// (which a later run may name) they are parsed ahead, in parallel, and
	// joined below in order, so errors and duplicates are found exactly
	// as one run after another would find them.
	var ahead []int
	for k, r := range runs {
		if !r.big {
			ahead = append(ahead, k)
		}
	}
	if c.parallel && len(ahead) > 1 {
		for _, k := range ahead {
			cut(tokens[runs[k].lo:runs[k].hi])
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(ahead), maxParseWorkers) {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(ahead) || c.ctx.Err() != nil {
						return
					}
					r := &runs[ahead[i]]
					r.n, r.err = c.parseTokensSafe(tokens[r.lo:r.hi], depth)
					if r.err != nil {
						return // later runs are not needed
					}
				}
			})
		}
		wg.Wait()
	}
	b := newMapBuilder(0, 0)
	for _, r := range runs {
		var err error
		switch {
		case r.big:
			// One large entry: its key here, its value by recursion.
			err = c.bigEntry(b, tokens[r.lo:r.hi], depth)
		case r.n != nil || r.err != nil:
			if err = r.err; err == nil {
				err = c.addEntries(b, r.n)
			}
		default:
			err = c.entries(b, tokens[r.lo:r.hi], depth)
		}
		if err != nil {
			return nil, err
		}
	}
	b.out.Line, b.out.Col = b.out.Keys[0].Line, b.out.Keys[0].Col
	return b.out, nil
}

// maxParseWorkers bounds the goroutines parsing runs ahead.
const maxParseWorkers = 4

// parseTokensSafe is parseTokens for a goroutine of its own: a panic in
// the third-party parser becomes an error there, as ParseContext makes
// it in the caller's.
func (c *converter) parseTokensSafe(tokens token.Tokens, depth int) (n *Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = nil, &Error{File: c.file, Msg: fmt.Sprintf("cannot parse YAML: %v", r)}
		}
	}()
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	return c.parseTokens(tokens, depth)
}

// entries parses a run of whole mapping entries and adds them to b.
func (c *converter) entries(b *mapBuilder, tokens token.Tokens, depth int) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	n, err := c.parseTokens(tokens, depth)
	if err != nil {
		return err
	}
	return c.addEntries(b, n)
}

// addEntries adds the entries of n, a run of mapping entries parsed as a
// document of its own, to b.
func (c *converter) addEntries(b *mapBuilder, n *Node) error {
	if n.Kind != Map {
		return &Error{File: c.file, Line: n.Line, Col: n.Col, Msg: "expected mapping entries, found " + n.Kind.String()}
	}
	for i, k := range n.Keys {
		if err := c.checkKey(b, k); err != nil {
			return err
		}
		b.add(k, n.Values[i])
	}
	return nil
}

// bigEntry adds one entry "key:" whose value starts on a later line.
func (c *converter) bigEntry(b *mapBuilder, tokens token.Tokens, depth int) error {
	kt := tokens[0]
	first := firstNonComment(tokens, 2)
	switch {
	case kt.Type != token.StringType && kt.Type != token.SingleQuoteType && kt.Type != token.DoubleQuoteType,
		first < 0 || tokens[first].Position.Line == kt.Position.Line:
		return c.entries(b, tokens, depth)
	}
	k := &Node{Kind: Scalar, Line: kt.Position.Line, Col: kt.Position.Column, Value: kt.Value,
		Quoted: kt.Type != token.StringType, Tag: "str"}
	if err := c.checkKey(b, k); err != nil {
		return err
	}
	v, err := c.parseRange(tokens[first:], depth+2)
	if err != nil {
		return err
	}
	b.add(k, v)
	return nil
}

// parses counts the runs handed to goccy's parser (tests check that
// hostile input never gets there).
var parses atomic.Int64

// parseTokens parses tokens as a document on their own and converts it.
func (c *converter) parseTokens(tokens token.Tokens, depth int) (*Node, error) {
	parses.Add(1)
	cut(tokens)
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, syntaxError(c.file, err)
	}
	if len(f.Docs) == 0 || f.Docs[0] == nil || f.Docs[0].Body == nil {
		return &Node{Kind: Null, Line: 1, Col: 1}, nil
	}
	var body ast.Node = f.Docs[0].Body
	return c.convert(body, depth)
}

// cut separates tokens from their neighbours so that the parser sees
// exactly this run.
func cut(tokens token.Tokens) {
	if len(tokens) > 0 {
		tokens[0].Prev, tokens[len(tokens)-1].Next = nil, nil
	}
}

// entryStarts returns where each entry of the block mapping that tokens
// form starts: tokens that open a line at the mapping's column, outside
// flow collections, and are a plain or quoted key followed by ':'. It
// reports false when tokens are anything else (a sequence, flow content
// at the top, several documents, anchors or tags on the mapping itself).
func entryStarts(tokens token.Tokens) ([]int, bool) {
	first := firstNonComment(tokens, 0)
	if first < 0 {
		return nil, false
	}
	col := tokens[first].Position.Column
	var starts []int
	flow, line := 0, -1
	for i := first; i < len(tokens); i++ {
		tk := tokens[i]
		if tk.Type == token.CommentType {
			continue
		}
		switch tk.Type {
		case token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType:
			return nil, false
		}
		newLine := tk.Position.Line != line
		line = tk.Position.Line
		if newLine && flow == 0 {
			switch {
			case tk.Position.Column < col:
				return nil, false
			case tk.Position.Column == col:
				if !keyType(tk.Type) {
					return nil, false
				}
				if next := firstNonComment(tokens, i+1); next < 0 || tokens[next].Type != token.MappingValueType ||
					tokens[next].Position.Line != line {
					return nil, false
				}
				if len(starts) > 0 && danglingBefore(tokens, i) {
					return nil, false
				}
				starts = append(starts, i)
			}
		}
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow--
		}
	}
	return starts, len(starts) > 0 && starts[0] == first
}

func keyType(t token.Type) bool {
	switch t {
	case token.StringType, token.SingleQuoteType, token.DoubleQuoteType,
		token.IntegerType, token.FloatType, token.BoolType, token.NullType:
		return true
	}
	return false
}

func firstNonComment(tokens token.Tokens, from int) int {
	for i := from; i < len(tokens); i++ {
		if tokens[i].Type != token.CommentType {
			return i
		}
	}
	return -1
}

// danglingBefore reports whether the token before tokens[i] waits for a
// node (a tag, an anchor, an entry indicator): the parser may take the
// next line for it, so the mapping must not be cut there.
func danglingBefore(tokens token.Tokens, i int) bool {
	prev := func(j int) int {
		for j--; j >= 0 && tokens[j].Type == token.CommentType; j-- {
		}
		return j
	}
	j := prev(i)
	if j < 0 {
		return false
	}
	switch tokens[j].Type {
	case token.TagType, token.AnchorType, token.SequenceEntryType, token.MappingKeyType:
		return true
	}
	// An anchor's name is a token of its own after the '&'.
	k := prev(j)
	return k >= 0 && tokens[k].Type == token.AnchorType
}
