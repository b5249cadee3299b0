package workspace

import "github.com/metawork/meta/internal/git"

// TraceGit makes every git command that meta starts, in any package, call
// f first with its directory and arguments (for -v). Call it before any
// work starts.
func TraceGit(f func(dir string, args []string)) { git.Trace = f }
