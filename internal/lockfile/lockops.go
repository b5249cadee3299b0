package lockfile

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
)

// PromoteChecked is Promote for 'meta lock promote': a stale source lock
// is refused too ("(src lock)": what changed), and promoted git
// components without a repo take the manifest's.
func PromoteChecked(src *File, m *manifest.Manifest, srcEnv, dst string) (*File, []Refusal) {
	out, refused := Promote(src, m, srcEnv, dst)
	for _, w := range Stale(src, m, srcEnv) {
		refused = append(refused, Refusal{Name: "(" + srcEnv + " lock)", Reason: "stale: " + w})
	}
	for n, c := range out.Components {
		if mc, ok := m.Components[n]; ok && c.Repo == "" && !c.FromRegistry() {
			c.Repo = mc.Repo
		}
	}
	out.PromotedFrom = srcEnv
	return out, refused
}

// MovedTags lists the components whose locked tag in old now names
// another commit in new: same version, same tag, different commit.
func MovedTags(old, new *File) []Change {
	var out []Change
	for _, ch := range Compare(old, new) {
		if ch.Kind == Changed && ch.Old.Version != "" && ch.Old.Version == ch.New.Version && ch.Old.Ref == ch.New.Ref {
			out = append(out, ch)
		}
	}
	return out
}

// Check lists what is wrong with f without asking any remote: a stale
// manifest digest ("(manifest)"), and components that environment env of
// m does not admit.
func Check(f *File, m *manifest.Manifest, env string) []Problem {
	var probs []Problem
	for _, w := range Stale(f, m, env) {
		probs = append(probs, Problem{Name: "(manifest)", Msg: "stale: " + w})
	}
	for _, r := range Violations(f, m, env) {
		probs = append(probs, Problem{Name: r.Name, Msg: r.Reason,
			Hint: "run 'meta lock" + envFlag(env) + " --update " + r.Name + "' to lock what " + envLabel(env) + " admits"})
	}
	return probs
}

// envLabel names an environment in prose.
func envLabel(env string) string {
	if env == "" {
		return "the manifest"
	}
	return "environment " + env
}

// Pin is what pins c, shortened: its commit, or for a registry component
// the registry and the tarball's checksum.
func (c *Component) Pin() string {
	if c.FromRegistry() {
		sum := strings.TrimPrefix(c.Checksum, "sha256:")
		if len(sum) > 12 {
			sum = sum[:12]
		}
		return "(registry " + c.Registry + ", sha256 " + sum + ")"
	}
	return short(c.Commit)
}

// NameWidth is the width of the name column of a listing of names: 20,
// or the longest name when one is longer.
func NameWidth(names []string) int {
	w := 20
	for _, n := range names {
		w = max(w, len(n))
	}
	return w
}

// Lines lists f's components, one line each: name (padded), what is
// locked, and its pin.
func (f *File) Lines() []string {
	var out []string
	w := NameWidth(f.Names())
	for _, n := range f.Names() {
		c := f.Components[n]
		out = append(out, fmt.Sprintf("%-*s %s %s", w, n, c.Describe(), c.Pin()))
	}
	return out
}

// ChangeLines renders changes one per line ("+ name  1.2.0 abc…", "-",
// "~ old → new"), each followed by its commit subjects from logs,
// indented.
func ChangeLines(changes []Change, logs map[string][]string) []string {
	names := make([]string, len(changes))
	for i, ch := range changes {
		names[i] = ch.Name
	}
	w := NameWidth(names)
	var out []string
	for _, ch := range changes {
		switch ch.Kind {
		case Added:
			out = append(out, fmt.Sprintf("+ %-*s %s %s", w, ch.Name, ch.New.Describe(), ch.New.Pin()))
		case Removed:
			out = append(out, fmt.Sprintf("- %-*s %s %s", w, ch.Name, ch.Old.Describe(), ch.Old.Pin()))
		default:
			out = append(out, fmt.Sprintf("~ %-*s %s %s → %s %s", w, ch.Name, ch.Old.Describe(), ch.Old.Pin(), ch.New.Describe(), ch.New.Pin()))
		}
		for _, l := range logs[ch.Name] {
			out = append(out, "      "+l)
		}
	}
	return out
}

// LoggedChange is a change with the subjects of the commits between its
// two locked commits, for JSON.
type LoggedChange struct {
	Change
	Log []string `json:"log,omitempty"`
}

// WithLogs pairs each change with its log from logs (never nil).
func WithLogs(changes []Change, logs map[string][]string) []LoggedChange {
	out := []LoggedChange{}
	for _, ch := range changes {
		out = append(out, LoggedChange{ch, logs[ch.Name]})
	}
	return out
}
