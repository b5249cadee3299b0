package resolve

import (
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/pubgrub"
)

// Keeping is o set to keep keep's versions and commits (but unlock's)
// while they stay valid: strategy first when there is a lock to keep,
// latest otherwise.
func Keeping(o Options, keep *lockfile.File, unlock map[string]bool) Options {
	o.Strategy = pubgrub.Latest
	if keep != nil {
		o.Strategy = pubgrub.First
	}
	o.Locked, o.LockedRefs = LockedVersions(keep, unlock), LockedCommits(keep, unlock)
	return o
}
