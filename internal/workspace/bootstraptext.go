package workspace

import "github.com/metawork/meta/internal/term"

// DoneText is the status a finished bootstrap of one component shows;
// a failure is "interrupted" when the run was.
func (r BootstrapResult) DoneText(pal term.Palette, interrupted bool) string {
	switch {
	case interrupted && r.Action == Failed:
		return "interrupted"
	case r.Action == Cloned:
		return pal.Green("cloned") + " at " + r.Checkout
	case r.Action == Present:
		return "present (" + r.Checkout + ")"
	}
	return pal.Red("failed")
}
