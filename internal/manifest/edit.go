package manifest

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/yamlpos"
)

// Editing works on the text of a YAML file, guided by the positions of the
// parsed tree, so that comments, key order and formatting of everything it
// does not touch stay exactly as the user wrote them.

// Field is one "key: value" line of a component block. A List value is
// written in flow style ([a, b]).
type Field struct {
	Key   string
	Value string
	List  []string
}

// AddComponent returns data with a component block appended to the
// top-level 'components:' mapping.
func AddComponent(file string, data []byte, name string, fields []Field) ([]byte, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	lines := splitLines(data)
	var block strings.Builder
	comps := root.Get("components")
	indent := 2
	if comps != nil && comps.Kind == yamlpos.Map && len(comps.Keys) > 0 {
		if comps.Get(name) != nil {
			return nil, fmt.Errorf("component %q already exists", name)
		}
		indent = comps.Keys[0].Col - 1
	}
	pad := strings.Repeat(" ", indent)
	fmt.Fprintf(&block, "%s%s:\n", pad, name)
	for _, f := range fields {
		if f.List != nil {
			q := make([]string, len(f.List))
			for i, v := range f.List {
				q[i] = yamlString(v)
			}
			fmt.Fprintf(&block, "%s%s%s: [%s]\n", pad, pad, f.Key, strings.Join(q, ", "))
		} else {
			fmt.Fprintf(&block, "%s%s%s: %s\n", pad, pad, f.Key, yamlString(f.Value))
		}
	}
	switch {
	case comps == nil || root.Kind != yamlpos.Map:
		out := append(ensureNewline(data), []byte("components:\n"+block.String())...)
		return out, nil
	case comps.Kind == yamlpos.Null || (comps.Kind == yamlpos.Map && len(comps.Keys) == 0):
		// "components:" or "components: {}" — rewrite that line.
		key := root.KeyNode("components")
		lines[key.Line-1] = strings.Repeat(" ", key.Col-1) + "components:\n" + block.String()
		return []byte(strings.Join(lines, "")), nil
	case comps.Kind != yamlpos.Map:
		return nil, fmt.Errorf("%s: 'components' is not a mapping", file)
	}
	if isFlow(lines, comps) {
		return nil, fmt.Errorf("%s:%d: 'components' is written in flow style ({...}); rewrite it as a block to use this command", file, comps.Line)
	}
	end := blockEnd(lines, root, "components")
	out := append([]string{}, lines[:end]...)
	if end > 0 && !strings.HasSuffix(out[end-1], "\n") {
		out[end-1] += "\n"
	}
	// Keep the file's rhythm: blank lines between components stay so.
	lastKey := comps.Keys[len(comps.Keys)-1].Line - 1
	if len(comps.Keys) > 1 && lastKey > 0 && strings.TrimSpace(lines[lastKey-1]) == "" {
		out = append(out, "\n")
	}
	out = append(out, block.String())
	out = append(out, lines[end:]...)
	return []byte(strings.Join(out, "")), nil
}

// RemoveComponent returns data without the named component's block.
func RemoveComponent(file string, data []byte, name string) ([]byte, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	comps := root.Get("components")
	if comps == nil || comps.Kind != yamlpos.Map || comps.Get(name) == nil {
		return nil, fmt.Errorf("no component named %q", name)
	}
	lines := splitLines(data)
	if isFlow(lines, comps) {
		return nil, fmt.Errorf("%s:%d: 'components' is written in flow style ({...}); edit it by hand", file, comps.Line)
	}
	var start, end int
	for i, k := range comps.Keys {
		if k.Value != name {
			continue
		}
		start = k.Line - 1
		if i+1 < len(comps.Keys) {
			end = comps.Keys[i+1].Line - 1
		} else {
			end = blockEnd(lines, root, "components")
		}
	}
	// Comment lines directly above the block belong to it.
	for start > 0 && isCommentAt(lines[start-1], comps.Keys[0].Col) {
		start--
	}
	// Do not leave two blank lines where the block was.
	for start > 0 && strings.TrimSpace(lines[start-1]) == "" && (end >= len(lines) || strings.TrimSpace(lines[end]) == "") {
		start--
	}
	out := append(append([]string{}, lines[:start]...), lines[end:]...)
	return []byte(strings.Join(out, "")), nil
}

// SetScalar sets the scalar at path (e.g. ["workspace", "jobs"]) to value,
// creating missing mappings as blocks. It keeps everything else as written.
func SetScalar(file string, data []byte, path []string, value string) ([]byte, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	lines := splitLines(data)
	if root.Kind == yamlpos.Null {
		return []byte(string(ensureNewline(data)) + nested(path, value, 0)), nil
	}
	if root.Kind != yamlpos.Map {
		return nil, fmt.Errorf("%s: the top level is not a mapping", file)
	}
	n := root
	for i, k := range path {
		child := n.Get(k)
		if child == nil {
			if isFlow(lines, n) && n != root {
				return nil, fmt.Errorf("%s:%d: %s is written in flow style; edit it by hand", file, n.Line, strings.Join(path[:i], "."))
			}
			indent := 0
			if n != root {
				indent = n.Keys[0].Col - 1
				if len(n.Keys) == 0 {
					indent = (i) * 2
				}
			}
			text := nested(path[i:], value, indent)
			at := len(lines)
			if n != root {
				at = subtreeEnd(lines, n)
			}
			out := append(append([]string{}, lines[:at]...), text)
			out = append(out, lines[at:]...)
			if at > 0 && !strings.HasSuffix(out[at-1], "\n") {
				out[at-1] += "\n"
			}
			return []byte(strings.Join(out, "")), nil
		}
		if i == len(path)-1 {
			if child.Kind == yamlpos.Map || child.Kind == yamlpos.Seq {
				return nil, fmt.Errorf("%s:%d: %s is not a single value", file, child.Line, strings.Join(path, "."))
			}
			key := n.KeyNode(k)
			line := lines[key.Line-1]
			prefix := line[:key.Col-1] + k + ":"
			comment := ""
			if j := strings.Index(line, " #"); j > 0 && j > len(prefix) {
				comment = " " + strings.TrimSpace(line[j:])
			}
			lines[key.Line-1] = prefix + " " + yamlString(value) + comment + "\n"
			return []byte(strings.Join(lines, "")), nil
		}
		if child.Kind == yamlpos.Null {
			// "key:" with nothing under it: write the rest below it.
			key := n.KeyNode(k)
			lines[key.Line-1] = strings.Repeat(" ", key.Col-1) + k + ":\n" + nested(path[i+1:], value, key.Col-1+2)
			return []byte(strings.Join(lines, "")), nil
		}
		if child.Kind != yamlpos.Map {
			return nil, fmt.Errorf("%s:%d: %s is not a mapping", file, child.Line, strings.Join(path[:i+1], "."))
		}
		n = child
	}
	return nil, fmt.Errorf("empty key")
}

