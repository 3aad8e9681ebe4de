#!/bin/sh
# llamacpp_flags.sh HONE MODEL: llama.cpp's flags are accepted by `hone run`
# with llama.cpp's meaning.
hone=$1 model=$2
fail() { echo "FAIL: $*"; exit 1; }
p="Once upon a time"
# -s is --seed
a=$("$hone" run -m "$model" -p "$p" -n 16 -s 7 --no-timings 2>/dev/null) || fail "-s"
b=$("$hone" run -m "$model" -p "$p" -n 16 --seed 7 --no-timings 2>/dev/null) || fail "--seed"
[ "$a" = "$b" ] || fail "-s 7 and --seed 7 differ: '$a' vs '$b'"
# -ngl: accepted, one note on stderr, same text; -fa: llama.cpp's values,
# auto (the default) = on, as llama.cpp's CPU backend resolves it
err=$("$hone" run -m "$model" -p "$p" -n 16 -s 7 --no-timings -fa on -ngl 99 -ngl 1 2>&1 >/dev/null) ||
    fail "-fa on -ngl 99: $err"
[ "$(printf '%s\n' "$err" | grep -c 'runs on the CPU')" = 1 ] || fail "-ngl note not once: $err"
c=$("$hone" run -m "$model" -p "$p" -n 16 -s 7 --no-timings -fa auto -ngl 99 2>/dev/null)
[ "$a" = "$c" ] || fail "-fa auto / -ngl changed the text"
for v in on enabled true 1; do
    c=$("$hone" run -m "$model" -p "$p" -n 16 -s 7 --no-timings -fa $v 2>/dev/null)
    [ "$a" = "$c" ] || fail "-fa $v is not the default"
done
for v in off disabled false 0; do
    "$hone" run -m "$model" -p "$p" -n 16 -s 7 --no-timings -fa $v >/dev/null 2>&1 || fail "-fa $v"
done
err=$("$hone" run -m "$model" -p "$p" -n 2 -fa maybe 2>&1 >/dev/null) && fail "-fa maybe accepted"
printf '%s\n' "$err" | grep -q "'maybe' is not on, off or auto" || fail "-fa maybe: $err"
err=$("$hone" run -m "$model" -p "$p" -n 2 -v -fa off --no-timings 2>&1 >/dev/null)
printf '%s\n' "$err" | grep -q "flash attention off" || fail "-v -fa off: $err"
err=$("$hone" run -m "$model" -p "$p" -n 2 -v --no-timings 2>&1 >/dev/null)
printf '%s\n' "$err" | grep -q "flash attention on (auto)" || fail "-v: $err"
# --log-disable: no timings
err=$("$hone" run -m "$model" -p "$p" -n 4 --log-disable 2>&1 >/dev/null)
[ -z "$err" ] || fail "--log-disable still printed: $err"
# -v: the settings, and where the thread count came from
err=$("$hone" run -m "$model" -p "$p" -n 2 -v -t 1 --no-timings 2>&1 >/dev/null)
printf '%s\n' "$err" | grep -q "1 threads (from -t), kernels" || fail "-v: $err"
printf '%s\n' "$err" | grep -q "sampling: temp 0.80, top-k 40" || fail "-v sampling: $err"
# -ctk / -ctv: one type for both
"$hone" run -m "$model" -p "$p" -n 2 -ctk f32 -ctv f32 --no-timings >/dev/null 2>&1 || fail "-ctk f32 -ctv f32"
err=$("$hone" run -m "$model" -p "$p" -n 2 -ctk f16 -ctv f32 2>&1 >/dev/null) && fail "-ctk f16 -ctv f32 accepted"
printf '%s\n' "$err" | grep -q "hone keeps K and V in one type" || fail "-ctk/-ctv: $err"
# -no-cnv wins over -cnv: the prompt is continued, no chat prompt
out=$("$hone" run -m "$model" -p "$p" -n 4 -cnv -no-cnv --no-timings </dev/null 2>&1) || fail "-no-cnv: $out"
case "$out" in "$p"*) ;; *) fail "-no-cnv: '$out'" ;; esac
# -r ends the answer where the text appears
out=$("$hone" run -m "$model" -p "$p" -n 40 --temp 0 -r "little" --no-timings 2>/dev/null)
case "$out" in *little*) fail "-r: '$out'" ;; esac
echo ok
