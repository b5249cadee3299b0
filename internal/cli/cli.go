// Package cli wires meta's commands: flags, arguments, output and exit
// codes. It is the only package that prints; everything below it returns
// values and errors.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/userconfig"
	"github.com/metawork/meta/internal/yamlpos"
)

// Exit codes (DESIGN §4).
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitCheckFailed = 3
	ExitInterrupted = 130
)

// Version is set at build time with -ldflags "-X github.com/metawork/meta/internal/cli.Version=...".
var Version = "dev"

// exitError carries an exit code and an optional hint with an error.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is a mistake in how meta was called or in its input files: exit 2.
func usageError(err error, hint string) error {
	return &exitError{code: ExitUsage, err: err, hint: hint}
}

// usagef formats a usage error.
func usagef(hint, format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

// failf formats an ordinary error (exit 1) with a hint.
func failf(hint, format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...), hint: hint}
}

// withHint attaches a hint to err, keeping its exit code.
func withHint(err error, hint string) error {
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.hint == "" {
			ee.hint = hint
		}
		return ee
	}
	return &exitError{code: ExitError, err: err, hint: hint}
}

// errCheckFailed is returned by commands whose check found problems after
// they have printed the problems themselves: exit 3, nothing more printed.
var errCheckFailed = &exitError{code: ExitCheckFailed, err: errors.New("check found problems")}

// errSilent reports failure (exit 1) after the command already printed why.
var errSilent = &exitError{code: ExitError, err: errors.New("failed")}

// app holds what every command shares: streams and global flags.
type app struct {
	stdio   term.Streams
	dir     string // -C
	pal     term.Palette
	verbose bool
	user    userconfig.Config // the user's own settings
	ctx     context.Context   // Main's: done on SIGINT/SIGTERM
}

func (a *app) out() io.Writer  { return a.stdio.Out }
func (a *app) errw() io.Writer { return a.stdio.Err }

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.stdio.Out, format, args...) }

// printJSON writes v to stdout as indented JSON: what every --json prints.
func (a *app) printJSON(v any) error {
	// What json.Encoder with SetIndent writes, but indented into a buffer
	// sized up front: large reports (deps audit --json) then cost one
	// allocation instead of a chain of regrowths.
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	// Indenting adds about half again for nested objects; one buffer of
	// twice the size avoids the regrowths (and their clearing) entirely.
	var out bytes.Buffer
	out.Grow(2*len(data) + 1)
	if err := json.Indent(&out, data, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = a.stdio.Out.Write(out.Bytes())
	return err
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stdio.Err, "meta: warning: "+format+"\n", args...)
}

// warnAll prints each message as a warning.
func (a *app) warnAll(msgs []string) { writeLines(a.stdio.Err, "meta: warning: ", msgs) }

// Main runs meta with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdio term.Streams) int {
	a := &app{stdio: stdio, pal: term.Palette{On: term.Color(stdio.Err)}, ctx: ctx}
	if uc, err := userconfig.Load(userconfig.Path(os.Getenv)); err != nil {
		fmt.Fprintf(stdio.Err, "meta: warning: %v (ignoring your user config)\n", err)
	} else {
		a.user, a.pal.On = uc, uc.ColorOn(a.pal.On)
	}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	return a.report(ctx, err)
}

// report prints err once, as "meta: what: why" plus a hint, and returns the exit code.
func (a *app) report(ctx context.Context, err error) int {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		fmt.Fprintln(a.stdio.Err, "meta: interrupted")
		return ExitInterrupted
	}
	code, hint := ExitError, ""
	var ee *exitError
	if errors.As(err, &ee) {
		code, hint = ee.code, ee.hint
		if ee == errCheckFailed || ee == errSilent {
			return code
		}
	}
	var ye *yamlpos.Error
	if errors.As(err, &ye) {
		code = ExitUsage
		if hint == "" {
			hint = ye.Hint
		}
	}
	var fe *flagError
	msg := err.Error()
	if errors.As(err, &fe) {
		code = ExitUsage
		if hint == "" {
			hint = fe.hint
		}
	} else if strings.HasPrefix(msg, "unknown command ") {
		// cobra reports unknown subcommands as plain errors, with its
		// suggestions on further lines.
		code = ExitUsage
		first, rest, _ := strings.Cut(msg, "\n")
		msg = first
		var sugg []string
		for _, l := range strings.Split(rest, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasSuffix(l, "?") {
				sugg = append(sugg, "'meta "+l+"'")
			}
		}
		if hint == "" {
			hint = "run 'meta help' to see the commands"
			if len(sugg) > 0 {
				hint = "did you mean " + strings.Join(sugg, " or ") + "?"
			}
		}
	}
	if !strings.HasPrefix(msg, "meta: ") {
		msg = "meta: " + msg
	}
	fmt.Fprintln(a.stdio.Err, msg)
	if hint != "" {
		fmt.Fprintln(a.stdio.Err, "hint: "+hint)
	}
	return code
}

// flagError marks cobra's own argument and flag errors as usage errors.
type flagError struct {
	err  error
	hint string
}

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

// Getwd is os.Getwd, replaceable by tests.
var getwd = os.Getwd
