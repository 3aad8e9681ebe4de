#!/bin/bash
# pull_test.sh HONE MODEL WORK_DIR — `hone pull` against a server on
# 127.0.0.1 (release_server.py): hf:// through HF_ENDPOINT with the sha256
# in X-Linked-ETag, then `hone run -m NAME` by name; a download cut
# half-way resumes; a wrong sha256, a file that is not GGUF, a 404 and a
# stalled server each give one clear line, a non-zero exit and no file
# under the model's name.
set -uo pipefail
hone=$1 model=$2 work=$3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" && work=$(cd "$work" && pwd)
server_pid=
trap '[ -n "$server_pid" ] && kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
name=$(basename "$model")
for c in hf/o/r/resolve/main hfbad/o/r/resolve/main cut stall plain; do
    mkdir -p "$work/root/$c" && cp "$model" "$work/root/$c/"
done
echo "not a model" > "$work/root/plain/fake.gguf"
python3 "$(dirname "$0")/release_server.py" "$work/root" "$work/port" 120 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || fail "the server did not start"
base="http://127.0.0.1:$(cat "$work/port")"
export HONE_MODELS=$work/models
pull() { out=$("$hone" pull "$@" 2>&1); rc=$?; }

# 1. hf://, the server's sha256 checked, then run by name
HF_ENDPOINT=$base/hf pull "hf://o/r/$name"
[ $rc -eq 0 ] || fail "hf:// pull: $out"
grep -q "sha256 [0-9a-f]* (checked)" <<<"$out" || fail "the X-Linked-ETag sha256 was not checked: $out"
cmp -s "$model" "$HONE_MODELS/$name" || fail "the pulled file differs"
ls "$HONE_MODELS" | grep -q '\.part$' && fail "a .part file was left"
run=$("$hone" run -m "$name" -p "Once upon a time" -n 4 --temp 0 2>&1) || fail "run -m $name: $run"
grep -q "Once upon a time, there" <<<"$run" || fail "run -m by name: $run"
pull "$base/hf/o/r/resolve/main/$name"
grep -q "already there" <<<"$out" || fail "a second pull: $out"
echo "ok: hf:// pulled, checked, run by name"

# 2. a cut download resumes (-o DIR)
pull "$base/cut/$name" -o "$work/cut"
[ $rc -eq 0 ] || fail "cut download: $out"
cmp -s "$model" "$work/cut/$name" || fail "the resumed file differs"
grep -q "\"GET /cut/$name HTTP/1.1\" 206" "$work/server.log" || fail "no ranged request after the cut"
echo "ok: a cut download resumes"

# 3. failures: one line, non-zero, nothing under the name
check() { # WHAT EXPECTED DEST_DIR ARGS...
    local what=$1 want=$2 dir=$3
    shift 3
    pull "$@" -o "$dir"
    [ $rc -ne 0 ] || fail "$what: exit 0: $out"
    grep -q -- "$want" <<<"$out" || fail "$what: expected '$want' in: $out"
    [ -z "$(ls "$dir" 2>/dev/null | grep -v '\.part$')" ] || fail "$what: a file appeared: $(ls "$dir")"
    echo "ok: $what: $(echo "$out" | grep -m1 -- "$want")"
}
check "wrong sha256" "sha256 [0-9a-f]*, expected 0000.*X-Linked-ETag.*refusing it" "$work/bad" \
    "$base/hfbad/o/r/resolve/main/$name"
check "wrong --sha256" "expected 1111.*(--sha256): refusing it" "$work/bad2" "$base/plain/$name" \
    --sha256 "$(printf '1%.0s' $(seq 64))"
check "not a GGUF file" "is not a usable GGUF model" "$work/fake" "$base/plain/fake.gguf"
check "404" "the server answered HTTP 404" "$work/missing" "$base/plain/nothere.gguf"
check "stalled server" "Operation too slow\|timed out" "$work/stall" "$base/stall/$name" --timeout 1
check "not a .gguf URL" "does not name a .gguf file" "$work/x" "$base/plain/model.bin"
echo "all hone pull checks passed"
