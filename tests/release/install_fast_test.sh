#!/bin/bash
# install_fast_test.sh SOURCE_DIR WORK_DIR MODEL — `make install-fast`
# (ci/install-fast.sh) against a release built here and served on
# 127.0.0.1 by release_server.py:
#   - picks linux-x86_64-v3 on this CPU, installs it, a re-run touches nothing
#   - picks v2 when the CPU lacks AVX2 (everything run under
#     qemu-x86_64 -cpu Nehalem), and v2 really runs there
#   - resumes a download cut half-way
#   - wrong checksum, truncated download, 404, stalled server, manifest that
#     is not JSON, no artifact for this arch, a pinned version the release
#     is not: a clear message, PREFIX unchanged, no leftovers, the fallback
#     runs (HONE_INSTALL_FALLBACK, a stub here)
set -uo pipefail
src=$(cd "$1" && pwd) work=$2 model=$3
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: the test release is x86-64"; exit 0; }
rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
server_pid=
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# a release of this source (x86-64 artifacts), from a snapshot
mkdir -p "$work/src"
(cd "$src" && git ls-files -z -co --exclude-standard | xargs -0 tar cf - 2>/dev/null) | (cd "$work/src" && tar xf -)
HONE_COMMIT=$(git -C "$src" rev-parse --short=12 HEAD) SOURCE_DATE_EPOCH=$(git -C "$src" log -1 --format=%ct) \
    bash "$work/src/ci/release.sh" --out "$work/rel/ok" --build "$work/build" linux-x86_64-v3 linux-x86_64-v2 \
    > "$work/release.log" 2>&1 || { tail -20 "$work/release.log"; fail "ci/release.sh"; }
rel=$work/rel
# the misbehaving copies
for c in stall short cut badsha notfound notjson otherarch; do cp -r "$rel/ok" "$rel/$c"; done
python3 - "$rel" <<'PY'
import json, sys
rel = sys.argv[1]
def edit(case, fn):
    p = f"{rel}/{case}/manifest.json"
    m = json.load(open(p)); fn(m); json.dump(m, open(p, "w"))
def badsha(m):
    for a in m["artifacts"]: a["sha256"] = "0" * 64
edit("badsha", badsha)
def notfound(m):
    for a in m["artifacts"]: a["file"] = a["file"].replace("hone-", "hone-9.9.")
edit("notfound", notfound)
def otherarch(m):
    for a in m["artifacts"]: a["arch"] = "aarch64"
edit("otherarch", otherarch)
open(f"{rel}/notjson/manifest.json", "w").write("<html>not a manifest</html>\n")
PY

python3 "$src/tests/release/release_server.py" "$rel" "$work/port" 300 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the release server did not start"
base="http://127.0.0.1:$(cat "$work/port")"

install() { # CASE PREFIX [env...] -> output in $out, status in $rc
    local case=$1 prefix=$2
    shift 2
    out=$(env HONE_RELEASE_URL="$base/$case" HONE_INSTALL_TIMEOUT=2 "$@" \
          bash "$src/ci/install-fast.sh" --prefix "$prefix" 2>&1)
    rc=$?
}
listing() { (cd "$1" && find . -type f -printf '%p %s %T@\n' | sort; find . -name '*.hone-*' -o -name '.hone-download*'); }

# 1. the v3 artifact on this CPU (AVX2), then a re-run that touches nothing
p=$work/prefix
install ok "$p" HONE_INSTALL_FALLBACK=false
[ $rc -eq 0 ] || fail "install from $base/ok: $out"
grep -q "installed hone .* linux-x86_64-v3 (priority 30" <<<"$out" || fail "did not choose v3: $out"
"$p/bin/hone" run -m "$model" -p "Once upon a time" -n 4 --temp 0 > /dev/null 2>&1 || fail "installed hone does not run"
run_out=$("$p/bin/hone" run -p "Once upon a time" -n 4 --temp 0 2>&1)
grep -q "Once upon a time, there" <<<"$run_out" || fail "installed hone does not run its built-in model: $run_out"
before=$(listing "$p")
install ok "$p" HONE_INSTALL_FALLBACK=false
grep -q "already installed in .* and current: nothing to do" <<<"$out" || fail "re-run: $out"
[ "$(listing "$p")" = "$before" ] || fail "a re-run changed $p"
echo "ok: v3 chosen and installed; re-run touches nothing"

# 2. a CPU without AVX2: v2, which really runs there
if command -v qemu-x86_64-static > /dev/null; then
    q="qemu-x86_64-static -cpu Nehalem"
    install ok "$work/p-nehalem" HONE_INSTALL_RUN="$q" HONE_INSTALL_FALLBACK=false
    [ $rc -eq 0 ] || fail "install on Nehalem: $out"
    grep -q "not linux-x86_64-v3: this CPU lacks avx avx2" <<<"$out" || fail "v3 not refused: $out"
    grep -q "installed hone .* linux-x86_64-v2" <<<"$out" || fail "did not choose v2: $out"
    $q "$work/p-nehalem/bin/hone" run -m "$model" -p "Once upon a time" -n 4 --temp 0 > /dev/null 2>&1 ||
        fail "the v2 artifact does not run under $q"
    echo "ok: v2 chosen on a CPU without AVX2, and it runs there"
else
    echo "SKIP v2: no qemu-x86_64-static"
fi

# 3. a download cut half-way resumes
install cut "$work/p-cut" HONE_INSTALL_FALLBACK=false
[ $rc -eq 0 ] || fail "cut download not resumed: $out"
grep -q '"GET /cut/hone-.*v3.tar.gz HTTP/1.1" 206' "$work/server.log" || fail "no ranged request after the cut"
echo "ok: a cut download resumes"
make -s -C "$src" uninstall PREFIX="$work/p-cut" > /dev/null || fail "make uninstall"
left=$(find "$work/p-cut" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "ok: make uninstall removes every file the artifact brought"

# 4. failures: clear message, PREFIX unchanged, no leftovers, fallback runs.
# PREFIX holds an older release (its record names another sha256), so
# every case has to download.
sed -i 's/^sha256 .*/sha256 '"$(printf '%064d' 1)"'/' "$p/lib/hone/release.txt"
check_failure() { # CASE EXPECTED_MESSAGE
    local mark=$work/fallback-ran
    rm -f "$mark"
    before=$(listing "$p")
    install "$1" "$p" HONE_INSTALL_FALLBACK="touch $mark"
    grep -q -- "$2" <<<"$out" || fail "$1: expected '$2' in: $out"
    grep -q "building hone from source instead" <<<"$out" || fail "$1: no fallback announced: $out"
    [ -f "$mark" ] || fail "$1: the fallback did not run"
    [ "$(listing "$p")" = "$before" ] || fail "$1: $p changed"
    echo "ok: $1: $(echo "$out" | grep -m1 -- "$2")"
}
check_failure badsha "sha256 [0-9a-f]*, the manifest says 0000"
check_failure short "bytes, the manifest says .* (truncated or wrong file)"
check_failure notfound "cannot download .*hone-9\.9\..*: The requested URL returned error: 404"
check_failure stall "cannot download .*: Operation too slow"
check_failure notjson "manifest.json is not JSON"
check_failure otherarch "the release has no artifact for x86_64 (it has: aarch64)"
check_failure nothere "cannot fetch $base/nothere/manifest.json: The requested URL returned error: 404"
HONE_VERSION=9.9.9 check_failure ok "the release is version .*, HONE_VERSION asks for 9.9.9"
echo "all install-fast checks passed"
