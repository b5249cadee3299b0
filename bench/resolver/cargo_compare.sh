#!/usr/bin/env bash
# Times Cargo's resolver against meta's on the same generated registry of
# 10,000 packages × 20 versions (bench/resolver/synthetic_test.go:generate).
#
# The registry is written as a Cargo local-registry (index files plus small
# .crate tarballs whose sha256 is in the index) with a project depending on
# its first 50 packages and `[source.crates-io] replace-with` pointing at
# it; then `cargo generate-lockfile --offline` is timed (hyperfine when
# installed, else a loop of `date` stamps; the fastest run is compared,
# since a shared machine only ever slows a run down) next to meta's solver reading the
# same index files (BenchmarkCargoIndex10k) and from memory
# (BenchmarkGenerated10k). Both answers are compared package by package.
#
# Usage: bench/resolver/cargo_compare.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
command -v cargo >/dev/null || { echo "cargo not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_HOME="$work/cargo-home"   # no user config, no network
mkdir -p "$CARGO_HOME"

echo "== writing the registry to $work"
go test ./bench/resolver -run '^TestWriteCargoRegistry$' -count=1 -args -cargo-registry "$work" >/dev/null

proj="$work/project"
(cd "$proj" && cargo generate-lockfile --offline --quiet)
cargo_pkgs=$(grep -c '^name = "gen-' "$proj/Cargo.lock")
meta_pkgs=$(wc -l <"$work/meta-solution.txt")
# Cargo.lock: name line then version line.
awk '/^name = "gen-/{n=$3} /^version = /{if(n){gsub(/"/,"",n); v=$3; gsub(/"/,"",v); print n, v; n=""}}' "$proj/Cargo.lock" | sort >"$work/cargo-solution.txt"
differ=$(comm -3 <(sort "$work/meta-solution.txt") "$work/cargo-solution.txt" | wc -l)
echo "packages chosen: cargo $cargo_pkgs, meta $meta_pkgs; lines differing: $differ"

echo "== cargo generate-lockfile --offline ($runs runs)"
if command -v hyperfine >/dev/null; then
  hyperfine --runs "$runs" --warmup 1 --export-json "$work/hf.json" \
    "cd '$proj' && rm -f Cargo.lock && cargo generate-lockfile --offline --quiet"
  # The fastest run: the least disturbed by other load on the machine.
  cargo_ms=$(python3 -c "import json;print(json.load(open('$work/hf.json'))['results'][0]['min']*1000)")
else
  best=
  for _ in $(seq "$runs"); do
    rm -f "$proj/Cargo.lock"
    start=$(date +%s%N)
    (cd "$proj" && cargo generate-lockfile --offline --quiet)
    end=$(date +%s%N)
    t=$((end - start))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  cargo_ms=$(awk -v t="$best" 'BEGIN{printf "%.1f", t/1e6}')
fi
echo "cargo (fastest run): ${cargo_ms} ms"

echo "== meta (go test -bench)"
out=$(META_CARGO_REGISTRY="$work" go test ./bench/resolver -run '^$' -bench 'Generated10k$|CargoIndex10k$' -benchtime "${runs}x" -count=1)
echo "$out" | grep Benchmark
mem_ms=$(echo "$out" | awk '/BenchmarkGenerated10k/{print $3/1e6}')
idx_ms=$(echo "$out" | awk '/BenchmarkCargoIndex10k/{print $3/1e6}')
awk -v c="$cargo_ms" -v i="$idx_ms" -v m="$mem_ms" 'BEGIN{
  printf "meta reading the index: %.1f ms (%.1fx faster than cargo)\n", i, c/i
  printf "meta from memory:       %.1f ms (%.1fx faster than cargo)\n", m, c/m
}'
