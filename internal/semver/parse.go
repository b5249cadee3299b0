package semver

import (
	"strconv"
	"strings"
)

// ParseConstraint parses a version constraint in meta's dialect (DESIGN §3):
//
//	^1.2.3  ~1.2.3  1.x  1.2.*  *  x  ""     caret, tilde, x-ranges, any
//	>=1.2.3  >1.2  <=2  <2.0.0  =1.2.3  1.2.3  comparators; bare = exact
//	1.2 - 2.3.4                                  hyphen range (inclusive)
//	>=1.2.0, <2.0.0   >=1.2.0 <2.0.0             ',' or whitespace: AND
//	^1.0.0 || ^2.0.0                             '||': OR
//
// It follows node-semver's desugaring: upper bounds of ^, ~ and x-ranges
// are <X.Y.Z-0, so no pre-release of the next major/minor sneaks in, and a
// pre-release version is only in the set when a comparator of the same
// AND-clause names a pre-release of the same major.minor.patch.
//
// Errors are *SyntaxError naming the input, the byte position and the
// expected token.
func ParseConstraint(s string) (Set, error) {
	p := parser{s: s}
	var out Set
	for n := 0; ; n++ {
		p.skipSpace()
		if (n > 0 || p.i < len(p.s)) && p.atClauseEnd() {
			// Unlike npm, an empty alternative is an error, not "any".
			return Set{}, p.errorf("a comparator")
		}
		c, err := p.clause()
		if err != nil {
			return Set{}, err
		}
		out = out.Union(c)
		p.skipSpace()
		if p.i == len(p.s) {
			out.written = strings.Join(strings.Fields(s), " ")
			return out, nil
		}
		if !p.consume("||") {
			return Set{}, p.errorf("'||', ',', a comparator or end of constraint")
		}
	}
}

// MustParseConstraint is ParseConstraint for constants in tests and tables;
// it panics on error.
func MustParseConstraint(s string) Set {
	set, err := ParseConstraint(s)
	if err != nil {
		panic(err)
	}
	return set
}

type parser struct {
	s string
	i int
}

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) errorf(expected string) error {
	return &SyntaxError{Input: p.s, Pos: p.i, Expected: expected}
}

func (p *parser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) consume(tok string) bool {
	if len(p.s)-p.i >= len(tok) && p.s[p.i:p.i+len(tok)] == tok {
		p.i += len(tok)
		return true
	}
	return false
}

// atClauseEnd reports whether the current clause is over: end of input or '||'.
func (p *parser) atClauseEnd() bool {
	return p.i == len(p.s) || (p.i+1 < len(p.s) && p.s[p.i] == '|' && p.s[p.i+1] == '|')
}

// number parses a numeric component without leading zeros.
func (p *parser) number() (uint64, bool, error) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == start {
		return 0, false, nil
	}
	if p.s[start] == '0' && p.i-start > 1 {
		p.i = start
		return 0, false, p.errorf("a number without leading zeros")
	}
	n, err := strconv.ParseUint(p.s[start:p.i], 10, 64)
	if err != nil || n > MaxComponent {
		p.i = start
		return 0, false, p.errorf("a number at most 9007199254740991")
	}
	return n, true, nil
}

// idents parses dot-separated identifiers of [0-9A-Za-z-]; numeric
// identifiers must not have leading zeros when strict.
func (p *parser) idents(strict bool) (string, error) {
	start := p.i
	for {
		id := p.i
		for p.i < len(p.s) && isIdentChar(p.s[p.i]) {
			p.i++
		}
		if p.i == id {
			return "", p.errorf("an identifier of [0-9A-Za-z-]")
		}
		if strict && p.i-id > 1 && p.s[id] == '0' && isNumeric(p.s[id:p.i]) {
			p.i = id
			return "", p.errorf("a numeric identifier without leading zeros")
		}
		if p.peek() != '.' {
			return p.s[start:p.i], nil
		}
		p.i++
	}
}

func isIdentChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-'
}

// version parses MAJOR.MINOR.PATCH[-pre][+build].
func (p *parser) version() (Version, error) {
	var v Version
	for k, dst := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		if k > 0 {
			if !p.consume(".") {
				return Version{}, p.errorf("'.'")
			}
		}
		n, ok, err := p.number()
		if err != nil {
			return Version{}, err
		}
		if !ok {
			return Version{}, p.errorf("a number")
		}
		*dst = n
	}
	if err := p.qualifiers(&v); err != nil {
		return Version{}, err
	}
	return v, nil
}

func (p *parser) qualifiers(v *Version) error {
	var err error
	if p.peek() == '-' {
		p.i++
		if v.Pre, err = p.idents(true); err != nil {
			return err
		}
	}
	if p.peek() == '+' {
		p.i++
		if v.Build, err = p.idents(false); err != nil {
			return err
		}
	}
	return nil
}

// partial is a possibly incomplete version: n numeric components were
// given (0 for '*', 'x' or nothing), the rest are wildcards.
type partial struct {
	v Version
	n int
}

func isWild(c byte) bool { return c == 'x' || c == 'X' || c == '*' }

func (p *parser) partial() (partial, error) {
	var out partial
	if p.peek() == 'v' || p.peek() == 'V' {
		p.i++
	}
	dst := []*uint64{&out.v.Major, &out.v.Minor, &out.v.Patch}
	wild := false
	for k := 0; k < 3; k++ {
		if k > 0 {
			if p.peek() != '.' {
				break
			}
			p.i++
		}
		if isWild(p.peek()) {
			p.i++
			wild = true
			continue
		}
		if wild {
			return partial{}, p.errorf("'x' or '*' after a wildcard component")
		}
		n, ok, err := p.number()
		if err != nil {
			return partial{}, err
		}
		if !ok {
			return partial{}, p.errorf("a number, 'x' or '*'")
		}
		*dst[k] = n
		out.n++
	}
	if p.peek() == '-' || p.peek() == '+' {
		if out.n < 3 {
			return partial{}, p.errorf("a full MAJOR.MINOR.PATCH before a pre-release or build")
		}
		if err := p.qualifiers(&out.v); err != nil {
			return partial{}, err
		}
	}
	return out, nil
}

// clause is one AND-clause being built: the interval [lo, hi) over all
// versions (hi absent when open) and the tuples whose pre-releases a
// comparator named.
type clause struct {
	lo, hi Version
	open   bool
	empty  bool
	named  []Version
}

func newClause() clause { return clause{lo: minVersion, open: true} }

func (c *clause) restrict(lo Version, hi Version, open bool) {
	if Compare(lo, c.lo) > 0 {
		c.lo = lo
	}
	if !open && (c.open || Compare(hi, c.hi) < 0) {
		c.hi, c.open = hi, false
	}
}

func (c *clause) atLeast(v Version) { c.restrict(v, Version{}, true) }
func (c *clause) below(v Version)   { c.restrict(minVersion, v, false) }

func (c *clause) name(v Version) {
	if v.Pre != "" {
		c.named = append(c.named, v.release())
	}
}

// set turns the clause into a Set, applying the pre-release rule.
func (c *clause) set() Set {
	if c.empty || (!c.open && Compare(c.lo, c.hi) >= 0) {
		return Set{}
	}
	full := span{lo: c.lo, hi: c.hi, open: c.open}
	var out Set
	out.rel = normRel([]span{full})
	for _, t := range c.named {
		w := span{lo: Version{Major: t.Major, Minor: t.Minor, Patch: t.Patch, Pre: "0"}, hi: succ(t)}
		out.pre = spansUnion(out.pre, normPre(spansIntersect([]span{full}, []span{w})))
	}
	return out
}

