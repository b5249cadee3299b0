#!/usr/bin/env bash
# Interleaved, whole-process comparison of 'meta store add/get' with
# nix-store --add and cp -a, on one of two generated tree shapes:
#
#   SHAPE=small  a node_modules-shaped tree of FILES small files (default 72000)
#   SHAPE=large  SIZE bytes of mostly large files (default 1GiB)
#
# Each round runs every command once, the adds then the gets, in reverse
# order every other round (A B C, C B A, ...), into an empty destination;
# the medians of ROUNDS rounds (default 5) of wall, user, system and
# user + system time are printed with the load average.
# META_OLD=path adds a second meta binary (e.g. before a change) to each
# round, META_PREV=path a third (e.g. the previous step).
#
# GETS_ONLY=1 fills the stores once and then times only the gets and cp -a,
# wiping every destination, syncing and waiting 6 s before each command
# (not only before each round), so each one starts from the same state.
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
run() { # one named command of a round
  case $1 in
    meta-add) t meta-add env META_STORE="$W/st" "$W/meta" store add tree --source "$W/tree" ;;
    meta-old-add) t meta-old-add env META_STORE="$W/st-old" "$META_OLD" store add tree --source "$W/tree" ;;
    meta-prev-add) t meta-prev-add env META_STORE="$W/st-prev" "$META_PREV" store add tree --source "$W/tree" ;;
    nix-add) t nix-add nix-store --store "local?root=$W/nix" --add "$W/tree" ;;
    meta-get) t meta-get env META_STORE="$W/st" "$W/meta" store get "$H" --target "$W/out" ;;
    meta-old-get) t meta-old-get env META_STORE="$W/st-old" "$META_OLD" store get "$H" --target "$W/out-old" ;;
    meta-prev-get) t meta-prev-get env META_STORE="$W/st-prev" "$META_PREV" store get "$H" --target "$W/out-prev" ;;
    cp-a) t cp-a cp -a "$W/st/${H:0:2}/$H" "$W/copy" ;;
  esac
}
settle() { wipe "$W/out" "$W/out-old" "$W/out-prev" "$W/copy"; sync; sleep 6; }
if [ -n "${GETS_ONLY:-}" ]; then
  H=$(META_STORE="$W/st" "$W/meta" store add tree --source "$W/tree")
  gets=(meta-get)
  [ -z "${META_OLD:-}" ] || { env META_STORE="$W/st-old" "$META_OLD" store add tree --source "$W/tree" >/dev/null; gets+=(meta-old-get); }
  [ -z "${META_PREV:-}" ] || { env META_STORE="$W/st-prev" "$META_PREV" store add tree --source "$W/tree" >/dev/null; gets+=(meta-prev-get); }
  gets+=(cp-a)
  for r in $(seq 1 "$ROUNDS"); do
    echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    order=("${gets[@]}")
    if [ $((r % 2)) = 0 ]; then order=($(printf '%s\n' "${gets[@]}" | tac)); fi
    for c in "${order[@]}"; do settle; run "$c"; done
  done
fi
for r in $(seq 1 "$([ -n "${GETS_ONLY:-}" ] && echo 0 || echo "$ROUNDS")"); do
  # Every destination is wiped at the start of the round, then synced and
  # left for 6 s: ext4 skips inodes freed in the last 5 s (or not yet
  # written back) when it allocates new ones, scanning past each of them
  # on every create (fs/ext4/ialloc.c, recently_deleted, without a
  # journal), which made whichever command ran right after a wipe pay for
  # it.
  wipe "$W/st" "$W/st-old" "$W/st-prev" "$W/nix" "$W/out" "$W/out-old" "$W/out-prev" "$W/copy"
  sync; sleep 6
  echo "round $r, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  adds=(meta-add) gets=(meta-get)
  if [ -n "${META_OLD:-}" ]; then adds+=(meta-old-add); gets+=(meta-old-get); fi
  if [ -n "${META_PREV:-}" ]; then adds+=(meta-prev-add); gets+=(meta-prev-get); fi
  if command -v nix-store >/dev/null; then adds+=(nix-add); fi
  gets+=(cp-a)
  if [ $((r % 2)) = 0 ]; then # every other round in reverse order
    adds=($(printf '%s\n' "${adds[@]}" | tac)) gets=($(printf '%s\n' "${gets[@]}" | tac))
  fi
  for c in "${adds[@]}"; do run "$c"; done
  H=$(META_STORE="$W/st" "$W/meta" store add tree --source "$W/tree")
  for c in "${gets[@]}"; do run "$c"; done
done
echo "medians of $ROUNDS interleaved rounds (wall user sys user+sys, seconds); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "$OUT"/*.times; do
  n=$(basename "$f" .times)
  printf '%-14s' "$n"
  for col in 1 2 3 4; do
    printf ' %8s' "$(awk '{print $1, $2, $3, $2 + $3}' "$f" | cut -d' ' -f$col | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')"
  done
  echo
done
