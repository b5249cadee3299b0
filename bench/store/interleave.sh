#!/usr/bin/env bash
# Interleaved, whole-process comparison of 'meta store add/get' with
# nix-store --add and cp -a, on one of two generated tree shapes:
#
#   SHAPE=small  a node_modules-shaped tree of FILES small files (default 72000)
#   SHAPE=large  SIZE bytes of mostly large files (default 1GiB)
#
# Each round runs every command once, in the same order (A B C D, A B C D,
# ...), from an empty destination; the medians of ROUNDS rounds (default 5)
# of wall, user and system time are printed with the load average.
# META_OLD=path adds a second meta binary (e.g. before a change) to each
# round.
#
# Needs: go, GNU time (/usr/bin/time), nix-store (Debian nix-bin; skipped
# when absent, no daemon: --store local?root=DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
SHAPE=${SHAPE:-small}
FILES=${FILES:-72000}
SIZE=${SIZE:-1GiB}
ROUNDS=${ROUNDS:-5}
W=$(mktemp -d "${TMPDIR:-/tmp}/meta-store-il.XXXXXX")
OUT=${OUT:-$W/times}   # OUT=DIR keeps the raw times after the run
mkdir -p "$OUT"
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT
go build -o "$W/meta" ./cmd/meta
if [ "$SHAPE" = small ]; then
  go run ./bench/store/gentree -small "$FILES" -out "$W/tree"
else
  go run ./bench/store/gentree -size "$SIZE" -out "$W/tree"
fi
echo "tree: $SHAPE, $(find "$W/tree" -type f | wc -l) files, $(du -sh --apparent-size "$W/tree" | cut -f1)" >&2
wipe() { chmod -R u+w "$@" 2>/dev/null || true; rm -rf "$@"; }
t() { # name cmd... → appends "wall user sys" to $W/name.times
  local name=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$W/$name.one" "$@" >/dev/null 2>"$W/$name.err" || { cat "$W/$name.err" >&2; exit 1; }
  cat "$W/$name.one" >> "$OUT/$name.times"
}
names=()
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  wipe "$W/st"; t meta-add env META_STORE="$W/st" "$W/meta" store add tree --source "$W/tree"
  if [ -n "${META_OLD:-}" ]; then wipe "$W/st-old"; t meta-old-add env META_STORE="$W/st-old" "$META_OLD" store add tree --source "$W/tree"; fi
  if command -v nix-store >/dev/null; then wipe "$W/nix"; t nix-add nix-store --store "local?root=$W/nix" --add "$W/tree"; fi
  H=$(META_STORE="$W/st" "$W/meta" store add tree --source "$W/tree")
  wipe "$W/out"; t meta-get env META_STORE="$W/st" "$W/meta" store get "$H" --target "$W/out"
  if [ -n "${META_OLD:-}" ]; then wipe "$W/out"; t meta-old-get env META_STORE="$W/st-old" "$META_OLD" store get "$H" --target "$W/out"; fi
  wipe "$W/copy"; t cp-a cp -a "$W/st/${H:0:2}/$H" "$W/copy"
done
echo "medians of $ROUNDS interleaved rounds (wall user sys, seconds); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$OUT"/*.times; do
  n=$(basename "$f" .times)
  printf '%-14s' "$n"
  for col in 1 2 3; do
    printf ' %8s' "$(cut -d' ' -f$col "$f" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
  done
  echo
done
