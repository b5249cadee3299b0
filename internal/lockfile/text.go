package lockfile

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
)

// EnvFlag is the --env flag that names env on a command line ("" for
// the default lock).
func EnvFlag(env string) string { return envFlag(env) }

// CheckText is what 'meta lock --check' reports about f, the lock of env:
// nil when f is up to date with m and admitted by it, else the lines
// saying why it is stale or what m does not admit, and the hint.
func CheckText(f *File, m *manifest.Manifest, env string) []string {
	why, bad := Stale(f, m, env), Violations(f, m, env)
	if len(why) == 0 && len(bad) == 0 {
		return nil
	}
	rel := RelPath(env)
	var out []string
	if len(why) > 0 {
		out = append(out, fmt.Sprintf("meta: %s is stale:", rel))
		for _, w := range why {
			out = append(out, "  - "+w)
		}
	}
	if len(bad) > 0 {
		label := "the manifest"
		if env != "" {
			label = "environment " + env
		}
		out = append(out, fmt.Sprintf("meta: %s locks what %s does not admit:", rel, label))
		for _, r := range bad {
			out = append(out, fmt.Sprintf("  - %s: %s", r.Name, r.Reason))
		}
	}
	return append(out, fmt.Sprintf("hint: run 'meta lock%s' to update it", envFlag(env)))
}

// ProblemText lists the problems 'meta lock verify' found in the lock of
// env: a headline counting them, then each with its hint.
func ProblemText(env string, probs []Problem) []string {
	out := []string{fmt.Sprintf("meta: %s: %s", RelPath(env), count(len(probs), "problem"))}
	for _, p := range probs {
		out = append(out, fmt.Sprintf("  %s: %s", p.Name, p.Msg))
		if p.Hint != "" {
			out = append(out, "    hint: "+p.Hint)
		}
	}
	return out
}

// IsPathArg tells whether a command-line argument naming a lock is a
// path to a file rather than an environment name.
func IsPathArg(arg string) bool {
	return strings.ContainsRune(arg, '/') || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml")
}

// RefusalText is one line per refusal: the component and why.
func RefusalText(rs []Refusal) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name+": "+r.Reason)
	}
	return out
}

// WrittenText is what writing f as env's lock changed against old (nil
// when there was none): a headline, then the components (the changes)
// indented by two spaces.
func WrittenText(env string, old, f *File) []string {
	rel := RelPath(env)
	n := len(f.Components)
	if old == nil {
		return append([]string{fmt.Sprintf("wrote %s: %s", rel, count(n, "component"))}, indent(f.Lines())...)
	}
	changes := Compare(old, f)
	if len(changes) == 0 {
		return []string{fmt.Sprintf("%s is up to date: %s", rel, count(n, "component"))}
	}
	return append([]string{fmt.Sprintf("wrote %s: %s changed", rel, count(len(changes), "component"))}, indent(ChangeLines(changes, nil))...)
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

func count(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
