#!/usr/bin/env bash
# bench-tables.sh — which CPU's kernel table decodes fastest on this one.
#   usage: ci/bench-tables.sh MODEL [THREADS=2] [ROUNDS=8] [TG=128]
# The avx2 and avx512 sets come in tables that differ in where the decode
# fetches weights ahead (kernels/kernels.c picks one by CPU vendor and
# family from measurements on one CPU of each). This runs `hone bench -n
# TG` with HONE_KERNELS set to each table this CPU can run, and to the
# default (auto), one repetition at a time, interleaved round by round
# with the order rotating (as ci/bench-native.sh does), and prints each
# table's mean t/s and the median of its per-round ratios to the default.
# A table that beats the default over many rounds is a case for changing
# the choice in kernels.c (and for a line in kernels/README.md).
# HONE is the hone binary (default: the native build's); HONE_LOAD its -lm.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: ci/bench-tables.sh MODEL [THREADS] [ROUNDS] [TG]}
T=${2:-2}
ROUNDS=${3:-8}
TG=${4:-128}
[ -f "$MODEL" ] || { echo "bench-tables: no model file '$MODEL'" >&2; exit 1; }
HONE=${HONE:-build/native/src/hone}
[ -x "$HONE" ] || { echo "bench-tables: $HONE missing: run 'make build-native'" >&2; exit 1; }
LOAD=${HONE_LOAD:-auto}

# the tables: what hone info accepts here (the error names the list)
list=$(HONE_KERNELS=x:list "$HONE" info 2>&1 | sed -n 's/.*(tables: \(.*\))/\1/p' | tr -d ',')
[ -n "$list" ] || { echo "bench-tables: this hone has no per-CPU tables (not an x86-64 build)" >&2; exit 1; }
default=$("$HONE" info | sed -n 's/.*kernels .*, table \([^ ]*\) (.*/\1/p')
names=(auto)
for t in $list; do
    if HONE_KERNELS=$t "$HONE" info | grep -q "kernels .*, table $t "; then names+=("$t"); fi
done
echo "bench-tables: default table here: ${default:-none}; measuring ${names[*]}" >&2

out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=${#names[@]}
for ((r = 0; r < ROUNDS; r++)); do
    echo "round $((r + 1))/$ROUNDS" >&2
    for ((k = 0; k < n; k++)); do
        name=${names[(k + r) % n]}
        HONE_KERNELS=$name "$HONE" bench -m "$MODEL" -t "$T" -r 1 -lm "$LOAD" -p 0 -n "$TG" -o json 2>/dev/null |
            python3 -c 'import json, sys
for x in json.load(sys.stdin): print(sys.argv[1], sys.argv[2], x["avg_ts"])' "$name" "$r" >> "$out"
    done
done

python3 - "$out" "$default" "$MODEL" "$T" "$TG" "$ROUNDS" <<'PY'
import os, statistics as st, sys
path, default, model, t, tg, rounds = sys.argv[1:7]
ts = {}  # name -> {round: t/s}
for line in open(path):
    name, r, v = line.split()
    ts.setdefault(name, {})[int(r)] = float(v)
base = ts.get("auto", {})
print(f"\nmodel {os.path.basename(model)}, tg{tg}, threads {t}, {rounds} interleaved rounds; "
      f"auto = {default or 'the only table'}")
print("\n| table | mean t/s | per-round ratio to auto, median (range) | faster in |")
print("| --- | ---: | ---: | ---: |")
for name, v in ts.items():
    rs = [v[r] / base[r] for r in sorted(v) if r in base and base[r] > 0]
    ratio = f"{st.median(rs):.3f}x ({min(rs):.3f}-{max(rs):.3f})" if rs else "-"
    above = f"{sum(x > 1 for x in rs)}/{len(rs)}" if name != "auto" and rs else "-"
    print(f"| {name} | {st.mean(v.values()):.2f} | {ratio} | {above} |")
PY
