package license

import (
	"fmt"
	"strings"
)

// Result is the license check of one package.
type Result struct {
	Answer
	Expr    Expr    // nil when there is no license or it does not parse
	Verdict Verdict // Unknown when there is no license, it does not parse, or an unknown id decides
	Problem string  // why the verdict is Unknown (or what denied it)
}

// Check evaluates a found license against the policy.
func (p *CompiledPolicy) Check(a Answer) Result {
	r := Result{Answer: a}
	if strings.TrimSpace(a.License) == "" {
		r.Problem = "no license found"
		if a.Detail != "" {
			r.Problem += ": " + a.Detail
		}
		return r
	}
	e, err := Parse(a.License)
	if err != nil {
		r.Problem = "not an SPDX expression"
		if s := nearest(a.License, licenseIDs); s != "" {
			r.Problem += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return r
	}
	r.Expr = e
	r.Verdict = p.Evaluate(e)
	switch r.Verdict {
	case Unknown:
		var parts []string
		for _, l := range UnknownLeaves(e) {
			s := fmt.Sprintf("%q is not a known SPDX id", l.String())
			if l.Suggest != "" {
				s += fmt.Sprintf(" (did you mean %s?)", l.Suggest)
			}
			parts = append(parts, s)
		}
		r.Problem = strings.Join(parts, "; ")
	case Denied:
		var parts []string
		for _, l := range Leaves(e) {
			if p.leaf(l) == Denied {
				parts = append(parts, l.String())
			}
		}
		r.Problem = "not allowed: " + strings.Join(parts, ", ")
	}
	return r
}
