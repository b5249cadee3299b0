package workspace

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/metawork/meta/internal/manifest"
)

// RootError says why no meta repository was found for a directory, and
// what to do: it is a mistake in where meta was started (Usage).
type RootError struct {
	Err error
	Fix string
}

func (e *RootError) Error() string { return e.Err.Error() }
func (e *RootError) Unwrap() error { return e.Err }
func (e *RootError) Hint() string  { return e.Fix }
func (e *RootError) Usage() bool   { return true }

// FindMetaRoot finds the meta repository for wd: the one enclosing it,
// else, when started in the folder that holds the checkouts, the only
// meta repository directly below it. Not finding one, or finding several
// below, is a *RootError.
func FindMetaRoot(wd string) (string, error) {
	root, err := manifest.Find(wd)
	if !errors.Is(err, manifest.ErrNotFound) {
		return root, err
	}
	below := MetaReposBelow(wd)
	if len(below) == 1 {
		return below[0], nil
	} else if len(below) == 0 {
		return "", &RootError{Err: fmt.Errorf("%s: %v", wd, err),
			Fix: "run 'meta init' to start a workspace here, 'meta quickstart DIR' for a sample, or use -C DIR"}
	}
	var rel []string
	for _, b := range below {
		rel = append(rel, filepath.Base(b))
	}
	return "", &RootError{Err: fmt.Errorf("%s holds %d meta repositories: %s", wd, len(below), strings.Join(rel, ", ")),
		Fix: "pick one with -C, e.g. 'meta -C " + rel[0] + " status'"}
}
