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
# expect_clean WHAT FILE: no control byte but newlines in FILE
expect_clean() {
    n=$(LC_ALL=C tr -d '\n -~\200-\377' <"$2" | wc -c)
    [ "$n" -eq 0 ] || fail "$1: $n raw control bytes in the output: $(od -c "$2" | head -5)"
}

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
ctrl-strings)
    # control bytes in the file's strings reach the terminal escaped:
    # hone info -m, load errors (hone run, hone tokenize), chat templates
    gen ctrl-strings "$tmp/ctrl.gguf" "$story"
    gen ctrl-pre "$tmp/pre.gguf" "$story"
    gen esc-tok "$tmp/tok.gguf" "$story"
    "$hone" info -m "$tmp/ctrl.gguf" >"$tmp/info" 2>&1 || fail "info: exit status $?"
    expect_clean info "$tmp/info"
    grep -qF 'model name         evil\x1b[31mname\nline2' "$tmp/info" || fail "info: model name not escaped"
    grep -qF '  evil\x1b[2J\ntensor (iq4_nl)' "$tmp/info" || fail "info: tensor name not escaped"
    "$hone" run -m "$tmp/ctrl.gguf" -cnv </dev/null >"$tmp/out" 2>"$tmp/err"
    expect_clean "run -cnv" "$tmp/err"
    expect_clean "run -cnv (stdout)" "$tmp/out"
    grep -qF 'starts "{{ "\x1b]0;title\x07" }}"' "$tmp/err" || fail "run -cnv: template not escaped: $(cat "$tmp/err")"
    "$hone" tokenize -m "$tmp/pre.gguf" -p hi >"$tmp/out" 2>"$tmp/err" && fail "tokenize pre: exit status 0"
    expect_clean "tokenize pre" "$tmp/err"
    grep -qF "tokenizer.ggml.pre = 'pre\x1b[2J\rX'" "$tmp/err" || fail "tokenize pre: $(cat "$tmp/err")"
    "$hone" tokenize -m "$tmp/tok.gguf" -p hi >"$tmp/out" 2>"$tmp/err" && fail "tokenize model: exit status 0"
    expect_clean "tokenize model" "$tmp/err"
    grep -qF "tokenizer.ggml.model 'gpt\x1b[2J2\n'" "$tmp/err" || fail "tokenize model: $(cat "$tmp/err")"
    "$hone" run -m "$tmp/tok.gguf" -p hi >"$tmp/out" 2>"$tmp/err" && fail "run: exit status 0"
    expect_clean "run" "$tmp/err"
    ;;
count-plus1)
    # a tensor count one too high is reported as such (it was an absurd
    # dimension count, or a tensor '' overlapping token_embd.weight)
    for v in count-plus1 count-plus1-zeros; do
        gen $v "$tmp/$v.gguf" "$story"
        for cmd in info "run -p hi"; do
            "$hone" $cmd -m "$tmp/$v.gguf" >"$tmp/out" 2>"$tmp/err" && fail "$v $cmd: exit status 0"
            grep -q "claims 49 tensors but the file holds 48: the tensor count is wrong" "$tmp/err" ||
                fail "$v $cmd: $(cat "$tmp/err")"
        done
    done
    ;;
vocab-only)
    # a file without weights says so (it said it "can compute all tensors")
    gen vocab-only "$tmp/v.gguf" "$story"
    "$hone" info -m "$tmp/v.gguf" >"$tmp/info" 2>&1 || fail "info: exit status $?"
    grep -qxF 'weights            none (vocab only)' "$tmp/info" || fail "info: no 'vocab only' line"
    grep -q 'can compute' "$tmp/info" && fail "info: $(grep 'can compute' "$tmp/info")"
    "$hone" info -m "$tmp/v.gguf" --json >"$tmp/json" 2>&1 || fail "info --json: exit status $?"
    grep -q '"vocab_only":[[:space:]]*true' "$tmp/json" || fail "info --json: no vocab_only: true"
    "$hone" info -m "$story" --json | grep -q '"vocab_only":[[:space:]]*false' || fail "info --json $story: no vocab_only: false"
    ;;
nul-arch)
    # "lla\0ma": printed whole, escaped (it was cut at the NUL)
    gen nul-arch "$tmp/nul.gguf" "$story"
    "$hone" info -m "$tmp/nul.gguf" >"$tmp/info" 2>&1 || fail "info: exit status $?"
    expect_clean info "$tmp/info"
    grep -qxF 'architecture       lla\x00ma' "$tmp/info" || fail "info: $(grep architecture "$tmp/info")"
    "$hone" run -m "$tmp/nul.gguf" -p hi >"$tmp/out" 2>"$tmp/err" && fail "run: exit status 0"
    grep -qF "architecture 'lla\x00ma' is not supported" "$tmp/err" || fail "run: $(cat "$tmp/err")"
    ;;
*)
    echo "unknown case $case_"
    exit 2
    ;;
esac
[ "$fails" -eq 0 ]
