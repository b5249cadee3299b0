// Package license owns license data of third-party packages: SPDX license
// expressions (parsing, validation against a list of common SPDX ids,
// evaluation against allow and deny lists as cargo-deny does) and finding
// the license of a package from its lock file, its installed metadata
// (node_modules, Python dist-info, the Cargo registry, the Go module cache)
// or deps.dev.
package license

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/yamlpos"
)

// Expr is a parsed SPDX license expression: a *Leaf, *And or *Or.
type Expr interface {
	String() string
	leaves(func(*Leaf))
}

// Leaf is one license, optionally "or later" and with an exception.
type Leaf struct {
	ID        string // canonical SPDX id (or the text as written when unknown), LicenseRef-…
	Exception string // the id after WITH, "" when none
	Known     bool   // ID is a known SPDX license id or a LicenseRef
	Suggest   string // for an unknown ID: the nearest known id, if any is close
}

// And requires every operand.
type And struct{ Args []Expr }

// Or requires one operand.
type Or struct{ Args []Expr }

// String renders the leaf as SPDX ("GPL-2.0-or-later WITH Classpath-exception-2.0").
func (l *Leaf) String() string {
	if l.Exception != "" {
		return l.ID + " WITH " + l.Exception
	}
	return l.ID
}

func (e *And) String() string { return join(e.Args, " AND ", true) }
func (e *Or) String() string  { return join(e.Args, " OR ", false) }

func join(args []Expr, op string, and bool) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
		if _, isOr := a.(*Or); and && isOr {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, op)
}

func (l *Leaf) leaves(f func(*Leaf)) { f(l) }
func (e *And) leaves(f func(*Leaf)) {
	for _, a := range e.Args {
		a.leaves(f)
	}
}
func (e *Or) leaves(f func(*Leaf)) {
	for _, a := range e.Args {
		a.leaves(f)
	}
}

// Leaves returns the leaves of e in order.
func Leaves(e Expr) []*Leaf {
	var out []*Leaf
	e.leaves(func(l *Leaf) { out = append(out, l) })
	return out
}

// UnknownLeaves returns the leaves of e whose license id is not a known SPDX id.
func UnknownLeaves(e Expr) []*Leaf {
	var out []*Leaf
	e.leaves(func(l *Leaf) {
		if !l.Known {
			out = append(out, l)
		}
	})
	return out
}

// SyntaxError is an expression that cannot be parsed.
type SyntaxError struct {
	Expr   string
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("license expression %q: %s at offset %d", e.Expr, e.Msg, e.Offset)
}

type token struct {
	text string
	off  int
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '+' || c == '/':
			toks = append(toks, token{string(c), i})
			i++
		case isIDChar(c):
			j := i
			for j < len(s) && isIDChar(s[j]) {
				j++
			}
			toks = append(toks, token{s[i:j], i})
			i = j
		default:
			return nil, &SyntaxError{Expr: s, Offset: i, Msg: fmt.Sprintf("unexpected character %q", c)}
		}
	}
	return toks, nil
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':'
}

type parser struct {
	src  string
	toks []token
	pos  int
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *parser) offset() int {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].off
	}
	return len(p.src)
}

func (p *parser) fail(msg string) error {
	return &SyntaxError{Expr: p.src, Offset: p.offset(), Msg: msg}
}

func isOp(t, op string) bool { return strings.EqualFold(t, op) }

// Parse reads an SPDX license expression: license ids (matched without
// regard to case and canonicalised), "+" (or later), "WITH exception",
// "AND", "OR" (operators in any case; AND binds tighter than OR),
// parentheses, LicenseRef-… and DocumentRef-…:LicenseRef-…. The legacy
// "MIT/Apache-2.0" form found in old crates is read as OR. Ids that are
// not known SPDX ids parse into leaves with Known false.
func Parse(s string) (Expr, error) {
	if strings.TrimSpace(s) == "" {
		return nil, &SyntaxError{Expr: s, Msg: "empty expression"}
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, p.fail(fmt.Sprintf("unexpected %q", p.peek()))
	}
	return e, nil
}

func (p *parser) or() (Expr, error) {
	return p.joined(p.and, func(tok string) bool { return isOp(tok, "OR") || tok == "/" },
		func(args []Expr) Expr { return &Or{Args: flatten(args, false)} })
}

