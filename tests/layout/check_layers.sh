#!/bin/sh
# check_layers.sh SRC_DIR — the layering of hone's sources, as includes:
#   core/ <- kernels/, build_info/ <- libhone (src/) <- the CLI (src/cli/)
# with no arrow going up, and the CLI using only the public API (hone.h).
# A quoted include must name a header of the file's own layer or of a
# layer below it.
root=$1
fail=0
# The headers of layer $1, as paths relative to it (x86/x86.h) and bare.
headers() { (cd "$root/$1" && find . -name '*.h' | sed 's|^\./||'); }
# check DIR ALLOWED_DIRS...: every #include "x" in DIR/**.[ch] resolves
# to a header of DIR or of one of ALLOWED_DIRS (or a generated one).
check() {
    dir=$1; shift
    allowed=$(for d in "$dir" "$@"; do headers "$d"; done)
    for f in $(find "$root/$dir" -name '*.[ch]' ! -path "$root/src/cli/*"); do
        grep -ho '^#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' | while read -r inc; do
            base=${inc##*/}
            case "$inc" in hone_build_config.h) continue ;; esac
            # relative includes inside a layer (x86/..., ../generic/...)
            [ -f "$(dirname "$f")/$inc" ] && continue # beside the file
            if printf '%s\n' "$allowed" | grep -qx -e "$inc" -e "$base"; then continue; fi
            echo "layering: ${f#$root/} includes \"$inc\", not a header of $dir/ or below"
            echo x >> "$tmp"
        done
    done
}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
check core
check kernels core
check build_info core
check src core kernels build_info
# The CLI: the public API and its own headers only.
for f in "$root"/src/cli/*.[ch]; do
    grep -ho '^#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' | while read -r inc; do
        [ "$inc" = hone.h ] && continue
        [ -f "$root/src/cli/$inc" ] && continue
        echo "layering: ${f#$root/} includes \"$inc\": the CLI uses the public API (hone.h)"
        echo x >> "$tmp"
    done
done
if [ -s "$tmp" ]; then exit 1; fi
echo "layering ok: core <- kernels, build_info <- libhone <- cli"
