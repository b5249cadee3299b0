#!/bin/sh
# Generates a workspace laid out like AOSP for bench/workspace/run.sh: the
# 1,045 projects of the real AOSP manifest (paths, names, groups), every
# 20th moved inside the previous project's checkout (nested paths), each a
# local bare repository with 40 files on branch main; plus the same set as
# a repo manifest (imported into meta) and as a vcstool .repos file.
#
#   sh bench/workspace/gen.sh DIR [AOSP-default.xml]
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
xml=${2:-$here/../../../shared/fixtures/seed-formats/real-manifests/aosp-default.xml}
mkdir -p "$dir/git"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

tmpl=$dir/template
rm -rf "$tmpl" "$dir/template.git"
git init -q -b main "$tmpl"
for i in $(seq 1 40); do mkdir -p "$tmpl/src/d$((i % 5))"; echo "file $i" >"$tmpl/src/d$((i % 5))/f$i.txt"; done
git -C "$tmpl" add -A
git -C "$tmpl" commit -q -m initial
git clone -q --bare "$tmpl" "$dir/template.git"

# name<TAB>path<TAB>groups, with nesting
awk '
function attr(k) { if (match($0, " " k "=\"[^\"]*\"")) return substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 4); return "" }
/<project / {
	n = attr("name"); p = attr("path"); g = attr("groups")
	if (p == "") p = n
	i++
	if (i % 20 == 0 && prev != "") { k = split(p, parts, "/"); p = prev "/nested/" parts[k] }
	prev = p
	print n "\t" p "\t" g
}' "$xml" >"$dir/projects.tsv"

while IFS='	' read -r name path groups; do
	[ -d "$dir/git/$name" ] && continue
	mkdir -p "$(dirname "$dir/git/$name")"
	cp -r "$dir/template.git" "$dir/git/$name"
done <"$dir/projects.tsv"

{
	echo '<manifest>'
	echo "  <remote name=\"local\" fetch=\"file://$dir/git\" />"
	echo '  <default remote="local" revision="main" />'
	awk -F'\t' '{ g = ($3 == "") ? "" : " groups=\"" $3 "\""; print "  <project name=\"" $1 "\" path=\"" $2 "\"" g " />" }' "$dir/projects.tsv"
	echo '</manifest>'
} >"$dir/default.xml"

{
	echo 'repositories:'
	awk -F'\t' -v d="$dir" '{ print "  " $2 ":\n    type: git\n    url: file://" d "/git/" $1 "\n    version: main" }' "$dir/projects.tsv"
} >"$dir/aosp.repos"
echo "generated $(wc -l <"$dir/projects.tsv") repositories under $dir/git"
