package cli

import (
	"io"
	"strings"
	"unicode/utf8"
)

// cell is one table cell: its text, and the colour to paint it with after
// padding (so escape codes never throw the columns out of line).
type cell struct {
	text  string
	paint func(string) string
}

func plain(s string) cell { return cell{text: s} }

// table prints aligned columns separated by two spaces, without trailing
// spaces.
type table struct {
	rows [][]cell
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		var line strings.Builder
		for i, c := range r {
			text := c.text
			if i < len(r)-1 {
				text += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2)
			}
			if c.paint != nil {
				// Paint the text, not the padding.
				pad := text[len(c.text):]
				text = c.paint(c.text) + pad
			}
			line.WriteString(text)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	io.WriteString(w, b.String())
}
