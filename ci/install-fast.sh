#!/bin/bash
# install-fast.sh — install the prebuilt release artifact that fits this CPU
# (what `make install` / `make install-fast` run).
#
#   usage: ci/install-fast.sh [--prefix DIR] [--no-fallback]
#
#   HONE_RELEASE_URL  base URL of a release: manifest.json and the tarballs
#                     beside it (https://, http://127.0.0.1:..., file://).
#                     Default: the latest GitHub release of the repository
#                     this checkout was cloned from.
#   HONE_VERSION      pin a version (GitHub: that tag's release; elsewhere the
#                     manifest must say that version)
#   HONE_INSTALL_TIMEOUT  seconds a download may stall before it is retried
#                     and then given up (default 30)
#   HONE_INSTALL_FALLBACK  what runs when no artifact can be installed
#                     (default: `make install-source`, a build from source)
#   HONE_INSTALL_RUN  a command prefix to run the downloaded binaries with
#                     (tests: "qemu-x86_64-static -cpu Nehalem")
#
# Steps: fetch the manifest; list this architecture's artifacts, best
# (highest priority) first; ask a hone binary (`hone info --cpu-has`, the CPU
# check hone itself runs, in baseline code that any CPU of the architecture
# executes) which of them this CPU runs; download the best one (resume,
# retries, stall timeout, progress on a terminal), check its size and
# sha256, unpack it, run its `hone info --json` as a self-test, and only
# then move its files into PREFIX (each renamed into place). Already
# installed and current: says so and touches nothing. Any failure: one line
# saying what happened, PREFIX untouched, then the fallback.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PREFIX:-$HOME/.local}
fallback=1
while [ $# -gt 0 ]; do
    case $1 in
        --prefix) prefix=$2; shift 2 ;;
        --no-fallback) fallback=0; shift ;;
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-fast: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done
timeout=${HONE_INSTALL_TIMEOUT:-30}
run=${HONE_INSTALL_RUN:-}
say() { echo "install-fast: $*" >&2; }

# Every failure ends here: one line, then the build from source.
give_up() {
    say "$*"
    if [ $fallback -eq 0 ]; then exit 3; fi
    local cmd=${HONE_INSTALL_FALLBACK:-make -C "$here" --no-print-directory install-source PREFIX="$prefix"}
    say "building hone from source instead: $cmd"
    eval "$cmd"
    exit $?
}

# ---- tools: curl, python3 (the manifest is JSON), sha256sum, tar
need=()
for t in curl python3 sha256sum tar gzip; do command -v $t >/dev/null || need+=($t); done
if [ ${#need[@]} -gt 0 ]; then
    pkgs=()
    for t in "${need[@]}"; do
        case $t in python3) pkgs+=(python3-minimal) ;; sha256sum) pkgs+=(coreutils) ;; *) pkgs+=("$t") ;; esac
    done
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    say "installing ${pkgs[*]} (needed to download and check the release)"
    $sudo apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
        give_up "cannot install ${pkgs[*]} (not root, and sudo asks for a password)"
fi

# ---- where the release is
url=${HONE_RELEASE_URL:-}
if [ -z "$url" ]; then
    origin=$(git -C "$here" remote get-url origin 2>/dev/null || true)
    repo=$(echo "$origin" | sed -n 's#^\(https://\|git@\|ssh://git@\)github\.com[:/]\([^/]*/[^/.]*\)\(\.git\)\{0,1\}/\{0,1\}$#\2#p')
    [ -n "$repo" ] || give_up "no release to download from (this checkout is not a GitHub clone; set HONE_RELEASE_URL)"
    if [ -n "${HONE_VERSION:-}" ]; then
        url="https://github.com/$repo/releases/download/v$HONE_VERSION"
    else
        url="https://github.com/$repo/releases/latest/download"
    fi
fi
url=${url%/}

mkdir -p "$prefix" || give_up "cannot create $prefix"
prefix=$(cd "$prefix" && pwd)
tmp=$(mktemp -d "$prefix/.hone-download.XXXXXX") || give_up "cannot write into $prefix"
trap 'rm -rf "$tmp"' EXIT

