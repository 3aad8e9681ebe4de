#!/bin/sh
# End-to-end tests of hone on hostile or unusual model files, made at test
# time by make_hostile.py from the shared models (see CMakeLists.txt).
# usage: hostile_test.sh CASE HONE PYTHON3 SHARED_DIR
set -u
case_=$1
hone=$2
py=$3
shared=$4
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
gen() { "$py" "$here/make_hostile.py" "$@" || { echo "cannot generate $1"; exit 1; }; }
story=$shared/models/stories260K-q8_0.gguf

case $case_ in
align1)
    # general.alignment = 1, tensors at odd offsets: same text as the
    # original (and, in the debug preset, no UBSan report: it aborts)
    for m in stories260K-q8_0 stories260K-f32 stories260K-bf16 stories260K-q4_0 \
             syn-llama-q4_k_m syn-llama-q5_k_m syn-qwen2-q8_0 syn-phi3-q4_k_m; do
        src=$shared/models/$m.gguf
        [ -f "$src" ] || { fail "$m.gguf missing"; continue; }
        gen align1 "$tmp/$m.gguf" "$src"
        "$hone" run -m "$src" -p "Once upon a time" -n 8 --temp 0 -t 1 >"$tmp/want" 2>"$tmp/err" ||
            { fail "$m: $(cat "$tmp/err")"; continue; }
        "$hone" run -m "$tmp/$m.gguf" -p "Once upon a time" -n 8 --temp 0 -t 1 >"$tmp/got" 2>"$tmp/err" ||
            { fail "$m (alignment 1): exit status $?: $(head -c 600 "$tmp/err")"; continue; }
        cmp -s "$tmp/want" "$tmp/got" ||
            fail "$m (alignment 1): '$(cat "$tmp/got")', want '$(cat "$tmp/want")'"
    done
    ;;
big-token)
    # a GPT-2 vocabulary with one 54 KB token of chars that are no byte:
    # loading it stays small and quick (it took ~1 GB and seconds)
    gen big-token "$tmp/big.gguf"
    limit=
    # ASan reserves terabytes of address space: no ulimit -v under it
    ldd "$hone" 2>/dev/null | grep -q libasan || limit="ulimit -v 400000;"
    t0=$(date +%s%N)
    sh -c "$limit exec \"\$0\" tokenize -m \"\$1\" -p hello --ids" "$hone" "$tmp/big.gguf" \
        >"$tmp/out" 2>"$tmp/err" || fail "big-token: exit status $?: $(cat "$tmp/err")"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    grep -q '^\[' "$tmp/out" || fail "big-token: no ids printed: $(cat "$tmp/out")"
    [ -n "$limit" ] && [ "$ms" -gt 1000 ] && fail "big-token: took $ms ms"
    ;;
*)
    echo "unknown case $case_"
    exit 2
    ;;
esac
[ "$fails" -eq 0 ]
