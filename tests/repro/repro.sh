#!/bin/sh
# Two clean `portable` builds of the same source, each from its own copy in
# its own directory (different paths and path lengths), must give a bit-identical `hone` binary.
# usage: repro.sh SOURCE_DIR WORK_DIR [HONE_WERROR]
set -eu
src=$1 work=$2 werror=${3:-OFF}
jobs=${HONE_REPRO_JOBS:-2}
rm -rf "$work"
mkdir -p "$work/snapshot" "$work/other/source-copy-two"

# Snapshot the tracked and untracked (not ignored) files, so concurrent
# edits cannot make the two builds differ; pass the commit and its date in.
commit=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
: "${SOURCE_DATE_EPOCH:=$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
if git -C "$src" rev-parse --git-dir > /dev/null 2>&1; then
    (cd "$src" && git ls-files -z -co --exclude-standard | xargs -0 tar cf - 2>/dev/null) |
        (cd "$work/snapshot" && tar xf -)
else
    (cd "$src" && tar cf - --exclude=./build .) | (cd "$work/snapshot" && tar xf -)
fi
(cd "$work/snapshot" && tar cf - .) | (cd "$work/other/source-copy-two" && tar xf -)

build() { # build SOURCE BUILD_DIR WERROR
    s=$1 dir=$2
    mkdir -p "$(dirname "$dir")"
    cmake -S "$s" -B "$dir" -DHONE_VARIANT=portable -DCMAKE_BUILD_TYPE=Release \
        -DHONE_BUILD_TESTS=OFF -DHONE_WERROR="$3" \
        -DHONE_GIT_COMMIT_OVERRIDE="$commit" > "$dir.log" 2>&1 ||
        { cat "$dir.log"; echo "FAIL: configure of $dir"; exit 1; }
    cmake --build "$dir" --target hone -j "$jobs" >> "$dir.log" 2>&1 ||
        { tail -30 "$dir.log"; echo "FAIL: build of $dir"; exit 1; }
}
build "$work/snapshot" "$work/a" "$werror"
build "$work/other/source-copy-two" "$work/second/build-tree-b" "$werror"
a=$(sha256sum < "$work/a/src/hone" | cut -d' ' -f1)
b=$(sha256sum < "$work/second/build-tree-b/src/hone" | cut -d' ' -f1)
echo "build a: $a"
echo "build b: $b"
if [ "$a" != "$b" ]; then
    echo "FAIL: the two portable builds differ"
    cmp -l "$work/a/src/hone" "$work/second/build-tree-b/src/hone" | head -5
    for d in "$work/a" "$work/second/build-tree-b"; do
        strings "$d/src/hone" | grep -n "/" | grep -e "$work" | head -5
    done
    exit 1
fi
for s in "$work" "$src" "$(cd "$src" && pwd -P)"; do
    if strings "$work/a/src/hone" | grep -qF "$s"; then
        echo "FAIL: the binary contains the absolute path $s"
        exit 1
    fi
done
rm -rf "$work"
echo "ok: identical sha256, no absolute paths"
