package audit

import (
	"slices"
	"strings"
	"testing"
)

func TestPrefilter(t *testing.T) {
	want := Wanted{}
	want.Add("npm", "@scope/pkg")
	want.Add("PyPI", "Zope.Interface")
	loose := map[string]bool{}
	for _, names := range want {
		for n := range names {
			loose[looseName(n)] = true
		}
	}
	tests := []struct {
		rec  string
		keep bool
		err  bool
	}{
		{`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"@scope/pkg"}}]}`, true, false},
		{`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"\u0040scope/pkg"}}]}`, true, false},
		{`{"id":"A","affected":[{"package":{"ecosystem" : "PyPI", "name" : "zope_interface"}}]}`, true, false},
		{`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"other"}}],"credits":[{"name":"@scope/pkg"}]}`, false, false},
		{`{"id":"A","affected":[{"package":{"ecosystem":"PyPI","name":"@scope/pkg"}}]}`, false, false},
		{`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"unrelated"}}]}`, false, false},
		{`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"unrel`, false, true},
		{`   `, false, true},
	}
	for _, tt := range tests {
		o := decodeOne([]byte(tt.rec), want, loose, false)
		if (o.rec != nil) != tt.keep || (o.problem != "") != tt.err {
			t.Errorf("%s: kept %v problem %q, want kept %v problem %v", tt.rec, o.rec != nil, o.problem, tt.keep, tt.err)
		}
	}
}

// FuzzPrefilter checks the prefilter never drops a record that names a
// wanted package: whatever ParseRecord reads as affecting a package, the
// cheap scan must keep when that package is wanted.
func FuzzPrefilter(f *testing.F) {
	f.Add([]byte(`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"x"}}]}`))
	f.Add([]byte(`{"id":"A","affected":[{"package":{"name":"Req_uests","ecosystem":"PyPI"}}]}`))
	f.Add([]byte(`{"id":"A","affected":[{"package":{"ecosystem":"Go","name":"a\"b"}}]}`))
	f.Add([]byte(`{"name":"y","id":"A","affected":[{"package":{"ecosystem":"crates.io","name":"\u0078"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		if err != nil {
			return
		}
		for _, a := range r.Affected {
			eco := baseEcosystem(a.Package.Ecosystem)
			if !Supported(eco) || strings.TrimSpace(a.Package.Name) == "" {
				continue
			}
			want := Wanted{}
			want.Add(eco, a.Package.Name)
			loose := map[string]bool{looseName(NormalizeName(eco, a.Package.Name)): true}
			for _, all := range []bool{false, true} {
				o := decodeOne(data, want, loose, all)
				if o.problem != "" || o.rec == nil {
					t.Fatalf("record naming %s/%s dropped (all %v, problem %q)", eco, a.Package.Name, all, o.problem)
				}
				if all && !o.always && !slices.Contains(o.names, looseName(NormalizeName(eco, a.Package.Name))) {
					t.Fatalf("index names %v miss %s/%s", o.names, eco, a.Package.Name)
				}
			}
		}
	})
}
