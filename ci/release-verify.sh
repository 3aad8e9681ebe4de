#!/bin/bash
# release-verify.sh DIST TARGET... — rebuild the given release targets from
# this checkout in a directory of their own and compare them byte for byte
# with the tarballs in DIST (the release workflow's reproducibility job).
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:?usage: ci/release-verify.sh DIST TARGET...}
shift
[ $# -gt 0 ] || { echo "usage: ci/release-verify.sh DIST TARGET..." >&2; exit 2; }
again=$(mktemp -d)
trap 'rm -rf "$again"' EXIT
bash ci/release.sh --out "$again/dist" --build "$again/build" "$@" > "$again/log" 2>&1 ||
    { tail -20 "$again/log"; exit 1; }
status=0
for t in "$@"; do
    f=$(cd "$again/dist" && ls hone-*-"$t".tar.gz)
    a=$(sha256sum < "$dist/$f" | cut -d' ' -f1)
    b=$(sha256sum < "$again/dist/$f" | cut -d' ' -f1)
    if [ "$a" = "$b" ]; then echo "reproducible: $f $a"; else echo "DIFFERS: $f: $a vs $b"; status=1; fi
done
exit $status
