package yamlpos

import (
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
	b := newMapBuilder(0, 0)
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
		if j == i+1 && hi-lo > chunkTokens {
			// One large entry: its key here, its value by recursion.
			if err := c.bigEntry(b, tokens[lo:hi], depth); err != nil {
				return nil, err
			}
		} else if err := c.entries(b, tokens[lo:hi], depth); err != nil {
			return nil, err
		}
		i = j
	}
	b.out.Line, b.out.Col = b.out.Keys[0].Line, b.out.Keys[0].Col
	return b.out, nil
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
	// Cut the tokens from their neighbours so that the parser sees
	// exactly this run.
	if len(tokens) > 0 {
		tokens[0].Prev, tokens[len(tokens)-1].Next = nil, nil
	}
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
