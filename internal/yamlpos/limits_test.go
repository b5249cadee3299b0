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
