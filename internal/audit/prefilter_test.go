package audit

import (
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
		res := &workerResult{ecosystems: map[string]int{}, unsupported: map[string]int{}}
		r, err := decodeWanted([]byte(tt.rec), want, loose, res)
		if (r != nil) != tt.keep || (err != nil) != tt.err {
			t.Errorf("%s: kept %v err %v, want kept %v err %v", tt.rec, r != nil, err, tt.keep, tt.err)
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
			res := &workerResult{ecosystems: map[string]int{}, unsupported: map[string]int{}}
			got, err := decodeWanted(data, want, loose, res)
			if err != nil || got == nil {
				t.Fatalf("record naming %s/%s dropped (err %v)", eco, a.Package.Name, err)
			}
		}
	})
}
