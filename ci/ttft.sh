#!/usr/bin/env bash
# ttft.sh — time to first token and load time of a fresh process, hone
# against the reference llama.cpp, on one GGUF.
#   usage: ci/ttft.sh MODEL [THREADS=2] [ROUNDS=6] [PROMPT_TOKENS=32]
# Each round runs, one after the other (the order rotating, as
# ci/bench-native.sh does): `hone run -n 1` reading the model into memory
# (-lm auto, hone's default), `hone run -n 1 -lm mmap`, and
# `llama-completion -n 1 --no-warmup` (its default: mmap). Each program
# gets the same prompt, PROMPT_TOKENS tokens with BOS as hone's tokenizer
# counts them, greedy, page cache warm (one untimed run of each first).
# It reports, per program, the median (range) of the process's wall time
# (start to exit: what a user waits for the first token of a one-shot
# run) and of the load and prompt times each program logs.
# llama-completion is looked up as $LLAMA_COMPLETION, then in the checkout
# that ../shared/tools/build-llamacpp.sh makes; without it, hone only.
# HONE is the hone binary (default: the native build's).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: ci/ttft.sh MODEL [THREADS] [ROUNDS] [PROMPT_TOKENS]}
T=${2:-2}
ROUNDS=${3:-6}
NTOK=${4:-32}
[ -f "$MODEL" ] || { echo "ttft: no model file '$MODEL'" >&2; exit 1; }
HONE=${HONE:-build/native/src/hone}
[ -x "$HONE" ] || { echo "ttft: $HONE missing: run 'make build-native'" >&2; exit 1; }
LLAMA=${LLAMA_COMPLETION:-$HOME/.cache/hone-ref/llama.cpp/build/bin/llama-completion}
if [ ! -x "$LLAMA" ]; then
    echo "ttft: no llama-completion ($LLAMA): build it with ../shared/tools/build-llamacpp.sh; hone only" >&2
    LLAMA=
fi

# A prompt of NTOK tokens: words added until hone's tokenizer counts NTOK
# (BOS included), so both programs read the same text.
WORDS=(The history of the city begins with a small fishing village on the river, where traders from
       the north and the south met every summer to exchange salt and cloth and iron tools and stories
       of distant lands beyond the mountains and the sea)
prompt= n=0
for w in "${WORDS[@]}" "${WORDS[@]}" "${WORDS[@]}" "${WORDS[@]}"; do
    next=${prompt:+$prompt }$w
    m=$("$HONE" tokenize -m "$MODEL" -p "$next" --ids 2>/dev/null | tr ',' '\n' | grep -c '[0-9]') ||
        { echo "ttft: hone tokenize failed on $MODEL" >&2; exit 1; }
    [ "$m" -le "$NTOK" ] || break
    prompt=$next n=$m
done
[ "$n" -ge 2 ] || { echo "ttft: could not build a prompt of $NTOK tokens" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run PROG: one timed process; appends "prog wall_ms load_ms prompt_ms"
run() {
    local prog=$1 log=$out/log t0 t1
    t0=$(date +%s%N)
    case $prog in
    hone-auto) "$HONE" run -m "$MODEL" -p "$prompt" -n 1 -t "$T" --temp 0 > /dev/null 2> "$log" < /dev/null ;;
    hone-mmap) "$HONE" run -m "$MODEL" -p "$prompt" -n 1 -t "$T" --temp 0 -lm mmap > /dev/null 2> "$log" < /dev/null ;;
    llama.cpp) "$LLAMA" -m "$MODEL" -p "$prompt" -n 1 -t "$T" --temp 0 --no-warmup > /dev/null 2> "$log" < /dev/null ;;
    esac || { echo "ttft: $prog failed:" >&2; tail -5 "$log" >&2; exit 1; }
    t1=$(date +%s%N)
    # hone: "hone: load time = X ms"; llama.cpp: "... load time = X ms"
    local load prompt_ms
    load=$(grep -m1 "load time" "$log" | sed 's/.*= *//; s/ ms.*//' || true)
    prompt_ms=$(grep -m1 "prompt eval time" "$log" | sed 's/.*= *//; s/ ms.*//' || true)
    echo "$prog $(((t1 - t0) / 1000000)) ${load:-nan} ${prompt_ms:-nan}" >> "$out/runs.txt"
}

progs=(hone-auto hone-mmap)
[ -z "$LLAMA" ] || progs+=(llama.cpp)
for p in "${progs[@]}"; do run "$p"; done # the page cache warm
: > "$out/runs.txt"
for ((r = 0; r < ROUNDS; r++)); do
    for ((k = 0; k < ${#progs[@]}; k++)); do run "${progs[(r + k) % ${#progs[@]}]}"; done
done

python3 - "$out/runs.txt" "$MODEL" "$n" "$T" "$ROUNDS" <<'PY'
import math, os, statistics as st, sys
runs = {}
for line in open(sys.argv[1]):
    prog, *v = line.split()
    runs.setdefault(prog, []).append([float(x) for x in v])
model, n, t, rounds = os.path.basename(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
print(f"model {model}, a prompt of {n} tokens (BOS included), threads {t}, {rounds} rounds, page cache warm")
print("time to first token of a fresh process, ms: median (range)")
print("| program | wall (process) | load (its log) | prompt (its log) |")
print("| --- | ---: | ---: | ---: |")
def cell(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return f"{st.median(xs):.0f} ({min(xs):.0f}-{max(xs):.0f})" if xs else "-"
for prog, rows in runs.items():
    print(f"| {prog} | " + " | ".join(cell([r[i] for r in rows]) for i in range(3)) + " |")
PY