func (p *parser) and() (Expr, error) {
	return p.joined(p.with, func(tok string) bool { return isOp(tok, "AND") },
		func(args []Expr) Expr { return &And{Args: flatten(args, true)} })
}

// joined parses one or more operands, each read by operand, between
// tokens that sep accepts. A lone operand is returned as it is; several
// are combined by join.
func (p *parser) joined(operand func() (Expr, error), sep func(string) bool, join func([]Expr) Expr) (Expr, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for sep(p.peek()) {
		p.pos++
		next, err := operand()
		if err != nil {
			return nil, err
		}
		args = append(args, next)
	}
	if len(args) == 1 {
		return first, nil
	}
	return join(args), nil
}

// flatten merges nested operands of the same operator: (a AND b) AND c.
func flatten(args []Expr, and bool) []Expr {
	var out []Expr
	for _, a := range args {
		switch x := a.(type) {
		case *And:
			if and {
				out = append(out, x.Args...)
				continue
			}
		case *Or:
			if !and {
				out = append(out, x.Args...)
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func (p *parser) with() (Expr, error) {
	t := p.peek()
	switch {
	case t == "(":
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, p.fail("missing \")\"")
		}
		p.pos++
		return e, nil
	case t == "":
		return nil, p.fail("expected a license id")
	case t == ")" || t == "+" || t == "/" || isOp(t, "AND") || isOp(t, "OR") || isOp(t, "WITH"):
		return nil, p.fail(fmt.Sprintf("expected a license id, found %q", t))
	}
	p.pos++
	plus := false
	if p.peek() == "+" {
		plus = true
		p.pos++
	}
	leaf := newLeaf(t, plus)
	if isOp(p.peek(), "WITH") {
		p.pos++
		exc := p.peek()
		if exc == "" || exc == "(" || exc == ")" || exc == "+" || exc == "/" || isOp(exc, "AND") || isOp(exc, "OR") {
			return nil, p.fail("expected an exception id after WITH")
		}
		p.pos++
		if canon, ok := exceptionIndex[strings.ToLower(exc)]; ok {
			exc = canon
		} else if !strings.HasPrefix(exc, "AdditionRef-") {
			leaf.Known = false
			if leaf.Suggest == "" {
				leaf.Suggest = nearest(exc, exceptionIDs)
			}
		}
		leaf.Exception = exc
	}
	return leaf, nil
}

// newLeaf canonicalises an id: known ids get their SPDX spelling, "+"
// and the deprecated GNU ids map to -or-later / -only.
func newLeaf(id string, plus bool) *Leaf {
	if strings.HasPrefix(id, "LicenseRef-") || strings.Contains(id, ":LicenseRef-") {
		return &Leaf{ID: id, Known: true}
	}
	lower := strings.ToLower(id)
	canon, ok := licenseIndex[lower]
	if !ok {
		l := &Leaf{ID: id}
		if plus {
			l.ID += "+"
		}
		l.Suggest = nearest(id, licenseIDs)
		return l
	}
	if gnu, isGNU := gnuBase(canon); isGNU {
		switch {
		case plus || strings.HasSuffix(canon, "+"):
			canon = gnu + "-or-later"
		case !strings.HasSuffix(canon, "-only") && !strings.HasSuffix(canon, "-or-later"):
			canon = gnu + "-only"
		}
	} else if plus {
		canon += "+"
	}
	return &Leaf{ID: canon, Known: true}
}

// gnuBase returns "GPL-2.0" for GPL-2.0, GPL-2.0+, GPL-2.0-only, … and
// reports whether id is one of the GNU licenses that have -only/-or-later.
func gnuBase(id string) (string, bool) {
	base := strings.TrimSuffix(id, "+")
	base = strings.TrimSuffix(base, "-only")
	base = strings.TrimSuffix(base, "-or-later")
	for _, p := range []string{"GPL-", "LGPL-", "AGPL-", "GFDL-"} {
		if strings.HasPrefix(base, p) {
			return base, true
		}
	}
	return "", false
}

// nearest returns the known id closest to s by edit distance (ignoring
// case and punctuation), or "" when nothing is reasonably close.
func nearest(s string, ids []string) string {
	norm := func(x string) string {
		x = strings.ToLower(x)
		x = strings.NewReplacer(" ", "", "-", "", "_", "", "license", "", "version", "", "v", "").Replace(x)
		return x
	}
	ns := norm(s)
	best, bestD := "", 1<<30
	for _, id := range ids {
		d := yamlpos.Distance(ns, norm(id))
		if d < bestD || d == bestD && id < best {
			best, bestD = id, d
		}
	}
	if bestD > max(2, len(ns)/3) {
		return ""
	}
	return best
}

// Verdict is the outcome of checking an expression against a policy.
type Verdict int

// Verdicts, from a three-valued evaluation: an unknown leaf stays unknown
// unless the rest of the expression decides the answer.
const (
	Unknown Verdict = iota
	Allowed
	Denied
)

func (v Verdict) String() string {
	switch v {
	case Allowed:
		return "allowed"
	case Denied:
		return "denied"
	}
	return "unknown"
}

// Policy says which licenses are acceptable. With an empty Allow list every
// known license not denied is allowed.
type Policy struct {
	Allow []string // license ids or "ID WITH exception" units
	Deny  []string
}

// compiled is a Policy with its entries canonicalised.
type compiled struct {
	allow, deny map[string]bool
}

// Compile checks that every entry of the policy is a known SPDX id (or a
// LicenseRef, or an "ID WITH exception" unit) and canonicalises it.
func (pol Policy) Compile() (*CompiledPolicy, error) {
	c := compiled{allow: map[string]bool{}, deny: map[string]bool{}}
	var errs []error
	for _, list := range []struct {
		in  []string
		out map[string]bool
	}{{pol.Allow, c.allow}, {pol.Deny, c.deny}} {
		for _, s := range list.in {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			e, err := Parse(s)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			leaf, ok := e.(*Leaf)
			if !ok {
				errs = append(errs, fmt.Errorf("license %q: give single licenses, not expressions", s))
				continue
			}
			if !leaf.Known {
				msg := fmt.Sprintf("license %q is not a known SPDX id", s)
				if leaf.Suggest != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", leaf.Suggest)
				}
				errs = append(errs, errors.New(msg))
				continue
			}
			list.out[leaf.String()] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &CompiledPolicy{c}, nil
}

// CompiledPolicy is a checked Policy.
type CompiledPolicy struct{ c compiled }

// leaf decides one license. An "X WITH E" unit is allowed when the unit
// or X itself is allowed (an exception only adds permissions), and denied
// when the unit is denied, or X is denied and the unit is not allowed.
func (p *CompiledPolicy) leaf(l *Leaf) Verdict {
	unit := l.String()
	if !l.Known {
		if p.c.deny[unit] {
			return Denied
		}
		if p.c.allow[unit] {
			return Allowed
		}
		return Unknown
	}
	if p.c.deny[unit] || (p.c.deny[l.ID] && !p.c.allow[unit]) {
		return Denied
	}
	if len(p.c.allow) == 0 || p.c.allow[unit] || p.c.allow[l.ID] {
		return Allowed
	}
	return Denied
}

// Evaluate checks e against the policy: OR needs one allowed side, AND
// needs every side allowed.
func (p *CompiledPolicy) Evaluate(e Expr) Verdict {
	switch x := e.(type) {
	case *Leaf:
		return p.leaf(x)
	case *Or:
		out := Denied
		for _, a := range x.Args {
			switch p.Evaluate(a) {
			case Allowed:
				return Allowed
			case Unknown:
				out = Unknown
			}
		}
		return out
	case *And:
		out := Allowed
		for _, a := range x.Args {
			switch p.Evaluate(a) {
			case Denied:
				return Denied
			case Unknown:
				out = Unknown
			}
		}
		return out
	}
	return Unknown
}

// licenseIndex and exceptionIndex map lower-case ids to their spelling;
// licenseIDs and exceptionIDs are the sorted ids, for suggestions.
var (
	licenseIndex, licenseIDs     = buildIndex(spdxLicenses)
	exceptionIndex, exceptionIDs = buildIndex(spdxExceptions)
)

func buildIndex(list string) (map[string]string, []string) {
	idx := map[string]string{}
	ids := strings.Fields(list)
	for _, f := range ids {
		idx[strings.ToLower(f)] = f
	}
	sort.Strings(ids)
	return idx, ids
}

// IsKnown reports whether id is in meta's list of SPDX license ids.
func IsKnown(id string) bool {
	_, ok := licenseIndex[strings.ToLower(id)]
	return ok
}
