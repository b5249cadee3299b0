package term

import (
	"strings"
	"unicode/utf8"
)

// Cell is one table cell: its text, and the colour to paint it with after
// padding (so escape codes never throw the columns out of line).
type Cell struct {
	Text  string
	Paint func(string) string
}

// Table lays rows out as aligned columns separated by two spaces, each
// line without trailing spaces and ending in a newline.
func Table(rows [][]Cell) string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.Text))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			text := c.Text
			if i < len(r)-1 {
				text += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.Text)+2)
			}
			if c.Paint != nil {
				// Paint the text, not the padding.
				text = c.Paint(c.Text) + text[len(c.Text):]
			}
			line.WriteString(text)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}

// TableText is Table of unpainted cells.
func TableText(rows [][]string) string {
	cells := make([][]Cell, len(rows))
	for i, r := range rows {
		cells[i] = make([]Cell, len(r))
		for j, s := range r {
			cells[i][j] = Cell{Text: s}
		}
	}
	return Table(cells)
}
