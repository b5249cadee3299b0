#!/usr/bin/env bash
# gen.sh DIR [N] [COMMITS] [TAGS]: N bare repositories with COMMITS commits
# and TAGS tags each under DIR/remotes, plus a meta repository (DIR/meta)
# and an equivalent vcstool file (DIR/ws.repos) checking out the newest tag.
set -euo pipefail
dir=${1:?usage: gen.sh DIR [N] [COMMITS] [TAGS]}
n=${2:-100}; commits=${3:-200}; tags=${4:-10}
mkdir -p "$dir/remotes" "$dir/meta/manifests"
every=$((commits / tags))
last="v1.$((tags - 1)).0"
{
  echo "workspace: {root: ../ws-meta, jobs: 8}"
  echo "components:"
} > "$dir/meta/manifests/components.yaml"
echo "repositories:" > "$dir/ws.repos"
for i in $(seq -w 1 "$n"); do
  name="repo$i"
  bare="$dir/remotes/$name.git"
  git init -q --bare "$bare"
  git -C "$bare" symbolic-ref HEAD refs/heads/main
  {
    t=1700000000
    for c in $(seq 1 "$commits"); do
      content="repo $name commit $c"
      echo "commit refs/heads/main"
      echo "mark :$c"
      echo "committer bench <bench@example.com> $((t + c)) +0000"
      msg="commit $c"
      echo "data ${#msg}"; echo "$msg"
      if [ "$c" -gt 1 ]; then echo "from :$((c - 1))"; fi
      echo "M 100644 inline file.txt"
      echo "data ${#content}"; echo "$content"
      echo "M 100644 inline src/f$((c % 20)).txt"
      echo "data ${#content}"; echo "$content"
      echo
      if [ $((c % every)) -eq 0 ]; then
        echo "reset refs/tags/v1.$((c / every - 1)).0"
        echo "from :$c"
        echo
      fi
    done
  } | git -C "$bare" fast-import --quiet
  printf '  %s:\n    repo: file://%s\n    ref: %s\n' "$name" "$bare" "$last" >> "$dir/meta/manifests/components.yaml"
  printf '  %s:\n    type: git\n    url: file://%s\n    version: %s\n' "$name" "$bare" "$last" >> "$dir/ws.repos"
done
echo "generated $n repositories in $dir/remotes"
