#!/bin/sh
# End-to-end tests of `hone info -m`: every model in $SHARED/models (found,
# not listed) describes itself with the architecture and tensor types its
# file name promises; broken or missing files give one error line and exit 1.
# usage: info_model_test.sh HONE SHARED_DIR
set -u
hone=$1
shared=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expected values from the naming in shared/README.md:
# stories260K-<type>.gguf (llama) and syn-<arch>-<type>.gguf
n=0
for m in "$shared"/models/*.gguf; do
    [ -f "$m" ] || continue
    n=$((n + 1))
    base=$(basename "$m" .gguf)
    case $base in
        stories260K-*) arch=llama ;;
        syn-*) arch=$(echo "$base" | cut -d- -f2) ;;
        *) arch= ;;
    esac
    ftype=${base##*-}
    case $ftype in # K-quant mixes are named by their main type
        q4_k_m) ftype=q4_K ;; q5_k_m) ftype=q5_K ;; q6_k) ftype=q6_K ;;
    esac
    if ! "$hone" info -m "$m" >"$tmp/out" 2>"$tmp/err"; then
        fail "$base: exit status $? ($(cat "$tmp/err"))"
        continue
    fi
    [ -z "$arch" ] || grep -Eq "^architecture +$arch\$" "$tmp/out" || fail "$base: architecture $arch not reported"
    grep -Eq "^  $ftype +[0-9]+ tensors" "$tmp/out" || fail "$base: type $ftype missing from the histogram"
    grep -Eq "^parameters +[0-9.]+[KMB]? \([1-9][0-9]*\)\$" "$tmp/out" || fail "$base: no parameter count"
    grep -Eq "^vocab size +512\$" "$tmp/out" || fail "$base: vocab size is not 512"
    grep -Eq "^chat template +[a-z]" "$tmp/out" || fail "$base: no chat template line"
    grep -Eq "^features +.*RoPE (norm|neox)" "$tmp/out" || fail "$base: no features line"
    grep -Eq "^supported +yes\$" "$tmp/out" || fail "$base: not reported as supported"
    if ! "$hone" info -m "$m" --json >"$tmp/json" 2>"$tmp/err"; then
        fail "$base --json: exit status $?"
        continue
    fi
    if command -v jq >/dev/null 2>&1; then
        got=$(jq -r '.architecture' "$tmp/json") || fail "$base: --json output is not JSON"
        [ -z "$arch" ] || [ "$got" = "$arch" ] || fail "$base: JSON architecture '$got', want $arch"
        jq -e --arg t "$ftype" '[.tensor_types[].type] | index($t) != null' "$tmp/json" >/dev/null ||
            fail "$base: JSON types lack $ftype"
        jq -e '.vocab_size == 512 and .layers > 0 and .parameters > 0 and (.cannot_compute | type == "array")
               and .supported and .unsupported == null and (.features | length > 0)' \
            "$tmp/json" >/dev/null || fail "$base: JSON fields wrong"
    fi
done
[ "$n" -gt 0 ] || fail "no models found in $shared/models"

# expect_error NAME FILE PATTERN: exit 1 and one "hone info:" line matching
expect_error() {
    "$hone" info -m "$2" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "$1: exit status $rc, want 1"
    lines=$(grep -c '^hone info:' "$tmp/err")
    [ "$lines" -eq 1 ] || fail "$1: $lines error lines, want 1"
    grep -q "$3" "$tmp/err" || fail "$1: error '$(cat "$tmp/err")' lacks '$3'"
    [ ! -s "$tmp/out" ] || fail "$1: printed output for a bad file"
}

small=$(ls -S "$shared"/models/*.gguf | tail -n 1)
head -c 3000 "$small" >"$tmp/truncated.gguf"
expect_error truncated "$tmp/truncated.gguf" "truncated"
head -c 10 "$small" >"$tmp/header.gguf"
expect_error short-header "$tmp/header.gguf" "truncated header"
printf 'not a model at all, just text\n' >"$tmp/text.gguf"
expect_error not-gguf "$tmp/text.gguf" "bad magic"
: >"$tmp/empty.gguf"
expect_error empty "$tmp/empty.gguf" "0 bytes"
expect_error missing "$tmp/no-such-file.gguf" "No such file"
expect_error directory "$tmp" "not a regular file"

echo "checked $n models; $fails failures"
[ "$fails" -eq 0 ]
