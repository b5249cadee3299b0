package semver

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		err  string
	}{
		{in: "1.2.3", want: Version{Major: 1, Minor: 2, Patch: 3}},
		{in: "v1.2.3", want: Version{Major: 1, Minor: 2, Patch: 3}},
		{in: "0.0.0-rc.1+build.5", want: Version{Pre: "rc.1", Build: "build.5"}},
		{in: "1.0.0-alpha-1", want: Version{Major: 1, Pre: "alpha-1"}},
		{in: "1.0.0+001", want: Version{Major: 1, Build: "001"}},
		{in: "1.2", err: "byte 3: expected '.'"},
		{in: "01.2.3", err: "byte 0: expected a number without leading zeros"},
		{in: "1.2.3-01", err: "byte 6: expected a numeric identifier without leading zeros"},
		{in: "1.2.3-", err: "byte 6: expected an identifier"},
		{in: "1.2.3 ", err: "byte 5: expected end of version"},
		{in: "", err: "byte 0: expected a number"},
		{in: "9007199254740992.0.0", err: "expected a number at most"},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseVersion(%q) error = %v, want containing %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseVersion(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	// Ascending per semver 2.0 §11.
	order := []string{
		"0.0.0-0", "0.0.0", "1.0.0-0", "1.0.0-0.0", "1.0.0-1", "1.0.0-2", "1.0.0-10",
		"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1-0", "1.0.1",
		"1.1.0", "1.10.0", "2.0.0",
	}
	for i := range order {
		for j := range order {
			a, b := MustParseVersion(order[i]), MustParseVersion(order[j])
			want := cmpUint(uint64(i), uint64(j))
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if Compare(MustParseVersion("1.0.0+a"), MustParseVersion("1.0.0+b")) != 0 {
		t.Error("build metadata must not affect ordering")
	}
}

func TestParseConstraint(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical String
		yes  []string
		no   []string
	}{
		{in: "^1.2.3", want: "^1.2.3", yes: []string{"1.2.3", "1.9.9"}, no: []string{"2.0.0", "2.0.0-0", "1.2.2", "1.5.0-beta"}},
		{in: "^0.2.3", want: "^0.2.3", yes: []string{"0.2.3", "0.2.9"}, no: []string{"0.3.0", "0.3.0-0", "0.2.2"}},
		{in: "^0.0.3", want: "0.0.3", yes: []string{"0.0.3"}, no: []string{"0.0.4", "0.0.3-1"}},
		{in: "^0.0", want: "<0.1.0", yes: []string{"0.0.9"}, no: []string{"0.1.0"}},
		{in: "^0", want: "<1.0.0", yes: []string{"0.9.0"}, no: []string{"1.0.0"}},
		{in: "^1.2.3-beta.2", want: "^1.2.3-beta.2", yes: []string{"1.2.3-beta.2", "1.2.3-beta.3", "1.2.3", "1.3.0"}, no: []string{"1.2.3-beta.1", "1.2.4-beta", "2.0.0"}},
		{in: "~1", want: "^1.0.0", yes: []string{"1.0.0", "1.9.0"}, no: []string{"2.0.0-0", "2.0.0"}},
		{in: "~1.2", want: "~1.2.0", yes: []string{"1.2.0", "1.2.9"}, no: []string{"1.3.0"}},
		{in: "~1.2.3", want: "~1.2.3", yes: []string{"1.2.3", "1.2.9"}, no: []string{"1.3.0", "1.2.2"}},
		{in: "1.x", want: "^1.0.0", yes: []string{"1.0.0"}, no: []string{"2.0.0"}},
		{in: "1.2.*", want: "~1.2.0", yes: []string{"1.2.7"}, no: []string{"1.3.0"}},
		{in: "*", want: "*", yes: []string{"0.0.0", "99.0.0"}, no: []string{"1.0.0-rc.1"}},
		{in: "", want: "*", yes: []string{"1.0.0"}},
		{in: "x", want: "*", yes: []string{"1.0.0"}},
		{in: "1.2 - 2.3.4", want: ">=1.2.0, <2.3.5", yes: []string{"1.2.0", "2.3.4"}, no: []string{"2.3.5", "1.1.9"}},
		{in: "1.2.3 - 2", want: ">=1.2.3, <3.0.0", yes: []string{"2.9.9"}, no: []string{"3.0.0-0"}},
		{in: "* - 2", want: "<3.0.0", yes: []string{"0.0.0"}, no: []string{"3.0.0"}},
		{in: ">=1.2.0, <1.5.0", want: ">=1.2.0, <1.5.0", yes: []string{"1.4.9"}, no: []string{"1.5.0"}},
		{in: ">=1.2.0 <1.5.0", want: ">=1.2.0, <1.5.0"},
		{in: ">= 1.2.0 ,<1.5.0", want: ">=1.2.0, <1.5.0"},
		{in: ">1.2.3", want: ">=1.2.4", yes: []string{"1.2.4"}, no: []string{"1.2.3", "1.2.4-0"}},
		{in: ">1.2", want: ">=1.3.0"},
		{in: ">1", want: ">=2.0.0"},
		{in: "<1.2", want: "<1.2.0", no: []string{"1.2.0-0"}},
		{in: "<=1.2", want: "<1.3.0"},
		{in: "<=1.2.3", want: "<1.2.4"},
		{in: "=1.2.3", want: "1.2.3"},
		{in: "v1.2.3", want: "1.2.3"},
		{in: "1.2.3+build", want: "1.2.3", yes: []string{"1.2.3+other"}},
		{in: ">*", want: "<none>"},
		{in: "<0.0.0", want: "<none>"},
		{in: "^1.0.0 || ^3.0.0", want: "^1.0.0 || ^3.0.0"},
		{in: "^1.0.0 || ^2.0.0", want: ">=1.0.0, <3.0.0"},
		{in: "^1.0.0 || ^1.5.0", want: "^1.0.0"},
		{in: "1.0.0 || 1.0.1", want: ">=1.0.0, <1.0.2"},
		{in: ">=1.0.0 <2.0.0-beta", want: ">=1.0.0, <2.0.0-beta", yes: []string{"2.0.0-alpha", "1.5.0"}, no: []string{"2.0.0-beta", "1.5.0-x"}},
		{in: ">=1.0.0-rc.1 <1.0.0", want: ">=1.0.0-rc.1, <1.0.0", yes: []string{"1.0.0-rc.2"}, no: []string{"1.0.0"}},
		{in: "1.0.0-rc.1", want: "1.0.0-rc.1", yes: []string{"1.0.0-rc.1"}, no: []string{"1.0.0"}},
		{in: ">=1.0.0-rc.1", want: ">=1.0.0-rc.1", yes: []string{"1.0.0-rc.1", "5.0.0"}, no: []string{"1.0.1-rc.1"}},
	}
	for _, tt := range tests {
		s, err := ParseConstraint(tt.in)
		if err != nil {
			t.Errorf("ParseConstraint(%q): %v", tt.in, err)
			continue
		}
		if got := s.String(); tt.want != "" && got != tt.want {
			t.Errorf("ParseConstraint(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		for _, v := range tt.yes {
			if !s.Contains(MustParseVersion(v)) {
				t.Errorf("%q should contain %s", tt.in, v)
			}
		}
		for _, v := range tt.no {
			if s.Contains(MustParseVersion(v)) {
				t.Errorf("%q should not contain %s", tt.in, v)
			}
		}
		if s.IsEmpty() {
			continue
		}
		back, err := ParseConstraint(s.String())
		if err != nil || !back.Equal(s) {
			t.Errorf("round trip of %q via %q: %v, %v", tt.in, s.String(), back, err)
		}
	}
}

func TestParseConstraintErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"^1.2.3.4", `at byte 6: expected whitespace, ',', '||' or end of constraint, found ".4"`},
		{">=1.0.0,", "at byte 8: expected a comparator after ','"},
		{">=1.0.0,,<2", "at byte 8: expected a comparator after ','"},
		{"foo", "at byte 0: expected a number, 'x' or '*'"},
		{"1.x.3", "at byte 4: expected 'x' or '*' after a wildcard component"},
		{"1.2-beta", "at byte 3: expected a full MAJOR.MINOR.PATCH"},
		{"^1.0.0 ||", "at byte 9: expected a comparator"},
		{"|| ^1", "at byte 0: expected a comparator"},
		{"^1 || || ^2", "at byte 6: expected a comparator"},
		{">=", "at byte 2: expected a number"},
		{"1.0.0 - 2.0.0 - 3.0.0", "expected '||' or end of constraint after a hyphen range"},
	}
	for _, tt := range tests {
		_, err := ParseConstraint(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConstraint(%q) error = %v, want containing %q", tt.in, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("error %q does not name the input", err)
		}
	}
}

