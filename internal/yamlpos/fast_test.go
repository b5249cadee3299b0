package yamlpos

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// identical reports where the trees a and b differ ("" when they do not),
// comparing everything a reader can see: kind, position, value, quoting,
// tag, key order, and the key index of large mappings.
func identical(a, b *Node, path string) string {
	switch {
	case a == nil || b == nil:
		if a != b {
			return path + ": one node is nil"
		}
		return ""
	case a.Kind != b.Kind || a.Line != b.Line || a.Col != b.Col || a.Value != b.Value ||
		a.Quoted != b.Quoted || a.Tag != b.Tag:
		return fmt.Sprintf("%s: %v %d:%d %q quoted=%v tag=%q, want %v %d:%d %q quoted=%v tag=%q", path,
			a.Kind, a.Line, a.Col, a.Value, a.Quoted, a.Tag, b.Kind, b.Line, b.Col, b.Value, b.Quoted, b.Tag)
	case len(a.Keys) != len(b.Keys) || len(a.Values) != len(b.Values):
		return fmt.Sprintf("%s: %d keys %d values, want %d keys %d values", path, len(a.Keys), len(a.Values), len(b.Keys), len(b.Values))
	case !reflect.DeepEqual(a.index, b.index):
		return fmt.Sprintf("%s: index %v, want %v", path, a.index, b.index)
	}
	for i := range a.Keys {
		if d := identical(a.Keys[i], b.Keys[i], fmt.Sprintf("%s.key[%d]", path, i)); d != "" {
			return d
		}
	}
	for i := range a.Values {
		if d := identical(a.Values[i], b.Values[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// checkAgrees fails t when the fast path handles data and its tree is not
// exactly goccy's, and reports whether the fast path handled data.
func checkAgrees(t *testing.T, name string, data []byte) bool {
	t.Helper()
	panics := fastPanics.Load()
	fast, ok, err := parseFast(context.Background(), data)
	if fastPanics.Load() != panics {
		t.Fatalf("%s: the fast path panicked on\n%q", name, data)
	}
	if err != nil {
		t.Fatalf("%s: fast path error without cancellation: %v", name, err)
	}
	if !ok {
		if fast != nil {
			t.Fatalf("%s: fast path gave up but returned a tree", name)
		}
		return false
	}
	slow, err := parseGoccy(context.Background(), "f", data)
	if err != nil {
		t.Fatalf("%s: the fast path took a document goccy refuses (%v):\n%s", name, err, data)
	}
	if len(data) > wholeLimit {
		// goccy's path parses a large document in chunks, and places an
		// empty value at a chunk's end one column further than when it
		// parses the whole (sameTree allows for it); the whole parse of
		// goccy is quadratic, so only smaller documents get one.
		if !sameTree(fast, slow) {
			t.Fatalf("%s: fast path tree differs from goccy's in chunks", name)
		}
		return true
	}
	defer func(c int) { chunkTokens = c }(chunkTokens)
	chunkTokens = 1 << 30
	whole, err := parseGoccy(context.Background(), "f", data)
	if err != nil {
		t.Fatalf("%s: the fast path took a document goccy refuses whole (%v)", name, err)
	}
	if d := identical(fast, whole, "root"); d != "" {
		t.Fatalf("%s: fast path tree differs: %s\n%s", name, d, data)
	}
	if !sameTree(fast, slow) {
		t.Fatalf("%s: fast path tree differs from goccy's in chunks", name)
	}
	return true
}

// wholeLimit is the size up to which checkAgrees compares with goccy's
// parse of the whole document.
const wholeLimit = 1 << 20

// yamlFixtures returns the YAML (and lock) files of the repository, of the
// txtar archives in it, and of the shared fixtures, by name.
func yamlFixtures(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	isYAML := func(name string) bool {
		switch filepath.Ext(name) {
		case ".yaml", ".yml", ".lock":
			return true
		}
		return false
	}
	for _, root := range []string{"../..", "/work/shared/fixtures"} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == ".git" || d.Name() == "node_modules" {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case isYAML(path):
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				out[path] = data
			case strings.HasSuffix(path, ".txtar"):
				ar, err := txtar.ParseFile(path)
				if err != nil {
					return err
				}
				for _, f := range ar.Files {
					if isYAML(f.Name) {
						out[path+":"+f.Name] = f.Data
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Every YAML file the project has: where the fast path reads it, it reads
// exactly the tree goccy reads.
func TestFastPathAgreesOnFixtures(t *testing.T) {
	files := yamlFixtures(t)
	if len(files) < 50 {
		t.Fatalf("found only %d YAML fixtures", len(files))
	}
	handled := 0
	for name, data := range files {
		if checkAgrees(t, name, data) {
			handled++
		}
	}
	t.Logf("the fast path read %d of %d YAML fixtures", handled, len(files))
	// Manifests and lock files are what the fast path is for: most of the
	// fixtures are those.
	if handled*2 < len(files) {
		t.Errorf("the fast path read only %d of %d fixtures", handled, len(files))
	}
}

// fastCases are documents in the subset the fast path reads.
var fastCases = []string{
	"a: 1\n",
	"a: 1\nb: [x, y]\n",
	"---\na: b\n",
	"---  # header\na: b\n",
	"# comment\n\na: 1 # one\n  # indented comment\nb:\n  c: \"x\"\n  d: [p, q]\nlist:\n  - one\n  - two: 2\n    three: 3\n  -\n  - 'it''s'\n",
	"components:\n  a:\n    repo: https://example.com/a.git\n    version: \"^1.2.0\"\n    depends_on: [\"b\", c]\n  b:\n    repo: ../b\n",
	"a:\n- x\n- y\nb: z\n",
	"- a\n- b: 1\n  c:\n    - d\n-   e: 2\n",
	"a: 0x1F\nb: 0o17\nc: 1e3\nd: .inf\ne: ~\nf: Null\ng: TRUE\nh: yes\ni: -1\nj: 017\nk: 1_000\nl: 1.5\nm: -.5\nn: .NaN\no: false\np: 0b101\nq: 99999999999999999999\n",
	"é: é\nx: ü\n",
	"a: b,c\nb: x#y\nc: d\\e\nd: \"q\" # c\ne: 'single' \n",
	"a: [a b, c]\nb: []\nc: [ ]\nd: [\"x, y\", 'z']\n",
	"1: int key\ntrue: bool key\n\"q\": quoted key\n'r': single\n",
	"a:\nb:\n  c:\nd: 1\n",
	"a: http://x.y/z?q=1#frag\n",
	"a: 1\nb:\n",
	"a: 1\nb:   \n\n# c\n",
	"x:\n  - y\n  -\n",
	"x:\n- a: 1\n  b:",
	"a: \"tab\\there \\\"q\\\" \\\\ \\/ \\0\\a\\b\\n\\v\\f\\r\\e\\ \"\nb: [\"\\\\\", x]\n\"k\\\"\": {\"\\t\": y}\n",
	"a: {}\nb: { }\nc: {b: 1, c: \"x\"}\nd: { e: f }\ng: {h: x,i: y}\nl:\n- {b: 1}\n- {}\n",
	"group-filter: [-optional, -1, -.5]\nx: -y\n-z: 1\n",
	"a:  spaced   value\n",
	"k0: 0\nk1: 1\nk2: 2\nk3: 3\nk4: 4\nk5: 5\nk6: 6\nk7: 7\nk8: 8\nk9: 9\nk10: 10\nk11: 11\nk12: 12\nk13: 13\nk14: 14\nk15: 15\nk16: 16\nk17: 17\n",
	"outer:\n  k0: 0\n  k1: 1\n  k2: 2\n  k3: 3\n  k4: 4\n  k5: 5\n  k6: 6\n  k7: 7\n  k8: 8\n  k9: 9\n  k10: 10\n  k11: 11\n  k12: 12\n  k13: 13\n  k14: 14\n  k15:\nend: 1\n",
}

// The documents above are all read by the fast path, as goccy reads them.
func TestFastPathReads(t *testing.T) {
	for _, src := range fastCases {
		if !checkAgrees(t, src, []byte(src)) {
			t.Errorf("the fast path gave up on\n%s", src)
		}
	}
}

// Anything outside the subset goes to goccy, for its tree or its error.
func TestFastPathGivesUp(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"empty", ""},
		{"only a comment", "# c\n"},
		{"top-level scalar", "hello\n"},
		{"anchor and alias", "a: &x 1\nb: *x\n"},
		{"merge key", "a:\n  <<: {b: 1}\n"},
		{"tag", "a: !!str 1\n"},
		{"literal block", "a: |\n  text\n"},
		{"folded block", "a: >\n  text\n"},
		{"multi-line plain", "a: one\n  two\n"},
		{"multi-line quoted", "a: \"one\n  two\"\n"},
		{"hex escape", "a: \"x\\x41\"\n"},
		{"unicode escape", "a: \"x\\u00e9\"\n"},
		{"escaped line break", "a: \"x\\\n  y\"\n"},
		{"tab in indentation", "a:\n\tb: 1\n"},
		{"tab in value", "a: x\ty\n"},
		{"CR line ends", "a: 1\r\nb: 2\r\n"},
		{"CR after the header's comment", "--- #\r\n0:"},
		{"Unicode space before a quote", "- \u00a0\"\n"},
		{"odd indentation", "a:\n  b: 1\n c: 2\n"},
		{"deeper sibling", "a:\n  b: 1\n    c: 2\n"},
		{"question-mark key", "? a\n: b\n"},
		{"flow sequence over lines", "a: [x,\n  y]\n"},
		{"nested flow", "a: [[x]]\n"},
		{"flow mapping in a flow mapping", "a: {b: {c: 1}}\n"},
		{"flow sequence in a flow mapping", "a: {b: [x]}\n"},
		{"flow mapping over lines", "a: {b: 1,\n  c: 2}\n"},
		{"empty value in a flow mapping", "a: {b: , c: 1}\n"},
		{"duplicate key in a flow mapping", "a: {b: 1, b: 2}\n"},
		{"trailing comma", "a: [x, ]\n"},
		{"two documents", "a: 1\n---\nb: 2\n"},
		{"document end", "a: 1\n...\n"},
		{"directive", "%YAML 1.2\n---\na: 1\n"},
		{"duplicate key", "a: 1\nb: 2\na: 3\n"},
		{"duplicate key in a large mapping", strings.Repeat("x: 1\n", 0) + largeMapDup()},
		{"null key", "~: 1\n"},
		{"key then mapping on one line", "a: b: c\n"},
		{"compact nested sequence", "- - x\n"},
		{"comment after key", "a: # c\n  b: 1\n"},
		{"indented root", "  a: 1\n"},
		{"byte order mark", "\ufeffa: 1\n"},
		{"invalid UTF-8", "a: \xff\n"},
		{"deep indentation", deepIndent(60)},
		{"unclosed quote", "a: 'x\n"},
		{"text after quote", "a: 'x' y\n"},
		{"indicator start", "a: @x\n"},
		{"spaces after a plain scalar", "a: x  \nb: 1\n"},
		{"sequence entry as value", "a: - x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, ok, err := parseFast(context.Background(), []byte(tc.src))
			if ok || n != nil || err != nil {
				t.Fatalf("parseFast(%q) = %v, %v, %v; want it to give up", tc.src, n, ok, err)
			}
			// And Parse says what goccy says.
			want, werr := parseGoccy(context.Background(), "f", []byte(tc.src))
			got, gerr := Parse("f", []byte(tc.src))
			if fmt.Sprint(werr) != fmt.Sprint(gerr) {
				t.Fatalf("Parse error %v, goccy %v", gerr, werr)
			}
			if werr == nil {
				if d := identical(got, want, "root"); d != "" {
					t.Fatal(d)
				}
			}
		})
	}
}

func largeMapDup() string {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "k%d: %d\n", i, i)
	}
	b.WriteString("k3: again\n")
	return b.String()
}

// A cancelled context stops the fast path with the context's error.
func TestFastPathCancelled(t *testing.T) {
	var b strings.Builder
	for i := range 3 * fastCtxLines {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ParseContext(ctx, "f", []byte(b.String()))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	_, _, err = parseFast(&cancelAfter{Context: context.Background(), n: 1}, []byte(b.String()))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while parsing: err = %v, want context.Canceled", err)
	}
}

// cancelAfter is a context that is done after n looks at Err.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// edgeCases are documents at the edges of the subset: either path may
// read them, but both must read them alike.
var edgeCases = []string{
	"a: x   # c\nb: 1\n",
	"a: x y   # c\nb: 1\n",
	"a: 'x'   # c\nb: 1\n",
	"a: [x]   # c\nb: 1\n",
	"a: [x  , y  ]\n",
	"a: { b: x  , c: y  }\n",
	"a:   \nb: 1\n",
	"a:  # c\nb: 1\n",
	"a:\n\n\nb: 1\n",
	"- \n- x\n",
	"-   \n- x\n",
	"a:\n  - x\n  -\n  - y\n",
	"a:\n  b:\n  c: 1\n",
	"a:\n  b:\n    - x\n  c:\nd: 1\n",
	"- a: 1\n  b:\n- c\n",
	"- a:\n  - x\nb: 1\n",
	"key with spaces: v\n",
	"a: v:x\n",
	"a: -\n",
	"a: x\n# c\n  # d\nb: y\n",
	"a: 'x''y'\n",
	"a: ''\nb: \"\"\n",
	"a: [''] \n",
	"a: é é  # c\nb: [é, 'ü']\n",
	"ü:\n  - é: x\n    ö: [ä]\n",
	"a: \"é\\t\" \nb: x\n",
	"a: 1 #c\n",
	"a: b\n---\n",
	"---\n---\n",
	"a: x\n...\n",
	"a: !x\n",
	"a: x!\n",
	"a: x&y\n",
	"a: x*y\n",
	"a: x|y\n",
	"a: x>y\n",
	"a: x%y\n",
	"a: x@y\n",
	"a: x`y\n",
	"a: x'y\n",
	"a: x\"y\n",
	"a: x?y\n",
	"a: ?x\n",
	"a: x,y\n",
	"a: [x?y, x!y, x&y, x*y, x|y]\n",
	"a: [x'y]\n",
	"a: [x\"y]\n",
	"'a''b': 1\n",
	"a: 0x1F\n",
	"a: 1.2.3\n",
	"a: 2001-01-01\n",
	"a: 12:30:00\n",
	"a: 1:2\n",
	"a: +\n",
	"a: .\n",
	"a: ~x\n",
	"a: 0b2\n",
	"a: 1_\n",
	"a: _1\n",
	"a: 1__2\n",
	"a: 0.\n",
	"a: .0\n",
	"a: 1e\n",
	"a: 0o\n",
	"a: 08\n",
	"a: -0x1\n",
	"a: +0x1\n",
	"a: -.inf\n",
	"a: +.inf\n",
	"a: .Nan\n",
	"a: nULL\n",
	"a: tRUE\n",
	"True: 1\n",
	"1: 1\n2: 2\n",
	"1.0: a\n",
	"a: 1\n  \nb: 2\n",
	"a:\n  b: 1\n  # c\n\nc: 2\n",
	"setup: [sh, install.sh, \"--prefix={prefix}\", --disable-ldconfig, --without=rust-docs]\n",
	"resolution: {tarball: https://example.com/a/tarball/v0.4.0, integrity: sha512-x+y/z==}\n",
	"a: [http://x, a:b, a::b, 'a: b', a:]\nb: {c: a:b}\nc: {c: a::b}\n",
	"a: --x\nb: -- x\nc: ---\n--d: 1\n",
	"a: \u2003x\nb: [\u00a0'y', z\u00a0]\n\u3000c: 1\nd: x\u00a0\n",
}

// Documents at the edges of the subset read alike on both paths.
func TestFastPathAgreesOnEdgeCases(t *testing.T) {
	handled := 0
	for _, src := range edgeCases {
		if checkAgrees(t, src, []byte(src)) {
			handled++
		}
	}
	t.Logf("the fast path read %d of %d edge cases", handled, len(edgeCases))
}

func FuzzFastPathAgrees(f *testing.F) {
	for _, src := range slices.Concat(fastCases, edgeCases) {
		f.Add([]byte(src))
	}
	for _, src := range []string{
		"a:\n  b:\n    c:\n      - d: [e, 'f', \"g\"]\n        h: i # j\n",
		"- 'a'': b'\n- \"c: d\"\n- e:f\n- -1\n- -x\n- +1\n- .5\n- 1.\n- 0x\n- 0o8\n",
		"a: [1, 0x2, true, ~, null, 'x']\n",
		"a: b\n  # deeper comment\nc: d\n",
		"a:\n\n  b: 1\n\n",
		"a: \"x\" \n'b':\n  - ''\n  - \"\"\n",
		"a: Yes\nb: NO\nc: On\nd: -.inf\ne: +.inf\nf: 1e+3\ng: 2001-12-14\nh: 12:30\n",
		"- a:\n  - b\n- c:\n    d\n",
		"a: 'x'#c\n",
		"a: x #c\nb: x# c\n",
	} {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if CheckSize("f", data) != nil {
			return
		}
		checkAgrees(t, "fuzz", data)
	})
}

// Manifest-shaped documents of 10 and 30,000 entries, on the fast path
// and on goccy's.
func BenchmarkFastPath(b *testing.B) {
	for _, size := range []int{10, 30000} {
		var sb strings.Builder
		sb.WriteString("components:\n")
		for i := range size {
			fmt.Fprintf(&sb, "  comp-%05d:\n    repo: https://git.example.com/org/comp-%05d.git\n    version: \"^1.%d.0\"\n    description: component %d\n    depends_on: [\"comp-%05d\"]\n    groups: [backend]\n",
				i, i, i%50, i, i+1)
		}
		data := []byte(sb.String())
		for _, tc := range []struct {
			name  string
			parse func() (*Node, error)
		}{
			{"fast", func() (*Node, error) { return Parse("f", data) }},
			{"goccy", func() (*Node, error) { return parseNoFastPath(data) }},
		} {
			b.Run(fmt.Sprintf("components=%d/%s", size, tc.name), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := tc.parse(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// Large documents, which goccy's path parses in chunks (chunk.go), read
// alike on both paths: empty values, comments, sequences and nested
// mappings at the chunks' edges.
func TestFastPathAgreesOnLargeDocuments(t *testing.T) {
	var b strings.Builder
	b.WriteString("# generated\ncomponents:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  comp-%04d:\n", i)
		switch i % 7 {
		case 0:
			fmt.Fprintf(&b, "    repo: https://git.example.com/org/c%d.git\n    version: \"^1.%d.0\"\n", i, i%50)
		case 1:
			b.WriteString("    build:\n    setup: [a, 'b', \"c\"]\n    # comment\n")
		case 2:
			fmt.Fprintf(&b, "    depends_on:\n      - comp-%04d\n      -\n      - {name: x, ref: v%d}\n", i+1, i)
		case 3:
			b.WriteString("    env: {}\n    empty:\n")
		case 4:
			b.WriteString("    n: 12\n    f: 1.5\n    t: true\n    z: ~\n")
		case 5:
			b.WriteString("    list:\n    - one\n    - two: 2\n      three:\n")
		case 6:
			for k := range 20 {
				fmt.Fprintf(&b, "    k%d: v%d\n", k, k)
			}
		}
	}
	b.WriteString("last: 1\n")
	data := []byte(b.String())
	if !checkAgrees(t, "large", data) {
		t.Fatal("the fast path gave up on the large document")
	}
}

// Generated documents of random lines of the shapes manifests are made
// of, with tricky scalars: where the fast path reads one, it reads
// goccy's tree.
func TestFastPathAgreesOnGenerated(t *testing.T) {
	keys := []string{"a", "b", "c", "k1", "1", "'q'", `"d"`, "é", "-k", "a b", "<<", "~", "true", "a#b", "x:y"}
	simple := []string{"x", "1", "-2", "0x1F", "0o7", "1e3", "1.5", ".inf", "~", "null", "Null", "TRUE", "yes",
		"'it''s'", `"e\n\"q\""`, "a b", "a:b", "-x", "--x", "é ü", "x #c", "x#c", "", "[x, 'y']", "[]", "{}",
		"{a: 1, b: 'c'}", "http://h:1/p?q#f", "2001-01-01", "12:30", "[-a, --b, 'c, d', \"e\\\"\"]"}
	tricky := []string{`"\x41"`, "a: b", "- x", "<<", "&a x", "*a", "!t x", "|", ">", "x  ", "[a, [b]]", "{a: {b: 1}}",
		"[x,", "'x", `"x`, "@x", "`x", "%x", "?x", "x\ty", "[a,]", "{a}", "{a: }", "x\r"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	scalar := func() string {
		if r.IntN(20) == 0 {
			return pick(tricky)
		}
		return pick(simple)
	}
	// block writes a block collection at indentation ind, mostly valid,
	// sometimes not.
	var block func(b *strings.Builder, ind, depth int)
	block = func(b *strings.Builder, ind, depth int) {
		pad := strings.Repeat(" ", ind)
		seq := r.IntN(3) == 0
		for range 1 + r.IntN(4) {
			if r.IntN(12) == 0 {
				b.WriteString(pick([]string{"", "  ", "# c", pad + "# c", " ", pad + " "}) + "\n")
			}
			b.WriteString(pad)
			if r.IntN(20) == 0 {
				b.WriteString(pick([]string{" ", "  ", "\t"}))
			}
			if seq {
				b.WriteString("-")
				if r.IntN(4) > 0 {
					b.WriteString(pick([]string{" ", " ", "  "}))
				}
			}
			switch k := r.IntN(6); {
			case seq && k == 0:
				// "- key: value" and more keys under it.
				b.WriteString(pick(keys) + ": " + scalar() + "\n")
				if r.IntN(2) == 0 {
					b.WriteString(pad + "  " + pick(keys) + ": " + scalar() + "\n")
				}
			case k <= 2 || depth > 4:
				if !seq {
					b.WriteString(pick(keys) + ":" + pick([]string{" ", " ", "  "}))
				}
				b.WriteString(scalar())
				if r.IntN(8) == 0 {
					b.WriteString(pick([]string{" # c", "  ", " #c"}))
				}
				b.WriteString("\n")
			default:
				if !seq {
					b.WriteString(pick(keys) + ":")
				}
				if r.IntN(8) == 0 {
					b.WriteString(pick([]string{" # c", "  "}))
				}
				b.WriteString("\n")
				if r.IntN(6) > 0 {
					next := ind + []int{1, 2, 2, 2, 3, 4}[r.IntN(6)]
					if !seq && r.IntN(4) == 0 {
						next = ind // a sequence at its key's column
					}
					block(b, next, depth+1)
				}
			}
		}
	}
	n := 20000
	if testing.Short() {
		n = 2000
	}
	handled := 0
	for range n {
		var b strings.Builder
		if r.IntN(10) == 0 {
			b.WriteString(pick([]string{"---\n", "--- # c\n", "---  \n", "---#c\n", "--- x\n"}))
		}
		block(&b, 0, 0)
		if checkAgrees(t, "generated", []byte(b.String())) {
			handled++
		}
	}
	t.Logf("the fast path read %d of %d generated documents", handled, n)
}
