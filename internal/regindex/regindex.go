// Package regindex is what a registry publishes and a resolver reads: the
// sparse index (one JSON line per version, each package's file path),
// the rules for package names and versions, and the minisign signatures
// of tarballs. It depends on no network or storage code, so that a
// provider resolving from an index does not link the registry's server,
// client and storage backends (package registry), and starts as fast as
// a small program.
package regindex

import "errors"

// ErrPackageNotFound is returned (wrapped) when the registry has no such package.
var ErrPackageNotFound = errors.New("package not found")
