#!/bin/sh
# Times the lock-file paths of meta with hyperfine, on workspaces generated
# by TestGenerate: cold `meta lock --update` over 100 components × 20 tags
# (no mirror cached), `meta lock --check` on 200 components, and a no-op
# `meta apply --locked` over 200 clones.
#
#   sh bench/lock/run.sh [DIR]      (default: a new temporary directory)
set -eu
cd "$(dirname "$0")/../.."
dir=${1:-$(mktemp -d)}
go build -o "$dir/meta-bin" ./cmd/meta
[ -d "$dir/git" ] || LOCKBENCH_DIR="$dir" go test -count=1 -run TestGenerate ./bench/lock/
meta="$dir/meta-bin"
hyperfine --warmup 1 --runs 5 \
	--prepare "rm -rf $dir/git/meta/.meta $dir/git/meta/manifests/components.lock.yaml" \
	-n 'cold lock 100x20' "$meta -C $dir/git/meta lock --update"
hyperfine --warmup 1 --runs 5 -n 'warm lock 100x20 (mirrors cached)' "$meta -C $dir/git/meta lock --update"
hyperfine --warmup 3 --runs 20 -n 'lock --check 200' "$meta -C $dir/check/meta lock --check --env prod"
hyperfine --warmup 3 --runs 20 -n 'no-op apply --locked 200' "$meta -C $dir/apply/meta apply --locked"
