package yamlpos

import (
	"fmt"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// Limits on the YAML meta reads. Every file is checked against them before
// it is parsed, so a hostile file (a component.yaml from a remote tag, a
// tarball's, a lock file from a pull request) fails fast with bounded
// memory instead of exhausting it in the parser.
const (
	// MaxBytes bounds the size of a YAML file (a manifest of 30,000
	// components is about 5 MB).
	MaxBytes = 16 << 20
	// MaxTokens bounds the tokens a file may hold, estimated from its
	// bytes before the lexer runs (each token costs the lexer a few
	// hundred bytes).
	MaxTokens = 2 << 20
	// MaxDepth bounds how deeply collections nest: flow brackets, block
	// indentation and compact "- - -" entries together.
	MaxDepth = 200
)

// Check reports whether data is within the limits, without parsing it:
// for callers that hand YAML to another decoder.
func Check(file string, data []byte) error {
	_, err := tokenize(file, data)
	return err
}

// CheckDepth reports whether data nests deeper than MaxDepth, without a
// bound on its size: for large generated files (package-manager lock
// files) that another decoder reads, which lexes them the same way.
func CheckDepth(file string, data []byte) error {
	tokens := lexer.Tokenize(string(data))
	return checkDepth(file, tokens)
}

// tokenize checks the size of data, lexes it and checks how deeply its
// tokens nest; the tokens are what the parser would see.
func tokenize(file string, data []byte) (token.Tokens, error) {
	if err := CheckSize(file, data); err != nil {
		return nil, err
	}
	tokens := lexer.Tokenize(string(data))
	if tk := tokens.InvalidToken(); tk != nil {
		e := &Error{File: file, Msg: "invalid YAML: " + tk.Error}
		if tk.Position != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
		return nil, e
	}
	return tokens, checkDepth(file, tokens)
}

// CheckSize refuses data larger than MaxBytes or holding (by a cheap
// over-estimate) more than MaxTokens tokens.
func CheckSize(file string, data []byte) error {
	if len(data) > MaxBytes {
		return (&Error{File: file, Msg: fmt.Sprintf("the file is %d bytes; meta reads YAML files of at most %d", len(data), MaxBytes)}).
			WithHint("split it, or check that it is the file you meant")
	}
	if n := estimateTokens(data); n > MaxTokens {
		return (&Error{File: file, Msg: fmt.Sprintf("the file holds about %d YAML tokens; meta reads at most %d", n, MaxTokens)}).
			WithHint("split it, or check that it is the file you meant")
	}
	return nil
}

// estimateTokens over-estimates the tokens of data: every token starts
// after white space or at or after a flow indicator or ':'.
func estimateTokens(data []byte) int {
	n := 0
	prevSep := true
	for _, b := range data {
		switch b {
		case ' ', '\t', '\n', '\r':
			prevSep = true
			continue
		case '[', ']', '{', '}', ',', ':':
			n++
			prevSep = true
			continue
		}
		if prevSep {
			n++
		}
		prevSep = false
	}
	return n
}

// checkDepth bounds the nesting the parser would build: on each line, the
// indentation plus two per leading "-" or "?" entry (a block collection
// nests at most one level per column), plus the open flow brackets.
func checkDepth(file string, tokens token.Tokens) error {
	flow, base, line := 0, 0, -1
	for _, tk := range tokens {
		if tk.Type == token.CommentType || tk.Position == nil {
			continue
		}
		if tk.Position.Line != line {
			line = tk.Position.Line
			if flow == 0 {
				base = tk.Position.Column - 1
			}
		}
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			if flow > 0 {
				flow--
			}
		case token.SequenceEntryType, token.MappingKeyType:
			if flow == 0 {
				base += 2
			}
		}
		if base+flow > MaxDepth {
			return (&Error{File: file, Line: tk.Position.Line, Col: tk.Position.Column,
				Msg: fmt.Sprintf("YAML nested too deeply (more than %d levels)", MaxDepth)}).
				WithHint("meta's files nest a few levels; this one looks generated or hostile")
		}
	}
	return nil
}
