// Package workspace holds the workspace benchmarks: gen.sh makes 100
// repositories with 200 commits and 10 tags each, compare.sh times meta
// against vcstool and a bare "xargs -P 8 git clone" loop with hyperfine,
// and the Go benchmarks below time status and no-op bootstrap in-process.
package workspace
