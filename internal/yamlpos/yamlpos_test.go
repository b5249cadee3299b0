package yamlpos

import (
	"context"
	"strings"
	"testing"
)

func TestParsePositions(t *testing.T) {
	src := "a: 1\nb:\n  c: \"x\"\n  d: [p, q]\nlist:\n  - one\n  - two: 2\n"
	n, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != Map || len(n.Keys) != 3 {
		t.Fatalf("got kind %v keys %d", n.Kind, len(n.Keys))
	}
	c := n.Get("b").Get("c")
	if c.Value != "x" || c.Line != 3 || !c.Quoted {
		t.Errorf("c = %+v", c)
	}
	d := n.Get("b").Get("d")
	if d.Kind != Seq || len(d.Values) != 2 || d.Values[1].Value != "q" {
		t.Errorf("d = %+v", d)
	}
	l := n.Get("list")
	if l.Values[1].Kind != Map || l.Values[1].Get("two").Value != "2" || l.Values[1].Line != 7 {
		t.Errorf("list[1] = %+v", l.Values[1])
	}
	if a := n.Get("a"); a.Tag != "int" || a.Line != 1 || a.Col != 4 {
		t.Errorf("a = %+v", a)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"a: 1\na: 2\n", "f.yaml:2:1: invalid YAML: mapping key \"a\" already defined"},
		{"a: [1, 2\n", "f.yaml:"},
		{"a:\n  - b\n c: d\n", "f.yaml:"},
	} {
		_, err := Parse("f.yaml", []byte(tc.src))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want prefix %q", tc.src, err, tc.want)
		}
	}
}

func TestEmpty(t *testing.T) {
	for _, src := range []string{"", "# just a comment\n", "---\n"} {
		n, err := Parse("f", []byte(src))
		if err != nil || n.Kind != Null {
			t.Errorf("Parse(%q) = %+v, %v", src, n, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"repo", "version", "ref", "depends_on", "build"}
	for in, want := range map[string]string{"verison": "version", "dependson": "depends_on", "repos": "repo", "zzzzzz": ""} {
		if got := Suggest(in, keys); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("a: 1\nb: [x, y]\n"))
	f.Add([]byte("&a x: *a\n"))
	f.Add([]byte("a: |\n  text\n"))
	// Deep nesting (issue 15 item 3) and large mappings parsed in chunks.
	f.Add([]byte("setup: " + strings.Repeat("[", 300) + strings.Repeat("]", 300)))
	f.Add([]byte("a: " + strings.Repeat("- ", 300) + "x\n"))
	f.Add([]byte("a:\n  b: 1\n  c: [x,\n    y]\n  'd': &r {e: 1}\n  f: *r\nb:\n- 1\n"))
	f.Add([]byte("a: 1\nb:\n  c: 2\na: 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Parse("f", data)
		if err == nil && n == nil {
			t.Fatal("nil node without error")
		}
		// Parsing in chunks gives the tree the whole parse gives.
		// goccy's parse, whole and in chunks (Parse may have taken the
		// fast path).
		whole, werr := parseNoFastPath(data)
		defer func(c int) { chunkTokens = c }(chunkTokens)
		chunkTokens = 3
		small, serr := parseNoFastPath(data)
		if (err == nil) != (serr == nil) || (werr == nil) != (serr == nil) {
			t.Fatalf("Parse: %v; whole: %v; in chunks: %v", err, werr, serr)
		}
		if err == nil && (!sameTree(n, small) || !sameTree(whole, small)) {
			t.Fatalf("chunked tree differs:\n%s", data)
		}
	})
}

// sameTree compares two trees; the column of an empty value (which goccy
// places by the token that follows it) may differ.
func sameTree(a, b *Node) bool {
	if a.Kind != b.Kind || a.Line != b.Line || a.Value != b.Value || a.Quoted != b.Quoted || a.Tag != b.Tag ||
		len(a.Keys) != len(b.Keys) || len(a.Values) != len(b.Values) {
		return false
	}
	if a.Col != b.Col && !(a.Kind == Null && a.Value == "") {
		return false
	}
	for i := range a.Keys {
		if !sameTree(a.Keys[i], b.Keys[i]) {
			return false
		}
	}
	for i := range a.Values {
		if !sameTree(a.Values[i], b.Values[i]) {
			return false
		}
	}
	return true
}

// parseNoFastPath is Parse without the fast path.
func parseNoFastPath(data []byte) (*Node, error) {
	if err := CheckSize("f", data); err != nil {
		return nil, err
	}
	return parseGoccy(context.Background(), "f", data)
}
