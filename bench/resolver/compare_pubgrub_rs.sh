#!/usr/bin/env bash
# Times meta's solver against pubgrub-rs on pubgrub-rs's own benchmark: the
# large_case registry (../shared/fixtures/resolver), every (package,
# version) resolved as the root once per iteration, 593 solvable and 48 not.
#
# Both sides are whole processes with the same shape: pubgrub-rs's pgbench
# harness (../shared/peers/pubgrub-rs-bench.tar.gz, built natively and
# offline) and meta's bench/resolver/cmd/largecase. Each loads the .ron
# file, runs WARMUP untimed iterations, then ITERS timed ones, and prints
# the median wall time per iteration and the process's CPU time (user +
# system, all threads) per iteration. The two are run interleaved, A B A B
# (the order swapped every other round), for ROUNDS rounds; the script
# prints the median over rounds of each column and the ratio meta/pubgrub-rs.
#
# Usage: bench/resolver/compare_pubgrub_rs.sh [ROUNDS] [ITERS] [WARMUP]
#        (defaults 7, 30, 3). The built harness is kept in
#        ${XDG_CACHE_HOME:-~/.cache}/meta-bench/, keyed by the tarball's sha256.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-7}
iters=${2:-30}
warm=${3:-3}
shared=${META_SHARED:-$(cd .. && pwd)/shared}
tarball=$shared/peers/pubgrub-rs-bench.tar.gz
ron=$shared/fixtures/resolver/large_case_u16_NumberVersion.ron
for f in "$tarball" "$ron"; do
  [ -f "$f" ] || { echo "missing $f (set META_SHARED to the shared directory)" >&2; exit 1; }
done
command -v cargo >/dev/null || { echo "cargo not installed (the harness is built from source)" >&2; exit 1; }

sum=$(sha256sum "$tarball" | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/meta-bench/pubgrub-rs-$sum
pg=$cache/pubgrub-rs-bench/pgbench/target/release/pgbench
if [ ! -x "$pg" ]; then
  echo "== building pubgrub-rs's harness in $cache (offline, vendored crates)"
  rm -rf "$cache" && mkdir -p "$cache"
  tar xzf "$tarball" -C "$cache"
  "$cache/pubgrub-rs-bench/build.sh" >"$cache/build.log" 2>&1 || { tail -20 "$cache/build.log" >&2; exit 1; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== building meta's harness (bench/resolver/cmd/largecase)"
go build -o "$work/largecase" ./bench/resolver/cmd/largecase

# field NAME LINE prints the value of NAME=value in a harness's output line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

run() { # run SIDE: one whole process, appends "median cpu mean" to $work/SIDE
  local out
  case $1 in
    rust) out=$("$pg" bench "$ron" "$iters" "$warm") ;;
    go) out=$("$work/largecase" bench "$ron" "$iters" "$warm") ;;
  esac
  if [ "$(field solvable "$out")/$(field unsolvable "$out")" != 593/48 ]; then
    echo "$1: unexpected counts: $out" >&2
    exit 1
  fi
  echo "$(field median_ms "$out") $(field cpu_ms "$out") $(field mean_ms "$out")" >>"$work/$1"
  printf '  %-4s %s\n' "$1" "$out"
}

echo "== $rounds rounds × $iters iterations (+$warm warm-up), interleaved; load before: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then run rust; run go; else run go; run rust; fi
done
echo "== load after: $(uptime | sed 's/.*load average: //')"

med() { # med COLUMN FILE: median of a column
  cut -d' ' -f"$1" "$2" | sort -g | awk '{a[NR]=$1} END{if(NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'
}
rw=$(med 1 "$work/rust"); rc=$(med 2 "$work/rust"); rm_=$(med 3 "$work/rust")
gw=$(med 1 "$work/go"); gc=$(med 2 "$work/go"); gm=$(med 3 "$work/go")
echo "== medians over $rounds rounds, per loop of 641 solves"
printf '%-22s %12s %12s %12s\n' "" "wall median" "wall mean" "CPU"
printf '%-22s %9.3f ms %9.3f ms %9.3f ms\n' "pubgrub-rs (pgbench)" "$rw" "$rm_" "$rc"
printf '%-22s %9.3f ms %9.3f ms %9.3f ms\n' "meta (cmd/largecase)" "$gw" "$gm" "$gc"
awk -v gw="$gw" -v rw="$rw" -v gc="$gc" -v rc="$rc" -v gm="$gm" -v rm="$rm_" \
  'BEGIN{printf "%-22s %11.2fx %11.2fx %11.2fx\n", "ratio meta/pubgrub-rs", gw/rw, gm/rm, gc/rc}'