progress=(--silent --show-error)
[ -t 2 ] && progress=(--progress-bar)
fetch() { # URL FILE [resume]
    local extra=() try rc
    [ "${3:-}" = resume ] && extra=(--continue-at -)
    # curl retries what it deems transient (timeouts, 5xx); a connection
    # that drops mid-file (18 partial file, 56 receive error) is resumed here
    for try in 1 2 3; do
        curl --fail --location "${progress[@]}" --retry 3 --retry-delay 1 --retry-connrefused \
            --connect-timeout 10 --speed-limit 1 --speed-time "$timeout" "${extra[@]}" \
            -o "$2" "$1" 2> "$tmp/curl.err"
        rc=$?
        case $rc in 18|56) [ ${#extra[@]} -gt 0 ] && continue ;; esac
        return $rc
    done
    return $rc
}
curl_error() { tail -n 1 "$tmp/curl.err" | sed 's/^curl: ([0-9]*) //'; }

# ---- the manifest
fetch "$url/manifest.json" "$tmp/manifest.json" ||
    give_up "cannot fetch $url/manifest.json: $(curl_error)"
arch=$(uname -m)
# one line per artifact of this arch, best first: priority name file size sha256 isa,...
cands=$(python3 - "$tmp/manifest.json" "$arch" "${HONE_VERSION:-}" <<'PY' 2> "$tmp/manifest.err"
import json, re, sys
path, arch, pin = sys.argv[1:4]
try:
    m = json.load(open(path))
except (ValueError, UnicodeDecodeError) as e:
    sys.exit(f"manifest.json is not JSON ({e})")
def bad(why):
    sys.exit(f"manifest.json is malformed: {why}")
if not isinstance(m, dict) or m.get("schema_version") != 1:
    bad("no schema_version 1")
if not isinstance(m.get("version"), str) or not isinstance(m.get("artifacts"), list):
    bad("no version or artifacts")
if pin and m["version"] != pin:
    sys.exit(f"the release is version {m['version']}, HONE_VERSION asks for {pin}")
rows, arches = [], set()
for a in m["artifacts"]:
    try:
        ok = (re.fullmatch(r"hone-[0-9.]+-linux-[a-z0-9_-]+\.tar\.gz", a["file"])
              and re.fullmatch(r"[0-9a-f]{64}", a["sha256"]) and isinstance(a["size"], int)
              and isinstance(a["priority"], int) and all(re.fullmatch(r"[a-z0-9_]+", f)
                                                         for f in a["target_isa"]))
    except (KeyError, TypeError):
        ok = False
    if not ok:
        bad(f"artifact entry {a!r:.80}")
    arches.add(a["arch"])
    if a["arch"] == arch:
        rows.append(a)
if not rows:
    sys.exit(f"the release has no artifact for {arch} (it has: {', '.join(sorted(arches)) or 'none'})")
rows.sort(key=lambda a: -a["priority"])
print(m["version"])
for a in rows:
    print(a["priority"], a["name"], a["file"], a["size"], a["sha256"], ",".join(a["target_isa"]) or "-")
PY
) || give_up "$(tail -n 1 "$tmp/manifest.err")"
version=$(echo "$cands" | head -n 1)
cands=$(echo "$cands" | tail -n +2)

# ---- which artifact this CPU runs, asked of a hone binary
download() { # FILE SIZE SHA256 -> $tmp/FILE, checked
    local f=$1 size=$2 sha=$3
    [ -f "$tmp/$f.ok" ] && return 0
    say "downloading $url/$f ($size bytes)"
    fetch "$url/$f" "$tmp/$f" resume || { say "cannot download $url/$f: $(curl_error)"; return 1; }
    local got
    got=$(stat -c %s "$tmp/$f")
    [ "$got" = "$size" ] || { say "$f: $got bytes, the manifest says $size (truncated or wrong file)"; return 1; }
    got=$(sha256sum "$tmp/$f" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || { say "$f: sha256 $got, the manifest says $sha: refusing it"; return 1; }
    touch "$tmp/$f.ok"
}
unpack() { # FILE -> prints the unpacked root
    local f=$1 d="$tmp/unpack-${1%.tar.gz}"
    if [ ! -d "$d" ]; then
        mkdir -p "$d" && tar xzf "$tmp/$f" -C "$d" --no-same-owner 2> "$tmp/tar.err" ||
            { say "$f: cannot unpack: $(tail -n 1 "$tmp/tar.err")"; return 1; }
    fi
    local root="$d/${f%.tar.gz}"
    [ -x "$root/bin/hone" ] && [ -f "$root/lib/hone/build_info.json" ] ||
        { say "$f: no bin/hone or lib/hone/build_info.json inside"; return 1; }
    echo "$root"
}
# the probe: the installed hone if there is one that answers, else the
# best artifact (any hone of this arch can answer --cpu-has)
probe=""
if [ -x "$prefix/bin/hone" ] && $run "$prefix/bin/hone" info --cpu-has >/dev/null 2>&1; then
    probe="$prefix/bin/hone"
else
    read -r _ _ f size sha _ <<< "$(echo "$cands" | head -n 1)"
    download "$f" "$size" "$sha" || give_up "no usable artifact"
    root=$(unpack "$f") || give_up "no usable artifact"
    probe="$root/bin/hone"
fi
chosen="" why=""
while read -r prio name f size sha isa; do
    [ "$isa" = - ] && isa=""
    if missing=$($run "$probe" info --cpu-has ${isa//,/ } 2>&1); then
        chosen="$prio $name $f $size $sha"
        why="priority $prio, and this CPU has every feature it needs${isa:+ (${isa//,/ })}"
        break
    fi
    say "not $name: this CPU lacks ${missing#missing: }"
done <<< "$cands"
[ -n "$chosen" ] || give_up "this CPU runs none of the release's $arch artifacts"
read -r prio name f size sha <<< "$chosen"

# ---- already installed and current?
record="$prefix/lib/hone/release.txt"
if [ -f "$record" ] && grep -qx "sha256 $sha" "$record" && [ -x "$prefix/bin/hone" ] &&
    $run "$prefix/bin/hone" info --json >/dev/null 2>&1; then
    say "hone $version ($name) is already installed in $prefix and current: nothing to do"
    exit 0
fi

download "$f" "$size" "$sha" || give_up "could not get $name"
root=$(unpack "$f") || give_up "could not unpack $name"
out=$(HONE_BUILD_INFO="$root/lib/hone/build_info.json" $run "$root/bin/hone" info --json 2>&1 >/dev/null) ||
    give_up "$name failed its self-test (hone info --json): $out"

# ---- install: every file renamed into place, then the record
files=$(cd "$root" && find . -type f | sed 's#^\./##' | sort)
for p in $files; do
    mkdir -p "$prefix/$(dirname "$p")" && cp -p "$root/$p" "$prefix/$p.hone-new" ||
        { for q in $files; do rm -f "$prefix/$q.hone-new"; done; give_up "cannot write $prefix/$p"; }
done
for p in $files; do mv -f "$prefix/$p.hone-new" "$prefix/$p"; done
{
    echo "hone $version $name"
    echo "sha256 $sha"
    echo "url $url/$f"
    for p in $files; do echo "file $p"; done
} > "$record.tmp" && mv -f "$record.tmp" "$record"
say "installed hone $version into $prefix: $name ($why)"
