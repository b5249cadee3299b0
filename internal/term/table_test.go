package term

import "testing"

func TestTable(t *testing.T) {
	brackets := func(s string) string { return "[" + s + "]" }
	for _, tc := range []struct {
		name string
		rows [][]Cell
		want string
	}{
		{"empty", nil, ""},
		{"aligned, no trailing spaces", [][]Cell{{{Text: "NAME"}, {Text: "V"}, {Text: ""}}, {{Text: "a"}, {Text: "1.0.0"}, {Text: ""}}},
			"NAME  V\na     1.0.0\n"},
		{"runes count as one column", [][]Cell{{{Text: "→"}, {Text: "x"}}, {{Text: "ab"}, {Text: "y"}}},
			"→   x\nab  y\n"},
		{"paint covers the text, not the padding", [][]Cell{{{Text: "a", Paint: brackets}, {Text: "b", Paint: brackets}}, {{Text: "long"}, {Text: "c"}}},
			"[a]     [b]\nlong  c\n"},
		{"ragged rows", [][]Cell{{{Text: "a"}}, {{Text: "bb"}, {Text: "c"}}},
			"a\nbb  c\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Table(tc.rows); got != tc.want {
				t.Errorf("Table() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTableText(t *testing.T) {
	for _, tc := range []struct {
		rows [][]string
		want string
	}{
		{nil, ""},
		{[][]string{{"A", "B"}, {"xyz", "1"}}, "A    B\nxyz  1\n"},
		{[][]string{{"only"}}, "only\n"},
	} {
		if got := TableText(tc.rows); got != tc.want {
			t.Errorf("TableText(%q) = %q, want %q", tc.rows, got, tc.want)
		}
	}
}
