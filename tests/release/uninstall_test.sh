#!/bin/sh
# `make uninstall` says what it removed, or that nothing was installed.
# usage: uninstall_test.sh SOURCE_DIR
set -u
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
un() { make -s --no-print-directory -C "$src" uninstall PREFIX="$1" >"$tmp/out" 2>&1 || fail "exit status $?: $(cat "$tmp/out")"; }

un "$tmp/none"
grep -q "nothing to uninstall: $tmp/none does not exist" "$tmp/out" || fail "missing prefix: $(cat "$tmp/out")"
mkdir "$tmp/empty"
un "$tmp/empty"
grep -q "nothing to uninstall: hone is not installed in $tmp/empty" "$tmp/out" || fail "empty prefix: $(cat "$tmp/out")"

p=$tmp/p
mkdir -p "$p/bin" "$p/lib/hone" "$p/share/hone/models" "$p/share/doc/hone"
touch "$p/bin/hone" "$p/lib/hone/build_info.json" "$p/lib/hone/libcjson.so.1" "$p/share/doc/hone/LICENSE.cjson" "$p/bin/other"
printf 'artifact x\nfile lib/hone/libcjson.so.1\nfile share/doc/hone/LICENSE.cjson\n' >"$p/lib/hone/release.txt"
un "$p"
for f in bin/hone lib/hone/build_info.json lib/hone/libcjson.so.1 share/doc/hone/LICENSE.cjson lib/hone/release.txt; do
    grep -qxF "removed $p/$f" "$tmp/out" || fail "not reported: $f"
    [ ! -e "$p/$f" ] || fail "not removed: $f"
done
grep -qxF "removed hone from $p (5 files)" "$tmp/out" || fail "summary: $(tail -1 "$tmp/out")"
[ -e "$p/bin/other" ] || fail "removed a file it did not install"
un "$p"
grep -q "nothing to uninstall" "$tmp/out" || fail "second run: $(cat "$tmp/out")"
[ "$fails" -eq 0 ]
