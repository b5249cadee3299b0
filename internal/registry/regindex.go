package registry

import "github.com/metawork/meta/internal/regindex"

// The index format, names and signatures live in package regindex, which
// resolvers import without the server and client; these keep the
// registry's own code and its callers reading as before.
type (
	IndexEntry  = regindex.IndexEntry
	Dep         = regindex.Dep
	IndexConfig = regindex.IndexConfig
)

const (
	IndexFormat  = regindex.IndexFormat
	MaxIndexLine = regindex.MaxIndexLine
	MaxNameLen   = regindex.MaxNameLen
)

var (
	ErrPackageNotFound = regindex.ErrPackageNotFound
	ErrUnsigned        = regindex.ErrUnsigned
)
