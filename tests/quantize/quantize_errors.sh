#!/bin/sh
# quantize_errors.sh HONE MAKE_ODD_MODEL SHARED_DIR
#
# hone quantize on bad input: one line on stderr, a non-zero exit, nothing
# written (no OUT, no temporary file): a file that is not GGUF, an unknown
# type, an already quantized model without --allow-requantize, OUT = IN
# (same path, another path, a hard link, a symlink), an OUT that cannot be
# written (a folder, under a file, under a missing folder), a full disk
# (RLIMIT_FSIZE), an interrupt. And --help, a good run, a rerun over an
# existing OUT.
set -u
hone=$1
odd_tool=$2
shared=$3
[ -f "$shared/models/stories260K-f32.gguf" ] || { echo "SKIP: no shared models"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
d=$tmp/w
mkdir "$d"
cp "$shared/models/stories260K-f32.gguf" "$d/in.gguf"
cp "$shared/models/syn-llama-q8_0.gguf" "$d/q8.gguf"
printf 'not a model\n' > "$d/text.gguf"
ls -a "$d" > "$tmp/before"

# expect_fail NAME PATTERN ARGS...: exit != 0, one stderr line matching
# PATTERN, nothing on stdout, the folder as it was.
expect_fail() {
    name=$1 pat=$2
    shift 2
    "$hone" quantize "$@" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    lines=$(wc -l < "$tmp/err")
    ls -a "$d" > "$tmp/after"
    if [ $rc -eq 0 ] || [ "$lines" -ne 1 ] || [ -s "$tmp/out" ] || ! grep -q -e "$pat" "$tmp/err" ||
       ! cmp -s "$tmp/before" "$tmp/after"; then
        echo "FAIL $name: exit $rc, $lines stderr lines (want 1 matching '$pat'):"
        cat "$tmp/err" "$tmp/out"
        diff "$tmp/before" "$tmp/after"
        fail=1
    else
        echo "ok   $name: $(cat "$tmp/err")"
    fi
}

expect_fail not-gguf "text.gguf" "$d/text.gguf" "$d/out.gguf" Q8_0
expect_fail missing-in "nope.gguf" "$d/nope.gguf" "$d/out.gguf" Q8_0
expect_fail unknown-type "unknown type 'Q9_Z'" "$d/in.gguf" "$d/out.gguf" Q9_Z
expect_fail missing-type "missing TYPE" "$d/in.gguf" "$d/out.gguf"
expect_fail bad-threads "THREADS" "$d/in.gguf" "$d/out.gguf" Q8_0 zero
expect_fail unknown-option "unknown option" --frobnicate "$d/in.gguf" "$d/out.gguf" Q8_0
expect_fail bad-tensor-type "unknown tensor type" --output-tensor-type q9 "$d/in.gguf" "$d/out.gguf" Q8_0
expect_fail requantize "allow-requantize" "$d/q8.gguf" "$d/out.gguf" Q4_K_M
expect_fail same-path "same file" "$d/in.gguf" "$d/in.gguf" Q8_0
expect_fail same-other-path "same file" "$d/in.gguf" "$d/../w/./in.gguf" Q8_0
ln "$d/in.gguf" "$d/hard.gguf"
ln -s in.gguf "$d/sym.gguf"
ls -a "$d" > "$tmp/before"
expect_fail same-hard-link "same file" "$d/in.gguf" "$d/hard.gguf" Q8_0
expect_fail same-symlink "same file" "$d/sym.gguf" "$d/in.gguf" Q8_0
mkdir "$d/folder"
ls -a "$d" > "$tmp/before"
expect_fail out-is-folder "folder" "$d/in.gguf" "$d/folder" Q8_0
expect_fail out-under-file "cannot write" "$d/in.gguf" "$d/text.gguf/out.gguf" Q8_0
expect_fail out-missing-dir "cannot write" "$d/in.gguf" "$d/no/such/out.gguf" Q8_0
if [ "$(id -u)" != 0 ]; then
    mkdir "$d/ro" && chmod 555 "$d/ro"
    ls -a "$d" > "$tmp/before"
    expect_fail out-read-only "cannot write" "$d/in.gguf" "$d/ro/out.gguf" Q8_0
fi

# A full disk: writes past RLIMIT_FSIZE fail with EFBIG (SIGXFSZ ignored,
# as the default action would kill hone before it can clean up).
ls -a "$d" > "$tmp/before"
(trap '' XFSZ; ulimit -f 64; exec "$hone" quantize "$d/in.gguf" "$d/out.gguf" F16) \
    > "$tmp/out" 2> "$tmp/err"
rc=$?
ls -a "$d" > "$tmp/after"
if [ $rc -eq 0 ] || [ "$(wc -l < "$tmp/err")" -ne 1 ] || ! cmp -s "$tmp/before" "$tmp/after"; then
    echo "FAIL full-disk: exit $rc"; cat "$tmp/err"; diff "$tmp/before" "$tmp/after"; fail=1
else
    echo "ok   full-disk: $(cat "$tmp/err")"
fi

# An interrupt while writing: exit 130, no OUT, no temporary file.
"$odd_tool" "$tmp/big.gguf" big || exit 1
ls -a "$d" > "$tmp/before"
"$hone" quantize "$tmp/big.gguf" "$d/big-out.gguf" Q2_K 1 > /dev/null 2> "$tmp/err" &
pid=$!
i=0
while [ $i -lt 200 ] && ! ls -a "$d" | grep -q 'hone-tmp'; do sleep 0.02; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
ls -a "$d" > "$tmp/after"
if [ $rc -ne 130 ] || ! cmp -s "$tmp/before" "$tmp/after"; then
    echo "FAIL interrupt: exit $rc (want 130)"; cat "$tmp/err"; diff "$tmp/before" "$tmp/after"; fail=1
else
    echo "ok   interrupt: $(cat "$tmp/err")"
fi

# --help: exit 0, the types and options listed.
if "$hone" quantize --help > "$tmp/help" 2>&1 && grep -q Q4_K_M "$tmp/help" &&
   grep -q -- --allow-requantize "$tmp/help" && grep -q COPY "$tmp/help"; then
    echo "ok   help"
else
    echo "FAIL help"; cat "$tmp/help"; fail=1
fi

# A good run, then a rerun over the existing OUT: no temporary file left.
for run in 1 2; do
    if ! "$hone" quantize "$d/in.gguf" "$d/good.gguf" Q8_0 > "$tmp/out" 2>&1 ||
       ! grep -q "quant size" "$tmp/out" || ls -a "$d" | grep -q hone-tmp ||
       ! "$hone" info -m "$d/good.gguf" > /dev/null 2>&1; then
        echo "FAIL good run $run"; cat "$tmp/out"; ls -a "$d"; fail=1
    else
        echo "ok   good run $run"
    fi
done
exit $fail
