package license

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{"MIT", "MIT"},
		{"mit", "MIT"},
		{"MIT OR Apache-2.0", "MIT OR Apache-2.0"},
		{"MIT or apache-2.0", "MIT OR Apache-2.0"},
		{"MIT/Apache-2.0", "MIT OR Apache-2.0"},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause"},
		{"MIT OR Apache-2.0 AND BSD-3-Clause", "MIT OR Apache-2.0 AND BSD-3-Clause"},
		{"((MIT))", "MIT"},
		{"(MIT AND ISC) AND Zlib", "MIT AND ISC AND Zlib"},
		{"GPL-2.0+", "GPL-2.0-or-later"},
		{"GPL-2.0", "GPL-2.0-only"},
		{"GPL-2.0-or-later", "GPL-2.0-or-later"},
		{"LGPL-2.1+ WITH Classpath-exception-2.0", "LGPL-2.1-or-later WITH Classpath-exception-2.0"},
		{"Apache-2.0 WITH LLVM-exception OR MIT", "Apache-2.0 WITH LLVM-exception OR MIT"},
		{"Apache-1.0+", "Apache-1.0+"},
		{"LicenseRef-Proprietary", "LicenseRef-Proprietary"},
		{"DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if u := UnknownLeaves(e); len(u) != 0 {
			t.Errorf("Parse(%q): unknown leaves %v", tt.in, u)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "  ", "MIT OR", "AND MIT", "(MIT", "MIT)", "MIT Apache-2.0", "MIT WITH", "MIT WITH (x)", "MIT; Apache", "+", "MIT OR OR ISC", "()"} {
		if e, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, e)
		}
	}
}

func TestUnknownSuggestions(t *testing.T) {
	tests := []struct{ in, unknown, suggest string }{
		{"Apache2", "Apache2", "Apache-2.0"},
		{"BSD3-Clause", "BSD3-Clause", "BSD-3-Clause"},
		{"MIT OR Frobnicate-License-Ultra", "Frobnicate-License-Ultra", ""},
		{"GPL-2.0 WITH Classpath-exceptio-2.0", "GPL-2.0-only WITH Classpath-exceptio-2.0", "Classpath-exception-2.0"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		u := UnknownLeaves(e)
		if len(u) != 1 || u[0].String() != tt.unknown || u[0].Suggest != tt.suggest {
			t.Errorf("%q: unknown %v, want %q suggesting %q", tt.in, u, tt.unknown, tt.suggest)
		}
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name string
		pol  Policy
		expr string
		want Verdict
	}{
		{"allowed id", Policy{Allow: []string{"MIT"}}, "MIT", Allowed},
		{"not on the allow list", Policy{Allow: []string{"MIT"}}, "ISC", Denied},
		{"OR needs one side", Policy{Allow: []string{"MIT"}}, "MIT OR GPL-3.0-only", Allowed},
		{"AND needs both", Policy{Allow: []string{"MIT"}}, "MIT AND GPL-3.0-only", Denied},
		{"AND both allowed", Policy{Allow: []string{"MIT", "ISC"}}, "MIT AND ISC", Allowed},
		{"deny only", Policy{Deny: []string{"GPL-3.0-only"}}, "GPL-3.0-only", Denied},
		{"deny only, other allowed", Policy{Deny: []string{"GPL-3.0-only"}}, "MIT", Allowed},
		{"deny only, OR escape", Policy{Deny: []string{"GPL-3.0"}}, "GPL-3.0-only OR MIT", Allowed},
		{"deny beats allow", Policy{Allow: []string{"MIT"}, Deny: []string{"MIT"}}, "MIT", Denied},
		{"plus equals or-later", Policy{Allow: []string{"GPL-2.0-or-later"}}, "GPL-2.0+", Allowed},
		{"or-later allow covers plus", Policy{Allow: []string{"GPL-2.0+"}}, "GPL-2.0-or-later", Allowed},
		{"only is not or-later", Policy{Allow: []string{"GPL-2.0-or-later"}}, "GPL-2.0-only", Denied},
		{"WITH unit allowed", Policy{Allow: []string{"GPL-2.0-only WITH Classpath-exception-2.0"}}, "GPL-2.0 WITH Classpath-exception-2.0", Allowed},
		{"WITH unit does not allow the bare license", Policy{Allow: []string{"GPL-2.0-only WITH Classpath-exception-2.0"}}, "GPL-2.0-only", Denied},
		{"WITH allowed through its base", Policy{Allow: []string{"Apache-2.0"}}, "Apache-2.0 WITH LLVM-exception", Allowed},
		{"WITH denied through its base", Policy{Deny: []string{"GPL-2.0-only"}}, "GPL-2.0-only WITH Classpath-exception-2.0", Denied},
		{"WITH unit allowed despite its base denied", Policy{Allow: []string{"GPL-2.0-only WITH Classpath-exception-2.0"}, Deny: []string{"GPL-2.0-only"}}, "GPL-2.0-only WITH Classpath-exception-2.0", Allowed},
		{"unknown leaf decides nothing", Policy{Allow: []string{"MIT"}}, "Frobnicate", Unknown},
		{"unknown OR allowed", Policy{Allow: []string{"MIT"}}, "Frobnicate OR MIT", Allowed},
		{"unknown AND denied", Policy{Allow: []string{"MIT"}}, "Frobnicate AND ISC", Denied},
		{"unknown AND allowed", Policy{Allow: []string{"MIT"}}, "Frobnicate AND MIT", Unknown},
		{"no policy", Policy{}, "MIT AND ISC", Allowed},
		{"LicenseRef on the list", Policy{Allow: []string{"LicenseRef-Acme"}}, "LicenseRef-Acme", Allowed},
		{"case-insensitive ids", Policy{Allow: []string{"apache-2.0"}}, "APACHE-2.0", Allowed},
	}
	for _, tt := range tests {
		cp, err := tt.pol.Compile()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		e, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := cp.Evaluate(e); got != tt.want {
			t.Errorf("%s: %q = %v, want %v", tt.name, tt.expr, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Policy{Allow: []string{"MIT", "Apache2", "MIT OR ISC"}}.Compile()
	if err == nil || !strings.Contains(err.Error(), "did you mean Apache-2.0") || !strings.Contains(err.Error(), "not expressions") {
		t.Errorf("err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	cp, err := Policy{Allow: []string{"MIT"}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lic     string
		verdict Verdict
		problem string
	}{
		{"MIT", Allowed, ""},
		{"", Unknown, "no license found"},
		{"Apache 2.0", Unknown, "not an SPDX expression (did you mean Apache-2.0?)"},
		{"Apache2", Unknown, `"Apache2" is not a known SPDX id (did you mean Apache-2.0?)`},
		{"ISC AND MIT", Denied, "not allowed: ISC"},
	}
	for _, tt := range tests {
		r := cp.Check(Answer{License: tt.lic})
		if r.Verdict != tt.verdict || r.Problem != tt.problem {
			t.Errorf("%q: %v %q, want %v %q", tt.lic, r.Verdict, r.Problem, tt.verdict, tt.problem)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it prints parses
// back to the same expression.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"MIT", "MIT OR Apache-2.0", "(MIT AND ISC) OR GPL-2.0+ WITH Classpath-exception-2.0", "LicenseRef-x", "a/b", "((", "mit and or"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		out := e.String()
		e2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", s, out, err)
		}
		if e2.String() != out {
			t.Fatalf("Parse(%q) printed %q, which reprints as %q", s, out, e2.String())
		}
		cp, _ := Policy{Allow: []string{"MIT"}}.Compile()
		cp.Evaluate(e)
	})
}
