#!/usr/bin/env bash
# bench-native.sh — hone vs the reference llama.cpp on one GGUF, side by side.
#   usage: ci/bench-native.sh MODEL [THREADS=2] [ROUNDS=6] [PP=512] [TG=128] [DEPTH=0]
# Runs `hone bench` (native build, and the portable one when built) and
# `llama-bench` one repetition at a time, interleaved round by round (who
# goes first rotating), so a drift in the shared machine's speed hits all
# of them alike (six rounds balance who runs after whom). Before the tg
# rounds it measures the read bandwidth with ../shared/tools/bw.c (when
# present) and reports tg as a fraction of it.
# llama-bench is looked up as $LLAMA_BENCH, then in the checkout that
# ../shared/tools/build-llamacpp.sh makes (~/.cache/hone-ref).
# HONE_LOAD sets hone's -lm: auto (its default: the weights read into huge
# pages where that pays) or mmap (llama-bench's default), for a
# like-for-like run.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: ci/bench-native.sh MODEL [THREADS] [ROUNDS] [PP] [TG] [DEPTH]}
T=${2:-2}
ROUNDS=${3:-6}
PP=${4:-512}
TG=${5:-128}
DEPTH=${6:-0} # tokens already in the context (llama-bench -d), e.g. 4096
LOAD=${HONE_LOAD:-auto}
# HONE_KERNELS (a kernel set below the CPU's, e.g. avx2 on an AVX-512
# machine) passes through to both hone builds. The native build compiles
# every set over -march=native, so its avx2 set runs AVX-512 code in
# places (x86/f16acc.h, the attention sums): the portable column is the
# one an AVX2-only CPU would see; llama.cpp's AVX2 build for the rival
# (cmake -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# -DGGML_BMI2=ON -DGGML_AVX512=OFF) as LLAMA_BENCH.
if [ -n "${HONE_KERNELS:-}" ]; then
    echo "bench-native: HONE_KERNELS=$HONE_KERNELS: the native build's sets are compiled over -march=native; read the portable column for a CPU without the ISA above this set" >&2
fi
[ -f "$MODEL" ] || { echo "bench-native: no model file '$MODEL'" >&2; exit 1; }

NATIVE=build/native/src/hone
PORTABLE=build/portable/src/hone
[ -x "$NATIVE" ] || { echo "bench-native: $NATIVE missing: run 'make build-native'" >&2; exit 1; }
LLAMA=${LLAMA_BENCH:-$HOME/.cache/hone-ref/llama.cpp/build/bin/llama-bench}
if [ ! -x "$LLAMA" ]; then
    echo "bench-native: no llama-bench ($LLAMA): build it with ../shared/tools/build-llamacpp.sh; hone only" >&2
    LLAMA=
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# ../shared/tools/bw.c needs AVX-512; ci/bw.c is the same probe in plain C
BW=
for src in ../shared/tools/bw.c ci/bw.c; do
    if [ -f "$src" ] && gcc -O3 -march=native -fopenmp -o "$out/bw" "$src" 2>/dev/null; then
        BW="$out/bw"
        echo "bench-native: read bandwidth from $src" >&2
        break
    fi
done

# one JSON line per sample: {"prog":..., "test":..., "ts":...}
sample() { # prog test command... (a failed run is an error, not a gap)
    local prog=$1 test=$2 bin=$3
    shift 3
    "$bin" "$@" -o json 2>/dev/null |
        python3 -c 'import json,sys
for r in json.load(sys.stdin):
    print(json.dumps({"prog": sys.argv[1], "test": sys.argv[2], "round": int(sys.argv[3]),
                      "after": sys.argv[4], "ts": r["avg_ts"]}))' \
            "$prog" "$test" "$r" "$prev" >> "$out/samples.jsonl"
    prev=$prog
}
prev=start # what ran just before a sample: a program, the probe, or nothing

ORDERS=(012 120 201 210 102 021) # 0 hone native, 1 llama.cpp, 2 hone portable
for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r/$ROUNDS" >&2
    for test in pp tg; do
        if [ $test = pp ]; then args=(-p "$PP" -n 0); else args=(-p 0 -n "$TG"); fi
        [ "$DEPTH" = 0 ] || args+=(-d "$DEPTH")
        if [ $test = tg ] && [ -n "$BW" ]; then
            "$BW" "$T" | awk -v r="$r" '{for (i = 1; i < NF; i++) if ($i == "bandwidth") print r, $(i+1)}' >> "$out/bw.txt"
            prev=probe
        fi
        # The order goes through all six permutations, so over six rounds
        # each program runs first twice and right after each of the other
        # two twice: a run is not independent of the one before it. On the
        # Zen 5 guest (a PVM guest with free page reporting) right after
        # the probe a run came out up to 16 % slower than later, and hone
        # right after another hone process (which had just freed its
        # 0.6-1.1 GB of weights) ~10 % slower than after llama-bench.
        for ((k = 0; k < 3; k++)); do
            case ${ORDERS[(r - 1) % 6]:k:1} in
            0) sample hone-native $test "$NATIVE" bench -m "$MODEL" -t "$T" -r 1 -lm "$LOAD" "${args[@]}" ;;
            1) [ -z "$LLAMA" ] || sample llama.cpp $test "$LLAMA" -m "$MODEL" -t "$T" -r 1 "${args[@]}" ;;
            2) [ ! -x "$PORTABLE" ] || sample hone-portable $test "$PORTABLE" bench -m "$MODEL" -t "$T" -r 1 -lm "$LOAD" "${args[@]}" ;;
            esac
        done
    done