// UnsetScalar removes the key at path when it holds a one-line scalar.
func UnsetScalar(file string, data []byte, path []string) ([]byte, bool, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, false, err
	}
	n := root
	for _, k := range path[:len(path)-1] {
		n = n.Get(k)
		if n == nil || n.Kind != yamlpos.Map {
			return data, false, nil
		}
	}
	last := path[len(path)-1]
	v := n.Get(last)
	if v == nil {
		return data, false, nil
	}
	if v.Kind == yamlpos.Map || v.Kind == yamlpos.Seq {
		return nil, false, fmt.Errorf("%s:%d: %s is not a single value", file, v.Line, strings.Join(path, "."))
	}
	lines := splitLines(data)
	if isFlow(lines, n) && n != root {
		return nil, false, fmt.Errorf("%s:%d: %s is written in flow style; edit it by hand", file, n.Line, strings.Join(path[:len(path)-1], "."))
	}
	key := n.KeyNode(last)
	out := append(append([]string{}, lines[:key.Line-1]...), lines[key.Line:]...)
	return []byte(strings.Join(out, "")), true, nil
}

// GetScalar returns the scalar at path.
func GetScalar(file string, data []byte, path []string) (string, bool, error) {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return "", false, err
	}
	n := root
	for _, k := range path {
		n = n.Get(k)
		if n == nil {
			return "", false, nil
		}
	}
	if n.Kind != yamlpos.Scalar {
		return "", false, fmt.Errorf("%s:%d: %s is not a single value", file, n.Line, strings.Join(path, "."))
	}
	return n.Value, true, nil
}

func nested(path []string, value string, indent int) string {
	var b strings.Builder
	for i, k := range path {
		pad := strings.Repeat(" ", indent+2*i)
		if i == len(path)-1 {
			fmt.Fprintf(&b, "%s%s: %s\n", pad, k, yamlString(value))
		} else {
			fmt.Fprintf(&b, "%s%s:\n", pad, k)
		}
	}
	return b.String()
}

func splitLines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	parts := bytes.SplitAfter(data, []byte("\n"))
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		if len(p) > 0 {
			out = append(out, string(p))
		}
	}
	return out
}

func ensureNewline(data []byte) []byte {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		return append(append([]byte{}, data...), '\n')
	}
	return data
}

// isFlow reports whether a mapping node is written in flow style.
func isFlow(lines []string, n *yamlpos.Node) bool {
	if n == nil || n.Kind != yamlpos.Map || len(n.Keys) == 0 {
		return false
	}
	k := n.Keys[0]
	line := lines[k.Line-1]
	before := strings.TrimSpace(line[:min(k.Col-1, len(line))])
	return strings.HasSuffix(before, "{") || strings.HasSuffix(before, ",")
}

// blockEnd returns the index of the first line after top-level key's block:
// the next top-level key, less the blank and comment lines before it.
func blockEnd(lines []string, root *yamlpos.Node, key string) int {
	end := len(lines)
	for i, k := range root.Keys {
		if k.Value == key && i+1 < len(root.Keys) {
			end = root.Keys[i+1].Line - 1
		}
	}
	for end > 0 && isBlankOrComment(lines[end-1]) {
		end--
	}
	return end
}

// subtreeEnd returns the first line after the block of mapping n.
func subtreeEnd(lines []string, n *yamlpos.Node) int {
	indent := n.Keys[0].Col
	last := n.Keys[len(n.Keys)-1].Line
	i := last
	for i < len(lines) {
		l := lines[i]
		if isBlankOrComment(l) {
			i++
			continue
		}
		if leading(l) < indent {
			break
		}
		i++
	}
	for i > last && isBlankOrComment(lines[i-1]) {
		i--
	}
	return i
}

func leading(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) + 1 }

func isBlankOrComment(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || strings.HasPrefix(t, "#")
}

func isCommentAt(l string, col int) bool {
	t := strings.TrimSpace(l)
	return strings.HasPrefix(t, "#") && leading(l) == col
}

// yamlString renders s as a YAML scalar, quoting it when a plain scalar
// would change meaning.
func yamlString(s string) string {
	if s == "" {
		return `""`
	}
	plain := true
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "~":
		plain = false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		plain = plain && isPlainNumberOK(s)
	}
	if strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "?") ||
		strings.TrimSpace(s) != s || strings.ContainsAny(s, "^~<>=") {
		plain = false
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}

// isPlainNumberOK: integers may stay plain (jobs: 8); anything that YAML
// would read as a float (1.10 → 1.1) is quoted.
func isPlainNumberOK(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
