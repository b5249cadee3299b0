package pubgrub

import (
	"fmt"
	"slices"
	"strings"

	"github.com/metawork/meta/internal/semver"
)

// NoSolutionError reports that no choice of versions satisfies every
// requirement. Its fields are the structured form (for --json); Explain
// and Report render it for people.
type NoSolutionError struct {
	// Headline is one line naming the clashing requirements and where
	// they are declared.
	Headline string `json:"headline"`
	// Clash names the package the requirements clash on, when there is one.
	Clash string `json:"clash,omitempty"`
	// Derivation is pub's numbered explanation, one line per entry; a
	// blank Text separates paragraphs.
	Derivation []Line `json:"derivation"`
	// Versions lists the versions that exist of each package involved.
	Versions []PackageVersions `json:"versions"`
	// Suggestions were each verified by solving again with one change.
	Suggestions []Suggestion `json:"suggestions"`
	// Requirements are the declared requirements the derivation uses.
	Requirements []Requirement `json:"-"`
}

// Line is one line of the derivation; Number is 0 when unnumbered.
type Line struct {
	Number int    `json:"number,omitempty"`
	Text   string `json:"text"`
}

// PackageVersions lists what exists of one package.
type PackageVersions struct {
	Name     string   `json:"name"`
	Versions []string `json:"versions"`
	NotFound bool     `json:"not_found,omitempty"`
}

// Suggestion is a change that was checked to make resolution succeed.
type Suggestion struct {
	Kind       string `json:"kind"` // "relax" or "override"
	Package    string `json:"package"`
	Constraint string `json:"constraint"` // the new constraint or override
	Result     string `json:"result"`     // e.g. "auth-lib 2.3.1"
	Text       string `json:"text"`
}

func (e *NoSolutionError) Error() string { return "version solving failed: " + e.Headline }

