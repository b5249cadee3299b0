package ecosystem

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// uvFastSame checks that when fastUVLock accepts data, the TOML library
// decodes it without error to the same lock.
func uvFastSame(t *testing.T, data []byte) (accepted bool) {
	t.Helper()
	fast, ok := fastUVLock(data)
	if !ok {
		return false
	}
	var slow uvLock
	if _, err := toml.Decode(string(data), &slow); err != nil {
		t.Fatalf("fast path accepted what TOML rejects (%v):\n%q", err, data)
	}
	if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("fast path differs from TOML (-toml +fast):\n%s\ninput %q", diff, data)
	}
	return true
}

const uvLite = `version = 1
revision = 3
requires-python = ">=3.10"
resolution-markers = [
    "python_full_version >= '3.12'", # a comment
    "python_full_version < '3.12'",
]

[manifest]
members = ["app", "lib"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "idna", marker = "sys_platform == 'win32'" },
    { name = "lib", extra = ["x"] },
]

[package.optional-dependencies]
socks = [{ name = "pysocks" }]

[package.dev-dependencies]
dev = []

[package.metadata]
requires-dist = [{ name = "idna", specifier = ">=3" }]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8" }]

[[package]]
name = "idna"
version = "3.7"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://x/idna.tar.gz", hash = "sha256:00", size = 189575, upload-time = "2024-04-11T03:34:43.276Z" }
wheels = [
    { url = "https://x/idna.whl", hash = "sha256:01", size = 66836 },
]

[[package]]
name = "flag"
version = "1"
source = { registry = "r" }
optional = true
empty = {}
`

func TestFastUVLock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		accept bool
	}{
		{"full", uvLite, true},
		{"empty", "", true},
		{"no final newline", "version = 1\n[[package]]\nname = \"a\"", true},
		{"aot of deps", "version = 1\n[[package]]\nname = \"a\"\n[[package.dependencies]]\nname = \"b\"\n", true},
		{"implicit then explicit table", "[a.b]\nx = 1\n[a]\ny = 2\n", true},
		// Left to the TOML decoder:
		{"escaped quote and backslash", "[[package]]\nname = \"a\\\"b\\\\c\"\nversion = \"\\\"\"\n", true},
		{"escape", "[[package]]\nname = \"a\\tb\"\n", false},
		{"escape at end", "x = \"a\\", false},
		{"literal string", "[[package]]\nname = 'a'\n", false},
		{"multi-line string", "x = \"\"\"a\"\"\"\n", false},
		{"float", "x = 1.5\n", false},
		{"date", "x = 1979-05-27\n", false},
		{"underscore int", "x = 1_000\n", false},
		{"negative", "x = -1\n", false},
		{"leading zero", "x = 01\n", false},
		{"dotted key", "a.b = 1\n", false},
		{"duplicate key", "x = 1\nx = 2\n", false},
		{"duplicate table", "[a]\n[a]\n", false},
		{"table after values", "[a]\nx = 1\n[a]\n", false},
		{"extend inline table", "a = {x = 1}\n[a.b]\n", false},
		{"append to static array", "a = []\n[[a]]\n", false},
		{"table then aot", "[a]\n[[a]]\n", false},
		{"newline in inline table", "a = {x = 1,\ny = 2}\n", false},
		{"trailing comma in inline table", "a = {x = 1,}\n", false},
		{"upper-case key", "[[package]]\nName = \"a\"\n", false},
		{"wrong type", "[[package]]\nname = 1\n", false},
		{"version string", "version = \"1\"\n", false},
		{"package table", "[package]\nname = \"a\"\n", false},
		{"dependencies string", "[[package]]\ndependencies = \"a\"\n", false},
		{"truncated array", "x = [1,\n", false},
		{"truncated inline", "x = {a = 1", false},
		{"truncated header", "[[package", false},
		{"crlf", "x = 1\r\n", false},
		{"invalid utf-8", "x = \"\xff\"\n", false},
		{"too deep", "x = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", false},
		{"truex", "x = truex\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := uvFastSame(t, []byte(tc.in)); got != tc.accept {
				t.Errorf("accepted = %v, want %v", got, tc.accept)
			}
		})
	}
}

// TestUVFallbackErrors checks that truncated or hostile uv.lock files
// still fail naming the file and line.
func TestUVFallbackErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"truncated inline table", "version = 1\n[[package]]\nname = \"a\"\nsource = { registry = \"x\"", "uv.lock:4: invalid TOML"},
		{"truncated array", "version = 1\n[[package]]\nname = \"a\"\ndependencies = [\n { name = \"b\" },\n", "uv.lock:"},
		{"duplicate key", "version = 1\n[[package]]\nname = \"a\"\nname = \"b\"\n", "uv.lock:4: invalid TOML"},
		{"wrong type", "version = 1\n[[package]]\nname = 1\n", "uv.lock:"},
		{"bad version", "version = 2\n", "uv.lock:1: uv.lock version 2"},
		{"empty name", "version = 1\n\n[[package]]\nversion = \"1\"\n", "uv.lock:3: [[package]] #1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile(ManagerUV, "uv.lock", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFastUVLockLarge(t *testing.T) {
	if !uvFastSame(t, largeFixture(t, "uv-pydantic/uv.lock")) {
		t.Error("fast path did not accept uv-pydantic/uv.lock")
	}
}

