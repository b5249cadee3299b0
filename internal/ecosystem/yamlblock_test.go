package ecosystem

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
)

// plain turns a ynode into Go values shaped like a YAML library's
// generic decoding, scalars as strings.
func plain(n *ynode) any {
	switch n.kind {
	case yScalar:
		return n.str
	case yMap:
		m := map[string]any{}
		for i, k := range n.keys {
			if _, dup := m[k]; !dup {
				m[k] = plain(n.vals[i])
			}
		}
		return m
	case ySeq:
		s := []any{}
		for _, it := range n.items {
			s = append(s, plain(it))
		}
		return s
	}
	return nil
}

// stringify makes a YAML library's typed scalars comparable with plain's.
func stringify(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = stringify(x)
		}
		return v
	case []any:
		for i, x := range v {
			v[i] = stringify(x)
		}
		return v
	case nil:
		return nil
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func TestYAMLBlockSmall(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"nested", "a:\n  b: c # note\n  'd''e': \"x\\ty\"\n", `map[a:map[b:c d'e:x	y]]`},
		{"flow", "r: {integrity: sha512-x==, tarball: 'https://h/a.tgz'}\nos: [darwin, linux]\n", `map[os:[darwin linux] r:map[integrity:sha512-x== tarball:https://h/a.tgz]]`},
		{"sequence", "a:\n- x\n- k: v\n  l: w\nb:\n  - [1, 2]\n", `map[a:[x map[k:v l:w]] b:[[1 2]]]`},
		{"multi-line quote", "a: \"one\n  two\"\nb: c\n", `map[a:one two b:c]`},
		{"empty values", "a:\nb: {}\nc: []\n", `map[a:<nil> b:map[] c:[]]`},
	} {
		docs, err := parseYAMLDocs("x.yaml", []byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := fmt.Sprint(plain(docs[0])); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestYAMLBlockErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unclosed quote at the end", "a:\n  b: \"cut", `x.yaml:2: unclosed quote (is the file cut short?)`},
		{"unclosed quote before the next key", "a: \"cut\nb: c\n", `x.yaml:1: unclosed quote`},
		{"unclosed key", "\"a@npm:1", `x.yaml:1: unclosed quote in key`},
		{"half key", "a:\n  versio", `x.yaml:2: expected "key: value", got "versio" (is the file cut short?)`},
		{"unclosed flow", "a: {b: c\n", `x.yaml:1: unclosed flow collection`},
		{"indentation", "a: b\n  c: d\n", `x.yaml:2: unexpected indentation`},
		{"anchor", "a: &x b\n", `x.yaml:1: anchors, aliases and tags are not supported`},
		{"block scalar", "a: |\n  b\n", `x.yaml:1: block scalars`},
		{"tab", "a:\n\tb: c\n", `x.yaml:2: a tab in indentation`},
		{"deep", "a: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n", `nested deeper than 64 levels`},
		{"deep block", deepBlock(100), `nested deeper than 64 levels`},
	} {
		_, err := parseYAMLDocs("x.yaml", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

// TestYAMLBlockAgreesWithLibrary reads every yarn berry and pnpm lock file
// of the shared fixtures with both this reader and a full YAML library and
// compares the trees.
func TestYAMLBlockAgreesWithLibrary(t *testing.T) {
	var files []string
	for _, dir := range []string{"lockfiles", "lockfiles-large"} {
		for _, pat := range []string{"*/pnpm-lock.yaml", "*/yarn.lock"} {
			m, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "fixtures", dir, pat))
			files = append(files, m...)
		}
	}
	if len(files) == 0 {
		t.Skip("shared fixtures not present")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "yarn.lock" && !isYarnBerry(data) {
			continue
		}
		if testing.Short() && len(data) > 100_000 {
			continue
		}
		docs, err := parseYAMLDocs(f, data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		dec := yaml.NewDecoder(strings.NewReader(string(data)), yaml.AllowDuplicateMapKey())
		for i := 0; ; i++ {
			var v any
			if err := dec.Decode(&v); err != nil {
				if i != len(docs) {
					t.Errorf("%s: the library read %d documents, this reader %d (%v)", f, i, len(docs), err)
				}
				break
			}
			if i >= len(docs) {
				t.Errorf("%s: the library read more documents than %d", f, len(docs))
				break
			}
			if diff := cmp.Diff(stringify(v), plain(docs[i])); diff != "" {
				t.Errorf("%s document %d: (-library +this):\n%s", f, i+1, diff)
			}
		}
	}
}

// FuzzYAMLBlock: the reader never panics, its errors name the file, and
// what it reads can be walked.
func FuzzYAMLBlock(f *testing.F) {
	for _, s := range []string{pnpmSmall, pnpmTwoDocs, yarnBerry, "a:\n- x\n- k: v\n", "a: \"x\n  y\"\n", "a: {b: [c, 'd''e']}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := parseYAMLDocs("x.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "x.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, d := range docs {
			_ = plain(d)
		}
	})
}
