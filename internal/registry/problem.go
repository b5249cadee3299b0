package registry

import "fmt"

// Problem is an error that tells the user the next step. Usage marks a
// mistake in how meta was called or in its input (the CLI exits 2 for
// it); otherwise it is an ordinary failure.
type Problem struct {
	Err   error
	Hint  string
	Usage bool
}

func (p *Problem) Error() string { return p.Err.Error() }
func (p *Problem) Unwrap() error { return p.Err }

// Usagef formats a usage Problem with hint.
func Usagef(hint, format string, args ...any) error {
	return &Problem{Err: fmt.Errorf(format, args...), Hint: hint, Usage: true}
}

// Failf formats a failure Problem with hint.
func Failf(hint, format string, args ...any) error {
	return &Problem{Err: fmt.Errorf(format, args...), Hint: hint}
}

// WithHint gives err the hint, as a failure Problem.
func WithHint(err error, hint string) error {
	return &Problem{Err: err, Hint: hint}
}