// Explain renders the derivation in pub's numbered style.
func (e *NoSolutionError) Explain() string {
	pad := 0
	for _, l := range e.Derivation {
		if l.Number > 0 {
			pad = len(fmt.Sprintf("(%d) ", l.Number))
		}
	}
	var b strings.Builder
	for _, l := range e.Derivation {
		switch {
		case l.Text == "":
		case l.Number > 0:
			fmt.Fprintf(&b, "%-*s%s", pad, fmt.Sprintf("(%d)", l.Number), l.Text)
		default:
			b.WriteString(strings.Repeat(" ", pad) + l.Text)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Report renders everything: headline, derivation, versions, suggestions.
func (e *NoSolutionError) Report() string {
	var b strings.Builder
	b.WriteString(e.Headline + "\n\n")
	b.WriteString(e.Explain())
	if len(e.Versions) > 0 {
		b.WriteString("\nVersions that exist:\n")
		for _, pv := range e.Versions {
			switch {
			case pv.NotFound:
				fmt.Fprintf(&b, "  %s: does not exist\n", pv.Name)
			case len(pv.Versions) == 0:
				fmt.Fprintf(&b, "  %s: no versions\n", pv.Name)
			default:
				fmt.Fprintf(&b, "  %s: %s\n", pv.Name, strings.Join(pv.Versions, ", "))
			}
		}
	}
	if len(e.Suggestions) > 0 {
		b.WriteString("\nPossible fixes (each checked by solving again):\n")
		for _, sg := range e.Suggestions {
			fmt.Fprintf(&b, "  - %s\n", sg.Text)
		}
	}
	return b.String()
}

// reporter turns the derivation graph into pub's explanation.
type reporter struct {
	s           *solver
	derivations map[int32]int
	lineNo      map[int32]int
	lines       []Line
}

func (s *solver) noSolution(root int32) error {
	r := &reporter{s: s, derivations: map[int32]int{}, lineNo: map[int32]int{}}
	if s.inc[root].kind == causeConflict {
		r.count(root)
		r.visit(root, false)
	} else {
		r.lines = append(r.lines, Line{Text: fmt.Sprintf("Because %s, version solving failed.", r.str(root))})
	}
	e := &NoSolutionError{Derivation: r.lines, Versions: []PackageVersions{}}
	ext := r.externals(root)
	e.Headline, e.Clash = r.headline(ext)
	var pkgs []int32
	for _, id := range ext {
		for _, t := range s.inc[id].terms {
			if t.pkg != 0 && !slices.Contains(pkgs, t.pkg) {
				pkgs = append(pkgs, t.pkg)
			}
		}
		if ic := s.inc[id]; ic.kind == causeDependency && len(ic.terms) == 2 {
			from := ic.terms[0]
			req := Requirement{From: s.pkgs[from.pkg].name, IsRoot: from.pkg == 0, Constraint: ic.decl, Source: ic.source}
			if !req.IsRoot && from.b.count() == 1 {
				req.FromVersion = s.pkgs[from.pkg].versions[from.b.lowest()]
			}
			e.Requirements = append(e.Requirements, req)
		}
	}
	slices.SortFunc(pkgs, func(a, b int32) int { return strings.Compare(s.pkgs[a].name, s.pkgs[b].name) })
	for _, p := range pkgs {
		pv := PackageVersions{Name: s.pkgs[p].name, NotFound: s.pkgs[p].notFound != "", Versions: []string{}}
		for _, v := range s.pkgs[p].versions {
			pv.Versions = append(pv.Versions, v.String())
		}
		e.Versions = append(e.Versions, pv)
	}
	return e
}

// externals lists the external incompatibilities of the derivation, in
// depth-first order, each once.
func (r *reporter) externals(id int32) []int32 {
	var out []int32
	seen := map[int32]bool{}
	var walk func(int32)
	walk = func(id int32) {
		if seen[id] {
			return
		}
		seen[id] = true
		ic := r.s.inc[id]
		if ic.kind == causeConflict {
			walk(ic.c1)
			walk(ic.c2)
			return
		}
		out = append(out, id)
	}
	walk(id)
	return out
}

func (r *reporter) requirer(t term) string {
	return r.terse(t, true, nil)
}

func (r *reporter) headline(ext []int32) (string, string) {
	s := r.s
	// The package most often depended on in the derivation is the clash.
	counts := map[int32]int{}
	var order []int32
	for _, id := range ext {
		ic := s.inc[id]
		if ic.kind == causeDependency && len(ic.terms) == 2 {
			p := ic.terms[1].pkg
			if counts[p] == 0 {
				order = append(order, p)
			}
			counts[p]++
		}
	}
	best := int32(-1)
	for _, p := range order {
		if counts[p] >= 2 && (best < 0 || counts[p] > counts[best]) {
			best = p
		}
	}
	if best >= 0 {
		var reqs []string
		for _, id := range ext {
			ic := s.inc[id]
			if ic.kind == causeDependency && len(ic.terms) == 2 && ic.terms[1].pkg == best {
				reqs = append(reqs, r.requirer(ic.terms[0])+" requires "+ic.decl.Written()+where(ic.source)+r.overrideNote(id))
			}
		}
		return fmt.Sprintf("conflicting requirements on %s: %s", s.pkgs[best].name, strings.Join(reqs, "; ")), s.pkgs[best].name
	}
	for _, id := range ext {
		ic := s.inc[id]
		if ic.kind != causeNoVersions && ic.kind != causeNotFound && ic.kind != causeUnusable {
			continue
		}
		p := ic.terms[0].pkg
		by := ""
		for _, id2 := range ext {
			d := s.inc[id2]
			if d.kind == causeDependency && len(d.terms) == 2 && d.terms[1].pkg == p {
				note := r.overrideNote(id2)
				if note != "" {
					note = "; " + strings.TrimSuffix(strings.TrimPrefix(note, " ("), ")")
				}
				by = fmt.Sprintf(" (required by %s%s%s)", r.requirer(d.terms[0]), where(d.source), note)
				break
			}
		}
		return r.str(id) + by, ""
	}
	return "no combination of versions satisfies every requirement", ""
}

// overrideNote says when an override replaced a dependency's constraint.
func (r *reporter) overrideNote(id int32) string {
	ic := r.s.inc[id]
	if !ic.overridden || len(ic.terms) != 2 {
		return ""
	}
	o := r.s.req.Overrides[r.s.pkgs[ic.terms[1].pkg].name]
	note := " (override"
	if o.Reason != "" {
		note += ": " + o.Reason
	}
	return note + where(o.Source) + ")"
}

func where(source string) string {
	if source == "" {
		return ""
	}
	return " at " + source
}

func (r *reporter) count(id int32) {
	r.derivations[id]++
	ic := r.s.inc[id]
	if ic.kind == causeConflict {
		r.count(ic.c1)
		r.count(ic.c2)
	}
}

func (r *reporter) derived(id int32) bool { return r.s.inc[id].kind == causeConflict }

func (r *reporter) write(id int32, msg string, numbered bool) {
	if numbered {
		n := len(r.lineNo) + 1
		r.lineNo[id] = n
		r.lines = append(r.lines, Line{Number: n, Text: msg})
		return
	}
	r.lines = append(r.lines, Line{Text: msg})
}

func (r *reporter) visit(id int32, conclusion bool) {
	numbered := conclusion || r.derivations[id] > 1
	conj := "And"
	if conclusion || r.s.isFailure(&r.s.inc[id]) {
		conj = "So,"
	}
	str := r.str(id)
	ic := r.s.inc[id]
	c1, c2 := ic.c1, ic.c2
	switch {
	case r.derived(c1) && r.derived(c2):
		l1, ok1 := r.lineNo[c1]
		l2, ok2 := r.lineNo[c2]
		switch {
		case ok1 && ok2:
			r.write(id, fmt.Sprintf("Because %s, %s.", r.and(c1, c2, l1, l2), str), numbered)
		case ok1 || ok2:
			with, without, line := c1, c2, l1
			if !ok1 {
				with, without, line = c2, c1, l2
			}
			r.visit(without, false)
			r.write(id, fmt.Sprintf("%s because %s (%d), %s.", conj, r.str(with), line, str), numbered)
		default:
			single1, single2 := r.singleLine(c1), r.singleLine(c2)
			if single1 || single2 {
				first, second := c2, c1
				if single2 {
					first, second = c1, c2
				}
				r.visit(first, false)
				r.visit(second, false)
				r.write(id, fmt.Sprintf("Thus, %s.", str), numbered)
			} else {
				r.visit(c1, true)
				r.lines = append(r.lines, Line{})
				r.visit(c2, false)
				r.write(id, fmt.Sprintf("%s because %s (%d), %s.", conj, r.str(c1), r.lineNo[c1], str), numbered)
			}
		}
	case r.derived(c1) || r.derived(c2):
		derived, ext := c1, c2
		if !r.derived(c1) {
			derived, ext = c2, c1
		}
		if line, ok := r.lineNo[derived]; ok {
			r.write(id, fmt.Sprintf("Because %s, %s.", r.and(ext, derived, 0, line), str), numbered)
		} else if r.collapsible(derived) {
			dc := r.s.inc[derived]
			cd, ce := dc.c1, dc.c2
			if !r.derived(cd) {
				cd, ce = ce, cd
			}
			r.visit(cd, false)
			r.write(id, fmt.Sprintf("%s because %s, %s.", conj, r.and(ce, ext, 0, 0), str), numbered)
		} else {
			r.visit(derived, false)
			r.write(id, fmt.Sprintf("%s because %s, %s.", conj, r.str(ext), str), numbered)
		}
	default:
		r.write(id, fmt.Sprintf("Because %s, %s.", r.and(c1, c2, 0, 0), str), numbered)
	}
}

func (r *reporter) singleLine(id int32) bool {
	ic := r.s.inc[id]
	return !r.derived(ic.c1) && !r.derived(ic.c2)
}

func (r *reporter) collapsible(id int32) bool {
	if r.derivations[id] > 1 {
		return false
	}
	ic := r.s.inc[id]
	if r.derived(ic.c1) == r.derived(ic.c2) {
		return false
	}
	complex := ic.c1
	if !r.derived(complex) {
		complex = ic.c2
	}
	_, ok := r.lineNo[complex]
	return !ok
}

// rangeString renders bits of pkg simplified against the versions that
// exist: runs of consecutive existing versions become one range.
func (r *reporter) rangeString(pkg int32, b vbits) string {
	vs := r.s.pkgs[pkg].versions
	n := len(vs)
	var parts []string
	for i := 0; i < n; i++ {
		if !b.has(i) {
			continue
		}
		j := i
		for j+1 < n && b.has(j+1) {
			j++
		}
		switch {
		case i == j:
			parts = append(parts, vs[i].String())
		case i == 0:
			parts = append(parts, "<"+vs[j+1].String())
		case j == n-1:
			parts = append(parts, ">="+vs[i].String())
		case !vs[i].IsPrerelease() && !vs[j+1].IsPrerelease():
			parts = append(parts, semver.MustParseConstraint(">="+vs[i].String()+" <"+vs[j+1].String()).String())
		default:
			parts = append(parts, ">="+vs[i].String()+", <"+vs[j+1].String())
		}
		i = j
	}
	return strings.Join(parts, " || ")
}

// terse renders a term as "name constraint"; for a negative term the
// constraint is the one it excludes. decl, when set, is the declared
// constraint to show instead of the simplified one.
func (r *reporter) terse(t term, allowEvery bool, decl *semver.Set) string {
	name := r.s.pkgs[t.pkg].name
	if t.pkg == 0 {
		return name
	}
	n := r.s.n(t.pkg)
	b := t.b
	if t.none {
		b = b.not(n, nil)
	}
	b = r.s.real(t.pkg, b)
	n-- // existing versions only
	if decl != nil {
		if decl.Equal(semver.Releases()) || decl.IsAny() {
			if allowEvery {
				return "every version of " + name
			}
			return name + " any"
		}
		return name + " " + decl.Written()
	}
	switch {
	case n > 0 && b.equal(r.s.real(t.pkg, fullBits(n+1, nil))):
		if allowEvery {
			return "every version of " + name
		}
		return name + " any"
	case b.isEmpty():
		return name + " (no versions)"
	}
	return name + " " + r.rangeString(t.pkg, b)
}

// declFor returns the declared constraint to print for term i of id.
func (r *reporter) declFor(id int32, i int) *semver.Set {
	ic := &r.s.inc[id]
	if ic.kind == causeDependency && i == 1 {
		return &ic.decl
	}
	if ic.kind == causeNoVersions && ic.hasDecl {
		return &ic.decl
	}
	return nil
}

func (r *reporter) termStr(id int32, i int, allowEvery bool) string {
	s := r.terse(r.s.inc[id].terms[i], allowEvery, r.declFor(id, i))
	if i == 1 && r.s.inc[id].kind == causeDependency {
		s += r.overrideNote(id)
	}
	return s
}

// single returns the index of the only term matching pred, or -1.
func (r *reporter) single(id int32, pred func(term) bool) int {
	found := -1
	for i, t := range r.s.inc[id].terms {
		if pred(t) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

func isPos(t term) bool { return t.positive() }
func isNeg(t term) bool { return !t.positive() }

// str renders one incompatibility as a sentence fragment.
func (r *reporter) str(id int32) string {
	s := r.s
	ic := s.inc[id]
	switch ic.kind {
	case causeDependency:
		if len(ic.terms) == 2 {
			return fmt.Sprintf("%s depends on %s", r.termStr(id, 0, true), r.termStr(id, 1, false))
		}
	case causeNoVersions:
		t := ic.terms[0]
		c := ""
		if ic.hasDecl {
			c = ic.decl.Written()
		} else {
			c = r.rangeString(t.pkg, t.b)
			if r.s.real(t.pkg, t.b).isEmpty() {
				c = "any"
			}
		}
		return fmt.Sprintf("no versions of %s match %s", s.pkgs[t.pkg].name, c)
	case causeNotFound:
		return fmt.Sprintf("%s doesn't exist", s.pkgs[ic.terms[0].pkg].name)
	case causeUnusable:
		return fmt.Sprintf("%s is unusable (%s)", r.termStr(id, 0, true), ic.reason)
	}
	if s.isFailure(&ic) {
		return "version solving failed"
	}
	terms := ic.terms
	if len(terms) == 1 {
		verb := "forbidden"
		if !terms[0].positive() {
			verb = "required"
		}
		return fmt.Sprintf("%s is %s", r.termStr(id, 0, true), verb)
	}
	if len(terms) == 2 && terms[0].positive() == terms[1].positive() {
		if terms[0].positive() {
			return fmt.Sprintf("%s is incompatible with %s", r.termStr(id, 0, true), r.termStr(id, 1, true))
		}
		return fmt.Sprintf("either %s or %s", r.termStr(id, 0, false), r.termStr(id, 1, false))
	}
	var pos, neg []string
	for i, t := range terms {
		if t.positive() {
			pos = append(pos, r.termStr(id, i, false))
		} else {
			neg = append(neg, r.termStr(id, i, false))
		}
	}
	switch {
	case len(pos) > 0 && len(neg) > 0:
		if len(pos) == 1 {
			return fmt.Sprintf("%s requires %s", r.termStr(id, r.single(id, isPos), true), strings.Join(neg, " or "))
		}
		return fmt.Sprintf("if %s then %s", strings.Join(pos, " and "), strings.Join(neg, " or "))
	case len(pos) > 0:
		return fmt.Sprintf("one of %s must be false", strings.Join(pos, " or "))
	}
	return fmt.Sprintf("one of %s must be true", strings.Join(neg, " or "))
}

func lineRef(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d)", n)
}

// and renders two incompatibilities joined, as pub's andToString.
func (r *reporter) and(a, b int32, la, lb int) string {
	if s, ok := r.requiresBoth(a, b, la, lb); ok {
		return s
	}
	if s, ok := r.requiresThrough(a, b, la, lb); ok {
		return s
	}
	if s, ok := r.requiresForbidden(a, b, la, lb); ok {
		return s
	}
	return r.str(a) + lineRef(la) + " and " + r.str(b) + lineRef(lb)
}

func (r *reporter) negatives(id int32) string {
	var out []string
	for i, t := range r.s.inc[id].terms {
		if !t.positive() {
			out = append(out, r.termStr(id, i, false))
		}
	}
	return strings.Join(out, " or ")
}

func (r *reporter) positivesList(id int32) []int {
	var out []int
	for i, t := range r.s.inc[id].terms {
		if t.positive() {
			out = append(out, i)
		}
	}
	return out
}

func (r *reporter) verb(id int32) string {
	if r.s.inc[id].kind == causeDependency {
		return "depends on"
	}
	return "requires"
}

func (r *reporter) requiresBoth(a, b int32, la, lb int) (string, bool) {
	ta, tb := r.s.inc[a].terms, r.s.inc[b].terms
	if len(ta) == 1 || len(tb) == 1 {
		return "", false
	}
	pa, pb := r.single(a, isPos), r.single(b, isPos)
	if pa < 0 || pb < 0 || ta[pa].pkg != tb[pb].pkg || !ta[pa].b.equal(tb[pb].b) {
		return "", false
	}
	verb := "requires"
	if r.s.inc[a].kind == causeDependency && r.s.inc[b].kind == causeDependency {
		verb = "depends on"
	}
	return fmt.Sprintf("%s %s both %s%s and %s%s", r.termStr(a, pa, true), verb, r.negatives(a), lineRef(la), r.negatives(b), lineRef(lb)), true
}

func (r *reporter) requiresThrough(a, b int32, la, lb int) (string, bool) {
	ta, tb := r.s.inc[a].terms, r.s.inc[b].terms
	if len(ta) == 1 || len(tb) == 1 {
		return "", false
	}
	na, nb := r.single(a, isNeg), r.single(b, isNeg)
	if na < 0 && nb < 0 {
		return "", false
	}
	pa, pb := r.single(a, isPos), r.single(b, isPos)
	var prior, latter int32
	var priorNeg, priorLine, latterLine int
	through := func(neg term, pos term) bool {
		return neg.pkg == pos.pkg && neg.negate(r.s.n(neg.pkg), nil).subsetOf(pos)
	}
	switch {
	case na >= 0 && pb >= 0 && through(ta[na], tb[pb]):
		prior, priorNeg, priorLine, latter, latterLine = a, na, la, b, lb
	case nb >= 0 && pa >= 0 && through(tb[nb], ta[pa]):
		prior, priorNeg, priorLine, latter, latterLine = b, nb, lb, a, la
	default:
		return "", false
	}
	var sb strings.Builder
	r.writeCondition(&sb, prior)
	sb.WriteString(r.termStr(prior, priorNeg, false) + lineRef(priorLine) + " which " + r.verb(latter) + " " + r.negatives(latter) + lineRef(latterLine))
	return sb.String(), true
}

// writeCondition writes the positive terms of incompatibility inc as the
// condition of a sentence about its negative term: "if a or b then ", or
// "a depends on ".
func (r *reporter) writeCondition(sb *strings.Builder, inc int32) {
	pos := r.positivesList(inc)
	if len(pos) > 1 {
		var ps []string
		for _, i := range pos {
			ps = append(ps, r.termStr(inc, i, false))
		}
		sb.WriteString("if " + strings.Join(ps, " or ") + " then ")
	} else if len(pos) == 1 {
		sb.WriteString(r.termStr(inc, pos[0], true) + " " + r.verb(inc) + " ")
	}
}

func (r *reporter) requiresForbidden(a, b int32, la, lb int) (string, bool) {
	ta, tb := r.s.inc[a].terms, r.s.inc[b].terms
	if len(ta) != 1 && len(tb) != 1 {
		return "", false
	}
	prior, latter, priorLine, latterLine := a, b, la, lb
	if len(ta) == 1 {
		prior, latter, priorLine, latterLine = b, a, lb, la
	}
	neg := r.single(prior, isNeg)
	if neg < 0 {
		return "", false
	}
	nt := r.s.inc[prior].terms[neg]
	lt := r.s.inc[latter].terms[0]
	if nt.pkg != lt.pkg || !nt.negate(r.s.n(nt.pkg), nil).subsetOf(lt) {
		return "", false
	}
	var sb strings.Builder
	r.writeCondition(&sb, prior)
	sb.WriteString(r.termStr(prior, neg, false) + lineRef(priorLine) + " which ")
	switch r.s.inc[latter].kind {
	case causeNoVersions:
		sb.WriteString("doesn't match any versions")
	case causeNotFound:
		sb.WriteString("doesn't exist")
	case causeUnusable:
		sb.WriteString("is unusable (" + r.s.inc[latter].reason + ")")
	default:
		sb.WriteString("is forbidden")
	}
	sb.WriteString(lineRef(latterLine))
	return sb.String(), true
}
