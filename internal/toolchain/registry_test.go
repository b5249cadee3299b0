package toolchain

import (
	"strings"
	"testing"
)

func TestDefaultRegistry(t *testing.T) {
	reg, err := DefaultRegistry()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(`go node python rust uv jq yq fzf ripgrep fd bat delta lazygit ruff black mypy pytest
		prettier eslint typescript redis-cli sqlite3 terraform kubectl helm aws gcloud azure python-dev node-dev k8s cli-essentials`)
	for _, n := range want {
		if _, ok := reg.Lookup(n); !ok {
			t.Errorf("registry lacks %s", n)
		}
	}
	types := map[string]bool{}
	for _, tl := range reg.Tools() {
		types[tl.Type] = true
		if tl.Versions == SourceGitHub {
			for _, a := range Arches {
				if _, ok := tl.Assets[a]; !ok {
					t.Errorf("%s lacks %s", tl.Name, a)
				}
			}
		}
	}
	for _, ty := range toolTypes {
		if !types[ty] {
			t.Errorf("no entry of type %s", ty)
		}
	}
	if got := reg.Search("kube"); len(got) == 0 || got[0].Name != "kubectl" {
		t.Errorf("search kube: %v", got)
	}
}

func TestLoadRegistryErrors(t *testing.T) {
	gh := "  type: github-binary\n  description: d\n  repo: o/r\n"
	cases := []struct{ doc, want string }{
		{"x:\n  description: d\n  type: binary\n", "r.yaml:3:9: x: unknown type \"binary\""},
		{"x:\n  description: d\n", "x: missing type"},
		{"x:\n  type: apt\n  package: jq\n", "missing description"},
		{"x:\n  description: d\n  type: apt\n  pakage: jq\n", "unknown field \"pakage\""},
		{"x:\n  description: d\n  type: apt\n", "needs a package"},
		{"x:\n  description: d\n  type: npm\n  package: Bad;\n", "invalid character 'B'"},
		{"x:\n" + gh + "  assets:\n    amd64: {file: a}\n  checksum: {github-digest: true}\n", "missing asset for arm64"},
		{"x:\n" + gh + "  assets:\n    amd64: {file: a}\n    arm64: {file: b}\n    ppc: {file: c}\n  checksum: {github-digest: true}\n", "unknown architecture \"ppc\""},
		{"x:\n" + gh + "  assets:\n    amd64: {file: a}\n    arm64: {file: b}\n", "needs checksum"},
		{"x:\n" + gh + "  assets:\n    amd64: {url: \"http://h/a\"}\n    arm64: {file: b}\n  checksum: {github-digest: true}\n", "must be an https URL"},
		{"x:\n" + gh + "  assets:\n    amd64: {file: \"a{arch}\"}\n    arm64: {file: b}\n  checksum: {github-digest: true}\n", "unknown placeholder {arch}"},
		{"x:\n" + gh + "  assets:\n    amd64: {file: a, path: ../../x}\n    arm64: {file: b}\n  checksum: {github-digest: true}\n", "leaves the archive"},
		{"x:\n" + gh + "  assets:\n    amd64: {file: a}\n    arm64: {file: b}\n  checksum:\n    sha256:\n      \"1.0\": {amd64: abc}\n", "64 lowercase hex"},
		{"b:\n  description: d\n  type: bundle\n  tools: [jq]\n", "r.yaml:4:11: b: tools names unknown tool \"jq\""},
		{"jq:\n  description: d\n  type: apt\n  package: jq\nb:\n  description: d\n  type: bundle\n  tools: [jqq]\n", "did you mean"},
		{"x:\n  description: d\n  type: apt\n  package: jq\n  repo: a/b\n", "does not apply to type apt"},
		{"- a\n", "must be a mapping"},
		{"X:\n  description: d\n  type: apt\n  package: jq\n", "invalid tool name"},
	}
	for _, c := range cases {
		_, err := LoadRegistry("r.yaml", []byte(c.doc))
		if err == nil {
			t.Errorf("%q: loaded", c.doc)
			continue
		}
		full := err.Error()
		if h := hintOf(err); h != "" {
			full += " hint: " + h
		}
		if !strings.Contains(full, c.want) {
			t.Errorf("%q: %s, want %q", c.doc, full, c.want)
		}
	}
}

func FuzzLoadRegistry(f *testing.F) {
	f.Add(registryYAML)
	f.Add([]byte("x:\n  description: d\n  type: github-binary\n  repo: o/r\n  assets: {amd64: {file: a}, arm64: {url: \"https://x/{version}\"}}\n  checksum: {file: \"{asset}.sha256\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := LoadRegistry("r.yaml", data)
		if err != nil {
			return
		}
		for _, tl := range reg.Tools() {
			for _, n := range append(append([]string{}, tl.Requires...), tl.Tools...) {
				if _, ok := reg.Lookup(n); !ok {
					t.Fatalf("%s refers to unknown %s", tl.Name, n)
				}
			}
		}
	})
}