// randomSet builds a set from random constraint text over a small version
// space, so that the algebra laws are exercised on overlapping sets.
func randomConstraint(r *rand.Rand) string {
	n := 1 + r.IntN(3)
	var clauses []string
	for range n {
		switch r.IntN(8) {
		case 0:
			clauses = append(clauses, "*")
		case 1:
			clauses = append(clauses, randomVersion(r).String()+" - "+randomVersion(r).String())
		default:
			k := 1 + r.IntN(2)
			var cmps []string
			for range k {
				ops := []string{"^", "~", ">=", ">", "<", "<=", "=", ""}
				cmps = append(cmps, ops[r.IntN(len(ops))]+randomVersion(r).String())
			}
			clauses = append(clauses, strings.Join(cmps, " "))
		}
	}
	return strings.Join(clauses, " || ")
}

func randomVersion(r *rand.Rand) Version {
	v := Version{Major: uint64(r.IntN(3)), Minor: uint64(r.IntN(3)), Patch: uint64(r.IntN(3))}
	pres := []string{"", "", "", "0", "alpha", "alpha.1", "beta", "1"}
	v.Pre = pres[r.IntN(len(pres))]
	return v
}

func TestSetAlgebraLaws(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var probes []Version
	for ma := range 4 {
		for mi := range 4 {
			for pa := range 4 {
				for _, pre := range []string{"", "0", "alpha", "alpha.0", "alpha.1", "beta", "1", "1.0"} {
					probes = append(probes, Version{Major: uint64(ma), Minor: uint64(mi), Patch: uint64(pa), Pre: pre})
				}
			}
		}
	}
	for i := 0; i < 3000; i++ {
		a := MustParseConstraint(randomConstraint(r))
		b := MustParseConstraint(randomConstraint(r))
		na, nb := a.Complement(), b.Complement()
		check := func(name string, ok bool) {
			if !ok {
				t.Fatalf("%s fails for A=%s B=%s", name, a, b)
			}
		}
		check("A∩¬A=∅", a.Intersect(na).IsEmpty())
		check("A∪¬A=any", a.Union(na).IsAny())
		check("¬¬A=A", na.Complement().Equal(a))
		check("De Morgan ∩", a.Intersect(b).Complement().Equal(na.Union(nb)))
		check("De Morgan ∪", a.Union(b).Complement().Equal(na.Intersect(nb)))
		check("∩ commutes", a.Intersect(b).Equal(b.Intersect(a)))
		check("∪ commutes", a.Union(b).Equal(b.Union(a)))
		check("subset ⇔ A∩B=A", a.IsSubset(b) == a.Intersect(b).Equal(a))
		check("disjoint ⇔ A∩B=∅", a.IsDisjoint(b) == a.Intersect(b).IsEmpty())
		check("A∩B ⊆ A", a.Intersect(b).IsSubset(a))
		check("A ⊆ A∪B", a.IsSubset(a.Union(b)))
		if str := a.String(); !a.IsEmpty() && !strings.Contains(str, "pre-release") {
			check("String round trip", MustParseConstraint(str).Equal(a))
		}
		inter, uni, diff := a.Intersect(b), a.Union(b), a.Difference(b)
		for _, v := range probes {
			ca, cb := a.Contains(v), b.Contains(v)
			if inter.Contains(v) != (ca && cb) || uni.Contains(v) != (ca || cb) ||
				na.Contains(v) == ca || diff.Contains(v) != (ca && !cb) {
				t.Fatalf("Contains(%s) disagrees with set ops for A=%s B=%s", v, a, b)
			}
		}
	}
}

