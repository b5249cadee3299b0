#!/usr/bin/env bash
# Times Cargo's resolver against meta's on the same generated registry of
# 10,000 packages × 20 versions (bench/resolver/synthetic_test.go:generate),
# both as whole processes, interleaved, same files, same root dependencies.
#
# The registry is written as a Cargo local-registry (index files; the
# .crate tarballs, which resolution never reads, are left out unless
# META_CARGO_CRATES=1) with a project depending on
# its first 50 packages and `[source.crates-io] replace-with` pointing at
# it. Cargo's side is `cargo generate-lockfile --offline` in that project
# (Cargo.lock removed first). meta's side is bench/resolver/cmd/cargoresolve:
# the project's [dependencies] resolved through meta's registry provider
# (regsource.Registry) reading the same index files, the answer written to a
# file. Both are timed by bench/resolver/cmd/proctime (wall, and user +
# system CPU of the process and its children), A B A B with the order
# swapped every other round; the script prints the medians and the ratios.
# The two answers are compared package by package first.
#
# Usage: bench/resolver/cargo_compare.sh [ROUNDS]   (default 7)
set -euo pipefail
export LC_ALL=C   # sort and comm in byte order, as Go sorts names
cd "$(dirname "$0")/../.."
rounds=${1:-7}
command -v cargo >/dev/null || { echo "cargo not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_HOME="$work/cargo-home"   # no user config, no network
mkdir -p "$CARGO_HOME"

echo "== writing the registry to $work"
# 10,000 index files (and 200,000 tarballs with META_CARGO_CRATES=1): slow
# on a busy machine, hence no test timeout.
crates=false
[ "${META_CARGO_CRATES:-}" = 1 ] && crates=true
go test ./bench/resolver -run '^TestWriteCargoRegistry$' -count=1 -timeout 0 -args -cargo-registry "$work" -cargo-crates="$crates" >"$work/write.log" ||
  { tail -20 "$work/write.log" >&2; exit 1; }
go build -o "$work/cargoresolve" ./bench/resolver/cmd/cargoresolve
go build -o "$work/proctime" ./bench/resolver/cmd/proctime
proj="$work/project"
index="$work/registry/index"

cargo_run() { (cd "$proj" && rm -f Cargo.lock && "$work/proctime" "$work/cargo.times" cargo generate-lockfile --offline --quiet); }
meta_run() { "$work/proctime" "$work/meta.times" "$work/cargoresolve" "$index" "$proj/Cargo.toml" "$work/meta-answer.txt"; }

# The answers: Cargo.lock has a name line then a version line per package.
cargo_run
meta_run
rm -f "$work/cargo.times" "$work/meta.times"
awk '/^name = "gen-/{n=$3} /^version = /{if(n){gsub(/"/,"",n); v=$3; gsub(/"/,"",v); print n, v; n=""}}' "$proj/Cargo.lock" | sort >"$work/cargo-answer.txt"
differ=$(comm -3 "$work/meta-answer.txt" "$work/cargo-answer.txt" | wc -l)
echo "packages chosen: cargo $(wc -l <"$work/cargo-answer.txt"), meta $(wc -l <"$work/meta-answer.txt"); lines differing: $differ"
if ! cmp -s "$work/meta-answer.txt" "$work/meta-solution.txt"; then
  echo "cmd/cargoresolve's answer differs from the in-memory solve of the same registry" >&2
  exit 1
fi

echo "== $rounds rounds, interleaved; load before: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then cargo_run; meta_run; else meta_run; cargo_run; fi
  printf '  round %d: cargo %s ms, meta %s ms (wall cpu)\n' "$r" "$(tail -1 "$work/cargo.times")" "$(tail -1 "$work/meta.times")"
done
echo "== load after: $(uptime | sed 's/.*load average: //')"

med() { # med COLUMN FILE
  cut -d' ' -f"$1" "$2" | sort -g | awk '{a[NR]=$1} END{if(NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'
}
cw=$(med 1 "$work/cargo.times"); cc=$(med 2 "$work/cargo.times")
mw=$(med 1 "$work/meta.times"); mc=$(med 2 "$work/meta.times")
echo "== medians over $rounds rounds, whole processes"
printf '%-40s %10s %10s\n' "" "wall" "CPU"
printf '%-40s %7.1f ms %7.1f ms\n' "cargo generate-lockfile --offline" "$cw" "$cc"
printf '%-40s %7.1f ms %7.1f ms\n' "meta (cmd/cargoresolve, regsource.Registry)" "$mw" "$mc"
awk -v cw="$cw" -v cc="$cc" -v mw="$mw" -v mc="$mc" \
  'BEGIN{printf "%-40s %9.1fx %9.1fx\n", "cargo/meta", cw/mw, cc/mc}'
