// Package run owns the one way meta starts external programs: argument
// vectors (never a shell), context cancellation, stderr kept in errors, and
// a hook tests can use to observe or replace what is run.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Cmd describes one program invocation.
type Cmd struct {
	Args   []string  // program and arguments; Args[0] is looked up on PATH
	Dir    string    // working directory; empty means the current one
	Env    []string  // extra KEY=VALUE pairs appended to the inherited environment
	Stdin  io.Reader // optional
	Stdout io.Writer // optional; when nil, output is captured and returned
	Stderr io.Writer // optional; stderr is always also kept for the error.
	// When Stdout and Stderr are the same writer, the program gets one pipe
	// for both, so their order is kept.

	// Environ, when not nil, replaces the inherited environment (Env is
	// still appended): for builds that must see only what they declare.
	Environ []string
}

// Error is returned when a program fails; it keeps what the program said.
type Error struct {
	Args     []string
	Dir      string
	ExitCode int // -1 when the program did not start or was killed
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("%s: %s", strings.Join(quoteArgs(e.Args), " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"") {
			out[i] = fmt.Sprintf("%q", a)
		} else {
			out[i] = a
		}
	}
	return out
}

// Hook, when set (tests only), is called before each command starts.
// Returning a non-nil error makes the command fail with that error.
type Hook func(c *Cmd) error

var hook Hook

// SetHook installs h for the duration of a test and returns a function that
// removes it.
func SetHook(h Hook) (restore func()) {
	old := hook
	hook = h
	return func() { hook = old }
}

// maxKeptStderr bounds how much stderr is kept in an error.
const maxKeptStderr = 64 << 10

// Output runs c and returns its standard output. On failure the error is an
// *Error carrying the program's stderr.
func Output(ctx context.Context, c Cmd) ([]byte, error) {
	if len(c.Args) == 0 {
		return nil, errors.New("run: empty command")
	}
	if hook != nil {
		if err := hook(&c); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	switch {
	case c.Environ != nil:
		cmd.Env = append(append([]string{}, c.Environ...), c.Env...)
	case len(c.Env) > 0:
		cmd.Env = append(os.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	// Kill the whole process group on cancellation so that children (git's
	// remote helpers, a build's compilers) do not outlive us.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	var stderr limitedBuffer
	switch {
	case c.Stdout != nil && c.Stdout == c.Stderr:
		// One writer for both streams: give the program a single pipe so
		// that its output keeps the order it was written in.
		w := io.MultiWriter(c.Stdout, &stderr)
		cmd.Stdout, cmd.Stderr = w, w
	default:
		if c.Stdout != nil {
			cmd.Stdout = c.Stdout
		} else {
			cmd.Stdout = &stdout
		}
		if c.Stderr != nil {
			cmd.Stderr = io.MultiWriter(c.Stderr, &stderr)
		} else {
			cmd.Stderr = &stderr
		}
	}
	err := cmd.Run()
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return stdout.Bytes(), &Error{Args: c.Args, Dir: c.Dir, ExitCode: code, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Run runs c, discarding captured standard output.
func Run(ctx context.Context, c Cmd) error {
	_, err := Output(ctx, c)
	return err
}

// LookPath reports whether a program is on PATH and where.
func LookPath(name string) (string, bool) {
	p, err := exec.LookPath(name)
	return p, err == nil
}

// limitedBuffer keeps the last maxKeptStderr bytes written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > maxKeptStderr {
		l.b = l.b[len(l.b)-maxKeptStderr:]
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
