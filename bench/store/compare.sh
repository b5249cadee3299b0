#!/usr/bin/env bash
# Times 'meta store add' and 'meta store get' side by side with their peers
# over one generated tree of mixed file sizes, with hyperfine:
#
#   add:  meta store add | nix-store --add | cp -a + sha256sum
#   get:  meta store get | cp -a (of the stored tree)
#
# Every command starts from a warm page cache and an empty destination
# (hyperfine --prepare), so all of them pay for the same writes.
# meta's add ends with the data synced to disk (its contract); its peers
# do not sync, which only counts against meta.
#
#   bench/store/compare.sh                  # 256 MiB
#   STORE_BENCH_SIZE=1GiB bench/store/compare.sh
#
# Needs: go, hyperfine, nix-store (Debian nix-bin; optional), sha256sum.
# nix-store runs against a private store (--store local?root=DIR), so
# no daemon and no /nix are needed.
set -euo pipefail
cd "$(dirname "$0")/../.."

SIZE=${STORE_BENCH_SIZE:-256MiB}
RUNS=${STORE_BENCH_RUNS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/meta-store-bench.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

command -v hyperfine >/dev/null || { echo "compare.sh: hyperfine not installed (apt-get install hyperfine)" >&2; exit 1; }

echo "== building meta and a $SIZE tree in $WORK"
go build -o "$WORK/meta" ./cmd/meta
go run ./bench/store/gentree -size "$SIZE" -out "$WORK/tree"
echo "$(find "$WORK/tree" -type f | wc -l) files, $(du -sh "$WORK/tree" | cut -f1)"

export META_STORE="$WORK/store"
clean="chmod -R u+w $WORK/store $WORK/nix $WORK/copy $WORK/out 2>/dev/null; rm -rf $WORK/store $WORK/nix $WORK/copy $WORK/out"

add_cmds=(
  -n "meta store add" "$WORK/meta store add bench --source $WORK/tree"
  -n "cp -a + sha256sum" "cp -a $WORK/tree $WORK/copy && find $WORK/tree -type f -print0 | xargs -0 sha256sum >/dev/null"
)
if command -v nix-store >/dev/null; then
  add_cmds+=(-n "nix-store --add" "nix-store --store local?root=$WORK/nix --add $WORK/tree")
else
  echo "nix-store not installed: skipped (apt-get install nix-bin)" >&2
fi

echo "== add"
hyperfine --warmup 1 --runs "$RUNS" --prepare "$clean" \
  --export-markdown "$WORK/add.md" "${add_cmds[@]}"

echo "== get"
"$WORK/meta" store add bench --source "$WORK/tree" >"$WORK/hash"
H=$(cat "$WORK/hash")
stored="$WORK/store/${H:0:2}/$H"
hyperfine --warmup 1 --runs "$RUNS" \
  --prepare "chmod -R u+w $WORK/copy $WORK/out 2>/dev/null; rm -rf $WORK/copy $WORK/out" \
  --export-markdown "$WORK/get.md" \
  -n "meta store get" "$WORK/meta store get $H --target $WORK/out" \
  -n "cp -a" "cp -a $stored $WORK/copy"

cat "$WORK/add.md" "$WORK/get.md"
