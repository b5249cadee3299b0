package linkpath

import (
	"fmt"
	"testing"
)

func TestWithin(t *testing.T) {
	// The chain from the adversarial test: each link alone looks harmless
	// to a lexical check, together they climb out.
	chain := map[string]string{"sub/up": ".."}
	prev := "up"
	for i := 1; i <= 12; i++ {
		name := fmt.Sprintf("sub/u%d", i)
		chain[name] = prev + "/.."
		prev = fmt.Sprintf("u%d", i)
	}
	cases := []struct {
		name        string
		links       map[string]string
		dir, target string
		ok          bool
	}{
		{"sibling", nil, "a", "../b", true},
		{"inside", nil, "a/b", "../../c", true},
		{"climbs", nil, "a", "../../x", false},
		{"absolute", nil, ".", "/etc", false},
		{"through link to root", map[string]string{"d/a": ".."}, "d", "a/x", true},
		{"through link then up", map[string]string{"d/a": ".."}, "d", "a/..", false},
		{"chain", chain, "bin", "../sub/u12/x", false},
		{"through absolute link", map[string]string{"l": "/etc"}, ".", "l/passwd", false},
		{"loop", map[string]string{"a": "b", "b": "a"}, ".", "a/x", false},
	}
	for _, c := range cases {
		err := Within(c.links, c.dir, c.target)
		if (err == nil) != c.ok {
			t.Errorf("%s: Within(%q, %q) = %v, want ok=%v", c.name, c.dir, c.target, err, c.ok)
		}
	}
}

func FuzzWithin(f *testing.F) {
	f.Add("sub", "up/..", "../sub/up/..")
	f.Add("a", "..", "a/../x")
	f.Fuzz(func(t *testing.T, dir, link, target string) {
		// Must not panic or loop, whatever it is given.
		_ = Within(map[string]string{dir: link}, dir, target)
	})
}
