#!/bin/sh
# End-to-end checks of `hone info` and build_info.json on the real binary.
# usage: e2e.sh CHECK HONE SCHEMA [args...]
set -u
check=$1 hone=$2 schema=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
validate() { python3 "$here/validate_schema.py" "$schema" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

case $check in
built-json)        # the build_info.json the build wrote next to the binary
    validate "$1" || fail "$1 does not match the schema"
    ;;
info-json)         # `hone info --json`, found file and freshly detected
    "$hone" info --json > "$tmp/a.json" || fail "hone info --json exited $?"
    validate "$tmp/a.json" || fail "hone info --json does not match the schema"
    HONE_BUILD_INFO= "$hone" info --json > "$tmp/b.json" || fail "detected: exit $?"
    validate "$tmp/b.json" || fail "detected JSON does not match the schema"
    ;;
info-human)
    "$hone" info > "$tmp/out" 2>&1 || fail "hone info exited $?"
    cat "$tmp/out"
    for w in "target ISA" "model" "this run uses" "build_info"; do
        grep -q "$w" "$tmp/out" || fail "hone info does not show '$w'"
    done
    "$hone" info --help | grep -q -- "-m FILE" || fail "hone info --help"
    "$hone" info --bogus 2>/dev/null && fail "unknown option accepted"
    ;;
refuse-injected)   # a target_isa feature this CPU lacks: exit 2, message, no signal
    "$hone" info --json > "$tmp/bi.json" || fail "hone info --json"
    python3 - "$tmp/bi.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["target_isa"] = d["target_isa"] + ["hone_missing_feature"]
json.dump(d, open(sys.argv[1], "w"))
PY
    HONE_BUILD_INFO="$tmp/bi.json" "$hone" info > "$tmp/out" 2>&1
    rc=$?
    cat "$tmp/out"
    [ $rc -eq 2 ] || fail "expected exit 2, got $rc"
    grep -q "needs hone_missing_feature" "$tmp/out" || fail "message does not name the feature"
    grep -q "make install" "$tmp/out" || fail "message does not give the fix"
    ;;
malformed)         # a malformed file: one warning line, detected defaults, exit 0
    printf '{"target_isa": [' > "$tmp/bad.json"
    HONE_BUILD_INFO="$tmp/bad.json" "$hone" info > "$tmp/out" 2> "$tmp/err" || fail "exit $?"
    cat "$tmp/err"
    [ "$(grep -c warning "$tmp/err")" -eq 1 ] || fail "expected one warning line"
    grep -q "malformed" "$tmp/err" || fail "warning does not say malformed"
    HONE_BUILD_INFO="$tmp/none.json" "$hone" --version > /dev/null 2> "$tmp/err" || fail "missing file: exit $?"
    grep -q "none.json" "$tmp/err" || fail "missing file not reported"
    ;;
rejected)          # valid JSON that breaks the contract: the warning names the
                   # reason, and info --json prints what is in use (detected)
    printf '{"schema_version": 7, "target_isa": ["hone_fake_isa"]}' > "$tmp/v7.json"
    HONE_BUILD_INFO="$tmp/v7.json" "$hone" info --json > "$tmp/out" 2> "$tmp/err" || fail "exit $?"
    cat "$tmp/err"
    [ "$(grep -c warning "$tmp/err")" -eq 1 ] || fail "expected one warning line"
    grep -q "schema_version 7" "$tmp/err" || fail "the warning does not name schema_version 7"
    grep -q '"schema_version":[[:space:]]*1' "$tmp/out" || fail "info --json printed the rejected file"
    grep -q hone_fake_isa "$tmp/out" && fail "info --json printed the rejected file's target_isa"
    printf '{"schema_version": 1, "target_isa": "avx2"}' > "$tmp/s.json"
    HONE_BUILD_INFO="$tmp/s.json" "$hone" info --json > "$tmp/out" 2> "$tmp/err" || fail "exit $?"
    grep -q "target_isa is not an array" "$tmp/err" || fail "the warning does not name target_isa"
    validate "$tmp/out" || fail "info --json is not the schema's"
    ;;
install)           # cmake --install into a fresh prefix; the binary finds ../lib/hone
    builddir=$1
    cmake --install "$builddir" --prefix "$tmp/prefix" > /dev/null || fail "cmake --install"
    [ -x "$tmp/prefix/bin/hone" ] || fail "no bin/hone"
    [ -f "$tmp/prefix/lib/hone/build_info.json" ] || fail "no lib/hone/build_info.json"
    (cd / && "$tmp/prefix/bin/hone" info) > "$tmp/out" 2>&1 || fail "installed hone info"
    grep -q "lib/hone/build_info.json" "$tmp/out" || fail "installed build_info.json not used"
    "$tmp/prefix/bin/hone" info --json | validate - || fail "installed JSON invalid"
    ;;
*)
    fail "unknown check $check"
    ;;
esac
echo "ok: $check"
