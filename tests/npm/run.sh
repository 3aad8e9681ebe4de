#!/bin/sh
# run.sh SCRIPT ARGS... — run one of these tools, installing the pinned npm
# packages (package-lock.json) first when they are missing. Skips (exit 0,
# "SKIP") where there is no node/npm or the registry cannot be reached.
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: no node/npm"; exit 0; }
if [ ! -f "$here/node_modules/.hone-installed" ] ||
    [ "$here/package-lock.json" -nt "$here/node_modules/.hone-installed" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
        { echo "SKIP: npm ci failed (no registry?)"; exit 0; }
    touch "$here/node_modules/.hone-installed"
fi
script=$1
shift
exec node "$here/$script" "$@"
