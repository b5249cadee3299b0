// Package workspace holds the workspace benchmark scripts: gen.sh lays out
// AOSP's 1,045 projects as local repositories (nested paths, groups) with
// a repo manifest and a vcstool .repos file; run.sh times meta against
// vcstool on them (fresh and no-op bootstrap, status, exec, lock --check);
// warm.sh times warm status and no-op bootstrap of several meta binaries,
// interleaved; summary.sh prints medians. Results are in RESULTS.md.
package workspace
