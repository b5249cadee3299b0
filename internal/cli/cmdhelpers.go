package cli

// Small helpers shared by many commands: command constructors that map
// registry problems to exit codes, output helpers, and renderers.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/term"
)

// command is a cobra command whose registry.Problems exit with their hints (and code).
func command(use, short string, args cobra.PositionalArgs, run func(*cobra.Command, []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: args, RunE: func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if p := (*registry.Problem)(nil); errors.As(err, &p) {
			return &exitError{code: map[bool]int{false: ExitError, true: ExitUsage}[p.Usage], err: err, hint: p.Hint}
		}
		return err
	}}
}

// sessionCommand is command with --registry NAME, whose session (opened on use) run gets.
func (a *app) sessionCommand(use, short string, args cobra.PositionalArgs, run func(*cobra.Command, []string, *registry.Session) error) *cobra.Command {
	var name string
	cmd := command(use, short, args, func(cmd *cobra.Command, args []string) error {
		return run(cmd, args, registry.NewSession(a.dir, name, os.Getenv, a.warnings()))
	})
	cmd.Flags().StringVar(&name, "registry", "", "registry `NAME` (default: default)")
	return cmd
}

// jsonFlag adds --json to cmd.
func jsonFlag(cmd *cobra.Command, asJSON *bool) *cobra.Command {
	cmd.Flags().BoolVar(asJSON, "json", false, "print JSON")
	return cmd
}

// warnings shows an operation's notes as warnings.
func (a *app) warnings() progress.Sink {
	return progress.Func(func(e progress.Event) {
		if e.Kind == progress.Noted {
			a.warnf("%s", e.Status)
		}
	})
}

// then returns err, or calls show and returns nil when err is nil.
func then(err error, show func()) error {
	if err == nil {
		show()
	}
	return err
}

// output returns err, or prints v as JSON when asJSON, else text().
func (a *app) output(err error, asJSON bool, v any, text func() string) error {
	switch {
	case err != nil:
		return err
	case asJSON:
		return a.printJSON(v)
	}
	a.printf("%s", text())
	return nil
}

// writeLines writes each of lines to w after indent.
func writeLines(w io.Writer, indent string, lines []string) {
	for _, l := range lines {
		fmt.Fprintf(w, "%s%s\n", indent, l)
	}
}

// printAll prints each line.
func (a *app) printAll(lines []string) { writeLines(a.out(), "", lines) }

// linesText is each of lines with a newline.
func linesText(lines []string) string {
	var b strings.Builder
	writeLines(&b, "", lines)
	return b.String()
}

// when is s when cond holds, else "".
func when(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

// blockRenderer shows per-component blocks of output as each finishes,
// with the running components in a live region on a terminal; nothing
// for --json.
func (a *app) blockRenderer(asJSON bool, describe func(progress.Event) string) *term.Renderer {
	w := a.out()
	if asJSON {
		w = io.Discard
	}
	r := term.NewRenderer(w, a.verbose, nil, describe)
	r.Block = true
	return r
}

// compNames lists the components' names.
func compNames(comps []*manifest.Component) []string {
	return mapSlice(comps, func(c *manifest.Component) string { return c.Name })
}

// mapSlice is f applied to each element of s.
func mapSlice[T, U any](s []T, f func(T) U) []U {
	out := make([]U, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// loadSelected loads the manifest and the components names and groups select.
func (a *app) loadSelected(names, groups []string) (*manifest.Manifest, []*manifest.Component, error) {
	m, err := a.loadManifest()
	if err != nil {
		return nil, nil, err
	}
	comps, err := selectWithGroups(m, names, groups)
	return m, comps, err
}
