package toolchain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		in                     string
		manager, name, version string
		err                    string
	}{
		{in: "go", name: "go"},
		{in: "go@1.22", name: "go", version: "1.22"},
		{in: "node@lts", name: "node", version: "lts"},
		{in: "node@lts/iron", name: "node", version: "lts/iron"},
		{in: "python@3.11", name: "python", version: "3.11"},
		{in: "python@3.15.0rc1", name: "python", version: "3.15.0rc1"},
		{in: "cli-essentials", name: "cli-essentials"},
		{in: "npm:eslint", manager: "npm", name: "eslint"},
		{in: "npm:eslint@8.0.0", manager: "npm", name: "eslint", version: "8.0.0"},
		{in: "npm:@scope/pkg@8", manager: "npm", name: "@scope/pkg", version: "8"},
		{in: "npm:@types/node", manager: "npm", name: "@types/node"},
		{in: "pip:pytest@7.0.0", manager: "pip", name: "pytest", version: "7.0.0"},
		{in: "pip:requests[socks,security]", manager: "pip", name: "requests[socks,security]"},
		{in: "pip:Django", manager: "pip", name: "Django"},
		{in: "uv:ruff", manager: "uv", name: "ruff"},
		{in: "cargo:ripgrep", manager: "cargo", name: "ripgrep"},
		{in: "cargo:fd-find@10.2.0", manager: "cargo", name: "fd-find", version: "10.2.0"},
		{in: "go:golang.org/x/tools/gopls@latest", manager: "go", name: "golang.org/x/tools/gopls", version: "latest"},
		{in: "go:golang.org/x/tools/gopls@v0.16.2", manager: "go", name: "golang.org/x/tools/gopls", version: "v0.16.2"},
		{in: "go:github.com/user/repo/cmd/tool@1.0.0", manager: "go", name: "github.com/user/repo/cmd/tool", version: "v1.0.0"},

		{in: "npm:eslint;rm -rf /", err: "invalid character ';' at position 11 in npm package name"},
		{in: "node@22; rm -rf /", err: "invalid character ';' at position 8 in version"},
		{in: "node@$(whoami)", err: "invalid character '$' at position 6 in version"},
		{in: "node@>=18", err: "invalid character '>' at position 6 in version"},
		{in: "npm:ESLint", err: "invalid character 'E' at position 5 in npm package name"},
		{in: "npm:.hidden", err: "invalid character '.' at position 5"},
		{in: "npm:@invalid", err: `invalid scoped npm package "@invalid": expected @scope/name`},
		{in: "npm:@scope/a b", err: "invalid character ' ' at position 13"},
		{in: "npm:", err: "missing package name after npm:"},
		{in: "pip:foo==1.0", err: "invalid character '=' at position 8 in Python package name"},
		{in: "pip:-foo", err: "invalid character '-' at position 5"},
		{in: "pip:foo[bar", err: "unclosed '['"},
		{in: "pip:foo[b;r]", err: "invalid character ';' at position 10 in Python package extra"},
		{in: "cargo:foo.bar", err: "invalid character '.' at position 10 in crate name"},
		{in: "cargo:1abc", err: "invalid character '1' at position 7 in crate name"},
		{in: "go:invalid", err: `invalid Go package path "invalid": must be a full module path`},
		{in: "go:fmt", err: "not a standard library package"},
		{in: "go:golang.org/x/tools/gopls@master", err: "invalid Go module version"},
		{in: "go:golang.org/x/$(id)", err: "invalid character '$' at position 17 in Go package path"},
		{in: "", err: "empty tool spec"},
		{in: "@20", err: "missing name before '@'"},
		{in: "go@", err: "missing version after '@'"},
		{in: "Go", err: "invalid character 'G' at position 1 in tool name"},
		{in: "brew:jq", err: `unknown package manager "brew"`},
		{in: "docker:dind", err: `unknown package manager "docker"`},
		{in: "go@1.22\n", err: `invalid character '\n' at position 8 in version`},
		{in: "j q", err: "invalid character ' ' at position 2 in tool name"},
	}
	for _, c := range cases {
		sp, err := ParseSpec(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseSpec(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", c.in, err)
			continue
		}
		if sp.Manager != c.manager || sp.Name != c.name || sp.Version != c.version {
			t.Errorf("ParseSpec(%q) = %+v", c.in, sp)
		}
	}
}

func TestImplies(t *testing.T) {
	cases := map[string]string{"npm:x": "node", "pip:x": "python", "uv:x": "python uv", "cargo:x": "rust", "go:example.com/x": "go", "jq": ""}
	for in, want := range cases {
		sp, err := ParseSpec(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(sp.Implies(), " "); got != want {
			t.Errorf("%s implies %q, want %q", in, got, want)
		}
	}
}

// shellSafe is what a parsed spec may contain: nothing a shell treats specially.
func shellSafe(s string) bool {
	for _, r := range s {
		if !(isAlnum(r) || strings.ContainsRune("@/:._-+~[],", r)) {
			return false
		}
	}
	return true
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"go@1.22", "npm:@scope/pkg@8", "pip:requests[socks]", "go:golang.org/x/tools/gopls@latest", "cargo:fd-find", "npm:eslint;rm -rf /", "node@lts/iron"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if se, ok := err.(*SpecError); ok && se.Pos > len(s)+1 {
				t.Fatalf("position %d beyond %q", se.Pos, s)
			}
			return
		}
		if !utf8.ValidString(sp.Name) || !shellSafe(sp.Name) || !shellSafe(sp.Version) {
			t.Fatalf("unsafe spec accepted: %q -> %+v", s, sp)
		}
		again, err := ParseSpec(sp.String())
		if err != nil || again.Key() != sp.Key() || again.Version != sp.Version {
			t.Fatalf("round trip %q -> %q: %+v %v", s, sp.String(), again, err)
		}
	})
}