func TestExactAndFull(t *testing.T) {
	v := MustParseVersion("1.2.3-rc.1+meta")
	e := Exact(v)
	if !e.Contains(MustParseVersion("1.2.3-rc.1")) || e.Contains(MustParseVersion("1.2.3-rc.2")) || e.String() != "1.2.3-rc.1" {
		t.Errorf("Exact(%s) = %s", v, e)
	}
	if !Full().IsAny() || Releases().IsAny() || Full().String() != "any" {
		t.Error("Full/Releases")
	}
	if Releases().Contains(MustParseVersion("1.0.0-0")) || !Full().Contains(MustParseVersion("1.0.0-0")) {
		t.Error("Releases must hold no pre-release; Full every one")
	}
	if got := MustParseConstraint("^1.0.0").Complement().String(); got != "<1.0.0 || >=2.0.0 || any pre-release" {
		t.Errorf("complement rendering = %q", got)
	}
}

func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"^1.2.3", "~1", "1.x || >=2.0.0-rc.1 <2.0.0", "1.2 - 2.3.4", ">=1, <2", "*", "", "1.2.3-beta+b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseConstraint(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(s) || se.Expected == "" {
				t.Fatalf("bad error for %q: %v", s, err)
			}
			return
		}
		if !set.Intersect(set.Complement()).IsEmpty() || !set.Union(set.Complement()).IsAny() {
			t.Fatalf("complement laws fail for %q = %s", s, set)
		}
		if str := set.String(); !set.IsEmpty() && !strings.Contains(str, "pre-release") {
			back, err := ParseConstraint(str)
			if err != nil || !back.Equal(set) {
				t.Fatalf("%q renders as %q which parses to %v (%v)", s, str, back, err)
			}
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.2.3", "v0.0.0-rc.1+b", "1.0.0-0.a-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err != nil {
			return
		}
		back, err := ParseVersion(v.String())
		if err != nil || back != v {
			t.Fatalf("%q → %s → %v, %v", s, v, back, err)
		}
	})
}

func TestRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 2000; i++ {
		set := MustParseConstraint(randomConstraint(r))
		var vs []Version
		for _, v := range []string{"0.0.0", "0.1.0", "0.1.1", "1.0.0-alpha", "1.0.0", "1.1.0", "1.2.0-0", "1.2.0", "2.0.0", "2.2.2"} {
			pv := MustParseVersion(v)
			if (i%2 == 0 || pv.Pre == "") && r.IntN(4) > 0 {
				vs = append(vs, pv)
			}
		}
		got := make([]bool, len(vs))
		prev := -1
		set.Runs(vs, func(lo, hi int) {
			if lo >= hi || lo < prev {
				t.Fatalf("runs empty or not increasing: [%d, %d) after %d", lo, hi, prev)
			}
			prev = hi
			for k := lo; k < hi; k++ {
				got[k] = true
			}
		})
		for k, v := range vs {
			if got[k] != set.Contains(v) {
				t.Fatalf("Runs disagrees with Contains(%s) for %s over %v", v, set, vs)
			}
		}
	}
}

func TestTextMarshalling(t *testing.T) {
	type doc struct {
		V Version `json:"v"`
		S Set     `json:"s"`
	}
	in := doc{V: MustParseVersion("1.2.3-rc.1+b"), S: MustParseConstraint(">=1.2.0 <1.5.0 || ^3")}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"v":"1.2.3-rc.1+b","s":"\u003e=1.2.0, \u003c1.5.0 || ^3.0.0"}` {
		t.Errorf("json = %s", data)
	}
	var back doc
	if err := json.Unmarshal(data, &back); err != nil || back.V != in.V || !back.S.Equal(in.S) {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"s":"^1.2.3.4"}`), &back); err == nil {
		t.Error("a bad constraint must not unmarshal")
	}
}

// TestSetKey checks Key's contract: a Set and its copies share a Key;
// Sets holding different versions never do.
func TestSetKey(t *testing.T) {
	a := MustParseConstraint("^1.2.0")
	b := a
	if a.Key() != b.Key() {
		t.Error("a copy of a Set has another Key")
	}
	sets := []Set{{}, a, MustParseConstraint("^1.2.0 || 3.0.0-rc.1"), MustParseConstraint("~1.2.0"), Full(), Releases()}
	for i := range sets {
		for j := range sets {
			if i != j && !sets[i].Equal(sets[j]) && sets[i].Key() == sets[j].Key() {
				t.Errorf("%q and %q hold different versions but share a Key", sets[i], sets[j])
			}
		}
	}
	if e1, e2 := a.Intersect(MustParseConstraint("^2")), MustParseConstraint("<0.0.0"); !e1.IsEmpty() || !e2.IsEmpty() || e1.Key() != e2.Key() {
		t.Error("two empty Sets have different Keys")
	}
}

// TestExactIsCanonical checks that Exact builds the canonical form that
// normalising [v, succ(v)) gives.
func TestExactIsCanonical(t *testing.T) {
	for _, s := range []string{"0.0.0", "1.2.3", "1.2.3+build", "1.0.0-rc.1", "9007199254740991.0.5", "2.0.9007199254740991"} {
		v := MustParseVersion(s)
		v.Build = ""
		want := Set{rel: normRel([]span{{lo: v, hi: succ(v)}})}
		if v.Pre != "" {
			want = Set{pre: normPre([]span{{lo: v, hi: succ(v)}})}
		}
		got := Exact(MustParseVersion(s))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Exact(%s) = %#v, want %#v", s, got, want)
		}
	}
}

// TestWritten: a parsed constraint remembers how it was written (spacing
// collapsed); anything computed from it renders canonically.
func TestWritten(t *testing.T) {
	for _, tc := range []struct{ in, written, canonical string }{
		{"~0.3.0", "~0.3.0", "^0.3.0"},
		{">=1.0  <2", ">=1.0 <2", "^1.0.0"},
		{"^1.2", "^1.2", "^1.2.0"},
		{"  1.x || 3.0.0 ", "1.x || 3.0.0", "^1.0.0 || 3.0.0"},
	} {
		s := MustParseConstraint(tc.in)
		if got := s.Written(); got != tc.written {
			t.Errorf("ParseConstraint(%q).Written() = %q, want %q", tc.in, got, tc.written)
		}
		if got := s.String(); got != tc.canonical {
			t.Errorf("ParseConstraint(%q).String() = %q, want %q", tc.in, got, tc.canonical)
		}
		if got := s.Intersect(Releases()).Written(); got != tc.canonical {
			t.Errorf("derived set of %q: Written() = %q, want the canonical %q", tc.in, got, tc.canonical)
		}
	}
	if got := Releases().Written(); got != Releases().String() {
		t.Errorf("Releases().Written() = %q", got)
	}
}