done

python3 - "$out" "$MODEL" "$T" "$PP" "$TG" "$DEPTH" "$LOAD" <<'PY'
import json, os, statistics as st, sys
out, model, t, pp, tg, depth, load = sys.argv[1:8]
at = f" @ d{depth}" if depth != "0" else ""
samples = {}  # (prog, test) -> {round: t/s}
after = {}    # (prog, test, what ran just before) -> [t/s]
for line in open(os.path.join(out, "samples.jsonl")):
    s = json.loads(line)
    samples.setdefault((s["prog"], s["test"]), {})[s["round"]] = s["ts"]
    after.setdefault((s["prog"], s["test"], s["after"]), []).append(s["ts"])
bw_path = os.path.join(out, "bw.txt")
bw = {}  # round -> GB/s, measured right before that round's tg runs
if os.path.exists(bw_path):
    for line in open(bw_path):
        r, v = line.split()
        bw[int(r)] = float(v)
size = os.path.getsize(model)
def cell(prog, test):
    v = list(samples.get((prog, test), {}).values())
    if not v: return None, "-"
    m = st.mean(v); sd = st.stdev(v) if len(v) > 1 else 0.0
    return m, f"{m:.2f} ± {sd:.2f}"
# The shared machine's speed drifts by tens of percent over minutes, so a
# ratio of means mixes its phases; each round's ratio compares runs made
# moments apart, and their median is what the verdict should read.
def round_ratio(num, den):
    a, b = samples.get(num, {}), samples.get(den, {})
    rs = [a[r] / b[r] for r in sorted(a) if r in b and b[r] > 0]
    if not rs: return "-"
    return f"{st.median(rs):.2f}x ({min(rs):.2f}-{max(rs):.2f})"
print(f"\nmodel {os.path.basename(model)} ({size / 2**20:.0f} MiB), threads {t}, "
      f"{max(len(v) for v in samples.values())} interleaved rounds; hone -lm {load}, llama-bench its default (mmap)")
if bw: print(f"read bandwidth (bw.c, before each tg round): {st.mean(bw.values()):.1f} GB/s "
             f"({min(bw.values()):.1f}-{max(bw.values()):.1f})")
print("\n| test | hone native t/s | llama.cpp t/s | hone/llama | hone portable t/s | portable/native |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for test, name in (("pp", f"pp{pp}{at}"), ("tg", f"tg{tg}{at}")):
    hn, hs = cell("hone-native", test)
    lm, ls = cell("llama.cpp", test)
    pm, ps = cell("hone-portable", test)
    r1 = f"{hn / lm:.2f}x" if hn and lm else "-"
    r2 = f"{pm / hn:.2f}x" if hn and pm else "-"
    print(f"| {name} | {hs} | {ls} | {r1} | {ps} | {r2} |")
print("\nmedian of the per-round ratios (range):")
for test, name in (("pp", f"pp{pp}{at}"), ("tg", f"tg{tg}{at}")):
    print(f"  {name}: native/llama {round_ratio(('hone-native', test), ('llama.cpp', test))}, "
          f"portable/llama {round_ratio(('hone-portable', test), ('llama.cpp', test))}, "
          f"portable/native {round_ratio(('hone-portable', test), ('hone-native', test))}")
print("\nmean t/s by what ran just before (a run is not independent of the one before it):")
for test in ("pp", "tg"):
    for prog in ("hone-native", "llama.cpp", "hone-portable"):
        cells = [f"{a} {st.mean(v):.1f} (n={len(v)})" for (p, t, a), v in sorted(after.items()) if p == prog and t == test]
        if cells: print(f"  {test} {prog}: after " + ", ".join(cells))
if bw:
    # decode reads every weight once per token: bytes/token ~ file size
    print()
    for prog in ("hone-native", "hone-portable", "llama.cpp"):
        tgs = samples.get((prog, "tg"), {})
        if not tgs: continue
        gbs = st.mean(tgs.values()) * size / 1e9
        shares = [100 * tgs[r] * size / 1e9 / bw[r] for r in sorted(tgs) if r in bw]
        print(f"{prog.replace('-', ' ')} tg: {gbs:.1f} GB/s of weights = {100 * gbs / st.mean(bw.values()):.0f}% "
              f"of the mean read bandwidth; per round, median {st.median(shares):.0f}% "
              f"({min(shares):.0f}-{max(shares):.0f}%)")
PY