// FuzzFastUVLock checks that whatever the fast path accepts, the TOML
// library reads the same way, and that parsing never panics.
func FuzzFastUVLock(f *testing.F) {
	f.Add(uvLite)
	f.Add("[a.b]\nx = [1, {y = true}]\n[[a.c]]\n")
	f.Fuzz(func(t *testing.T, in string) {
		uvFastSame(t, []byte(in))
		_, _ = ParseFile(ManagerUV, "uv.lock", []byte(in))
	})
}

// FuzzTOMLLite checks that whatever tomlLite accepts, the TOML library
// accepts too and decodes to the same values.
func FuzzTOMLLite(f *testing.F) {
	f.Add(uvLite)
	f.Add(cargoSmall)
	f.Add("[a.b]\nx = [1, {y = true}, \"s\"]\n[[a.c]]\nz = false\n[a]\nw = 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		root, ok := tomlLite([]byte(in))
		if !ok {
			return
		}
		var slow map[string]any
		if _, err := toml.Decode(in, &slow); err != nil {
			t.Fatalf("tomlLite accepted what TOML rejects (%v):\n%q", err, in)
		}
		if diff := cmp.Diff(slow, liteAny(root), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("tomlLite differs from TOML (-toml +lite):\n%s\ninput %q", diff, in)
		}
	})
}

// poetryFastSame checks that when fastPoetryLock accepts data, the TOML
// library decodes it without error to the same lock.
func poetryFastSame(t *testing.T, data []byte) (accepted bool) {
	t.Helper()
	fast, ok := fastPoetryLock(data)
	if !ok {
		return false
	}
	var slow poetryLock
	if _, err := toml.Decode(string(data), &slow); err != nil {
		t.Fatalf("fast path accepted what TOML rejects (%v):\n%q", err, data)
	}
	if diff := cmp.Diff(slow, fast, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("fast path differs from TOML (-toml +fast):\n%s\ninput %q", diff, data)
	}
	return true
}

func TestFastPoetryLock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		accept bool
	}{
		{"small", poetrySmall, true},
		{"description with quotes", "[[package]]\nname = \"a\"\nversion = \"1\"\ndescription = \"the \\\"a\\\" package\"\noptional = true\ngroups = [\"main\", \"dev\"]\n\n[package.dependencies]\nb = \">=1\"\nc = {version = \"2\", optional = true}\nd = [{version = \"1\", markers = \"x\"}, {version = \"2\"}]\n\n[package.source]\ntype = \"git\"\nurl = \"u\"\n", true},
		{"optional not bool", "[[package]]\nname = \"a\"\noptional = \"yes\"\n", false},
		{"groups not strings", "[[package]]\nname = \"a\"\ngroups = [1]\n", false},
		{"dependencies array", "[[package]]\nname = \"a\"\ndependencies = [\"b\"]\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := poetryFastSame(t, []byte(tc.in)); got != tc.accept {
				t.Errorf("accepted = %v, want %v", got, tc.accept)
			}
		})
	}
}

// TestPoetryFallbackErrors checks that truncated or hostile poetry.lock
// files still fail naming the file and line.
func TestPoetryFallbackErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"truncated string", "[[package]]\nname = \"a\"\nversion = \"1", "poetry.lock:3: invalid TOML"},
		{"bad escape", "[[package]]\nname = \"a\\q\"\n", "poetry.lock:2: invalid TOML"},
		{"wrong type", "[[package]]\nname = \"a\"\nversion = \"1\"\noptional = \"yes\"\n", "poetry.lock:"},
		{"empty version", "\n[[package]]\nname = \"a\"\n", "poetry.lock:2: [[package]] #1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFile(ManagerPoetry, "poetry.lock", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestFastPoetryLockLarge(t *testing.T) {
	if !poetryFastSame(t, largeFixture(t, "poetry-poetry/poetry.lock")) {
		t.Error("fast path did not accept poetry-poetry/poetry.lock")
	}
}

// FuzzFastPoetryLock checks that whatever the fast path accepts, the TOML
// library reads the same way, and that parsing never panics.
func FuzzFastPoetryLock(f *testing.F) {
	f.Add(poetrySmall)
	f.Fuzz(func(t *testing.T, in string) {
		poetryFastSame(t, []byte(in))
		_, _ = ParseFile(ManagerPoetry, "poetry.lock", []byte(in))
	})
}
