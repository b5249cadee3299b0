package yamlpos

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Hostile nesting (issue 15 item 3) fails fast, with a positioned error,
// and without building the parser's tree.
func TestDeepNestingRefusedBeforeParsing(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
	}{
		{"80 KB of brackets", "setup: " + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + "\n"},
		{"flow maps", "a: " + strings.Repeat("{b: ", 50000) + strings.Repeat("}", 50000) + "\n"},
		{"200 KB of compact sequences", "components:\n  a:\n    setup: " + strings.Repeat("- ", 100000) + "x\n"},
		{"brackets 100,000 deep", "components:\n  a:\n    setup: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n"},
		{"indentation", deepIndent(300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			runs := parses.Load()
			_, err := Parse("c.yaml", []byte(tc.data))
			runtime.ReadMemStats(&after)
			if n := parses.Load() - runs; n != 0 {
				t.Errorf("the parser ran %d times on refused input", n)
			}
			var ye *Error
			if !errors.As(err, &ye) || !strings.Contains(err.Error(), "nested too deeply") || ye.Line == 0 {
				t.Fatalf("err = %v, want a positioned 'nested too deeply'", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
				t.Errorf("allocated %d MB to refuse %d bytes", alloc>>20, len(tc.data))
			}
		})
	}
}

func deepIndent(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
	}
	return b.String()
}

func TestSizeLimits(t *testing.T) {
	big := make([]byte, MaxBytes+1)
	for i := range big {
		big[i] = 'a'
	}
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "meta reads YAML files of at most") {
		t.Errorf("oversized file: err = %v", err)
	}
	many := []byte(strings.Repeat("a,", MaxTokens/2+10))
	if err := Check("many.yaml", many); err == nil || !strings.Contains(err.Error(), "YAML tokens") {
		t.Errorf("too many tokens: err = %v", err)
	}
	if err := Check("ok.yaml", []byte("a: [1, {b: c}]\n- - x\n")); err != nil && strings.Contains(err.Error(), "nested") {
		t.Errorf("shallow file refused: %v", err)
	}
	// Just below the depth limit is fine.
	ok := "a: " + strings.Repeat("[", MaxDepth-5) + strings.Repeat("]", MaxDepth-5) + "\n"
	if _, err := Parse("ok.yaml", []byte(ok)); err != nil && strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("%d levels refused: %v", MaxDepth-5, err)
	}
}

// A large mapping is parsed in chunks: the result is the tree the whole
// parse gives, positions included, and duplicates across chunks are found.
func TestChunkedParseMatchesWhole(t *testing.T) {
	var b strings.Builder
	b.WriteString("# head\nworkspace: {root: ..}\ncomponents:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  c%d:\n    repo: \"https://h/%d.git\"\n    tags: [a, {b: %d}]\n    # note\n    run: |\n      echo %d\n", i, i, i, i)
	}
	b.WriteString("environments:\n  dev: {c1: main}\n")
	data := []byte(b.String())
	chunked, err := Parse("m.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	whole := parseWhole(t, data)
	if !reflect.DeepEqual(chunked, whole) {
		t.Fatal("chunked parse differs from the whole parse")
	}
	if got := len(chunked.Get("components").Keys); got != 3000 {
		t.Fatalf("%d components", got)
	}
	dup := append(data[:len(data):len(data)], []byte("components:\n  x: 1\n")...)
	if _, err := Parse("m.yaml", dup); err == nil || !strings.Contains(err.Error(), `duplicate key "components"`) {
		t.Errorf("duplicate across chunks: %v", err)
	}
}

func parseWhole(t testing.TB, data []byte) *Node {
	t.Helper()
	defer func(n int) { chunkTokens = n }(chunkTokens)
	chunkTokens = 1 << 30
	n, err := Parse("m.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParseCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ParseContext(ctx, "m.yaml", []byte("a: 1\n")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// Runs of a large mapping are parsed in parallel when the document has no
// anchors; the error reported is still the first in the file, and the tree
// is the one a run-by-run parse builds.
func TestParallelChunksReportFirstError(t *testing.T) {
	var b strings.Builder
	b.WriteString("components:\n")
	for i := range 4000 {
		switch i {
		case 1500:
			fmt.Fprintf(&b, "  c%d:\n    repo: [unclosed\n", i)
		case 3500:
			fmt.Fprintf(&b, "  c%d:\n    repo: {also: unclosed\n", i)
		default:
			fmt.Fprintf(&b, "  c%d:\n    repo: \"https://h/%d.git\"\n    tags: [a, b]\n", i, i)
		}
	}
	data := []byte(b.String())
	_, err := Parse("m.yaml", data)
	var ye *Error
	if !errors.As(err, &ye) || ye.Line < 1500*3 || ye.Line > 1502*3 {
		t.Fatalf("err = %v, want the error of c1500 (near line %d)", err, 1500*3)
	}
	// The same document with an anchor is parsed run by run: same error.
	withAnchor := append([]byte("x: &a 1\ny: *a\n"), data...)
	_, err2 := Parse("m.yaml", withAnchor)
	var ye2 *Error
	if !errors.As(err2, &ye2) || ye2.Msg != ye.Msg || ye2.Line != ye.Line+2 || ye2.Col != ye.Col {
		t.Fatalf("sequential: %v; parallel: %v", err2, err)
	}
	// Without errors, the trees agree.
	good := strings.NewReplacer("[unclosed", "[closed]", "{also: unclosed", "{also: closed}").Replace(b.String())
	par, err := Parse("m.yaml", []byte(good))
	must(t, err)
	seq, err := Parse("m.yaml", []byte("x: &a 1\ny: *a\n"+good))
	must(t, err)
	if !reflect.DeepEqual(par.Get("components"), shiftLines(seq.Get("components"), -2)) {
		t.Fatal("parallel and run-by-run parses differ")
	}
}

// shiftLines moves every position in n by d lines.
func shiftLines(n *Node, d int) *Node {
	if n == nil {
		return nil
	}
	n.Line += d
	for _, k := range n.Keys {
		shiftLines(k, d)
	}
	for _, v := range n.Values {
		shiftLines(v, d)
	}
	return n
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