// clause parses one AND-clause: comparators separated by whitespace or a
// comma, or a hyphen range; empty means any release.
func (p *parser) clause() (Set, error) {
	c := newClause()
	p.skipSpace()
	if p.atClauseEnd() {
		return c.set(), nil
	}
	first := true
	for {
		start := p.i
		op := p.operator()
		p.skipSpace()
		part, err := p.partial()
		if err != nil {
			return Set{}, err
		}
		if first && op == "" {
			// A hyphen range needs spaces around '-'.
			save := p.i
			p.skipSpace()
			if p.i > save && p.peek() == '-' && p.i+1 < len(p.s) && isSpace(p.s[p.i+1]) {
				p.i++
				p.skipSpace()
				hi, err := p.partial()
				if err != nil {
					return Set{}, err
				}
				c.hyphen(part, hi)
				p.skipSpace()
				if !p.atClauseEnd() {
					return Set{}, p.errorf("'||' or end of constraint after a hyphen range")
				}
				return c.set(), nil
			}
			p.i = save
		}
		if p.i == start {
			return Set{}, p.errorf("a comparator")
		}
		c.apply(op, part)
		first = false
		p.skipSpace()
		if p.consume(",") {
			p.skipSpace()
			if p.atClauseEnd() || p.peek() == ',' {
				return Set{}, p.errorf("a comparator after ','")
			}
			continue
		}
		if p.atClauseEnd() {
			return c.set(), nil
		}
		if !isSpace(p.s[p.i-1]) {
			return Set{}, p.errorf("whitespace, ',', '||' or end of constraint")
		}
	}
}

func (p *parser) operator() string {
	for _, op := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
		if p.consume(op) {
			return op
		}
	}
	return ""
}

// bumpUpper returns the exclusive upper bound "<next-0" of a partial with
// n components given: the next major (n=1) or minor (n=2).
func bumpUpper(v Version, n int) Version {
	if n == 1 {
		return Version{Major: v.Major + 1, Pre: "0"}
	}
	return Version{Major: v.Major, Minor: v.Minor + 1, Pre: "0"}
}

func (c *clause) apply(op string, p partial) {
	v := p.v
	if p.n == 0 {
		if op == ">" || op == "<" {
			c.empty = true
		}
		return
	}
	if p.n < 3 {
		lo := Version{Major: v.Major, Minor: v.Minor}
		switch op {
		case "", "=", "~":
			c.restrict(lo, bumpUpper(v, p.n), false)
		case ">=":
			c.atLeast(lo)
		case ">":
			next := bumpUpper(v, p.n)
			next.Pre = ""
			c.atLeast(next)
		case "<":
			lo.Pre = "0"
			c.below(lo)
		case "<=":
			c.below(bumpUpper(v, p.n))
		case "^":
			if p.n == 2 && v.Major == 0 {
				c.restrict(lo, bumpUpper(v, 2), false)
			} else {
				c.restrict(lo, bumpUpper(v, 1), false)
			}
		}
		return
	}
	v.Build = ""
	c.name(v)
	switch op {
	case "", "=":
		c.restrict(v, succ(v), false)
	case ">=":
		c.atLeast(v)
	case ">":
		c.atLeast(succ(v))
	case "<":
		c.below(v)
	case "<=":
		c.below(succ(v))
	case "~":
		c.restrict(v, bumpUpper(v, 2), false)
	case "^":
		switch {
		case v.Major > 0:
			c.restrict(v, bumpUpper(v, 1), false)
		case v.Minor > 0:
			c.restrict(v, bumpUpper(v, 2), false)
		default:
			c.restrict(v, Version{Patch: v.Patch + 1, Pre: "0"}, false)
		}
	}
}

func (c *clause) hyphen(lo, hi partial) {
	if lo.n > 0 {
		c.apply(">=", lo)
	}
	switch {
	case hi.n == 0:
	case hi.n < 3:
		c.below(bumpUpper(hi.v, hi.n))
	default:
		c.apply("<=", hi)
	}
}
