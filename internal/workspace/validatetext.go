package workspace

import (
	"cmp"
	"errors"

	"github.com/metawork/meta/internal/yamlpos"
)

// Lines are r as 'meta validate' prints it: each problem with its hint,
// then a verdict over components (the manifest's count); noRemote says
// components not cloned were skipped.
func (r Report) Lines(components int, noRemote bool) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, cmp.Or(p.Component, "workspace")+": "+p.Message)
		if p.Hint != "" {
			out = append(out, "  hint: "+p.Hint)
		}
	}
	switch {
	case len(r.Problems) == 0 && noRemote:
		return append(out, "ok: "+Plural(components, "component")+" in the manifest; "+Plural(r.Checked, "checkout")+" checked, "+Plural(r.NotCloned, "component")+" not cloned yet")
	case len(r.Problems) == 0:
		return append(out, "ok: "+Plural(components, "component")+", all present on the expected remotes")
	}
	return append(out, Plural(len(r.Problems), "problem"))
}

// ManifestErrorLines are the errors of a manifest that does not load, as
// meta prints them: each with its hint, then the count.
func ManifestErrorLines(errs []error) []string {
	var out []string
	for _, err := range errs {
		out = append(out, "meta: "+err.Error())
		if ye := (*yamlpos.Error)(nil); errors.As(err, &ye) && ye.Hint != "" {
			out = append(out, "  hint: "+ye.Hint)
		}
	}
	return append(out, Plural(len(errs), "problem")+" in the manifest")
}

// JSON is r as 'meta validate --json' prints it.
func (r Report) JSON() map[string]any {
	return map[string]any{"ok": len(r.Problems) == 0, "problems": append([]Problem{}, r.Problems...)}
}
