package store

import "errors"

// HintedError is a store error with the hint meta shows under it; Usage
// says the mistake is in how meta was called.
type HintedError struct {
	Err      error
	Fix      string
	BadUsage bool
}

func (e *HintedError) Error() string { return e.Err.Error() }
func (e *HintedError) Unwrap() error { return e.Err }

// Hint says how to get past the error.
func (e *HintedError) Hint() string { return e.Fix }

// Usage reports whether the mistake is in how meta was called.
func (e *HintedError) Usage() bool { return e.BadUsage }

// Hinted gives a damaged or missing entry's error its hint; other errors
// are returned as they are.
func Hinted(err error) error {
	switch {
	case errors.Is(err, ErrCorrupt):
		return &HintedError{Err: err, Fix: "run 'meta store verify' to list damaged entries; re-add the tree to repair it"}
	case errors.Is(err, ErrNotFound):
		return &HintedError{Err: err, Fix: "see 'meta store list' for the entries there are"}
	}
	return err
}

// ResolveArg is Resolve for a hash given on the command line: its errors
// carry hints (a malformed or ambiguous hash is a usage mistake).
func (s *Store) ResolveArg(arg string) (string, error) {
	h, err := s.Resolve(arg)
	switch {
	case err == nil:
		return h, nil
	case errors.Is(err, ErrNotFound):
		return "", Hinted(err)
	case errors.Is(err, ErrAmbiguous):
		return "", &HintedError{Err: err, Fix: "give more hex digits of the hash", BadUsage: true}
	}
	return "", &HintedError{Err: err, Fix: "a hash is 64 hex digits, optionally prefixed with sha256:", BadUsage: true}
}
