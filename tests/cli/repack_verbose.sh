#!/bin/sh
# repack_verbose.sh HONE MODEL: a model read into memory (-lm none) has its
# matrices laid out by the avx512 set (its repack) and -v says so; mapped
# (-lm mmap), or on another set, it is used as stored and -v says nothing of
# it. The text is the same either way (the repacked products give the same
# bits).
hone=$1 model=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "repack_verbose: $*" >&2; exit 1; }
run() { # MODE: text to $dir/MODE.out, stderr to $dir/MODE.err
    "$hone" run -m "$model" -v -lm "$1" -p "Once upon a time" -n 24 --temp 0 --no-timings \
        >"$dir/$1.out" 2>"$dir/$1.err" || fail "hone run -lm $1 failed: $(cat "$dir/$1.err")"
}
run none
run mmap
kernels=$("$hone" info | awk '$1 == "kernels" {sub(/,$/, "", $2); print $2}') # "avx512, table ..."
[ -n "$kernels" ] || fail "hone info printed no kernels line"
if [ "$kernels" = avx512 ]; then
    grep -q "matrices laid out for kernel set avx512 (16-row groups)" "$dir/none.err" ||
        fail "-lm none on avx512: no 'laid out' line in: $(cat "$dir/none.err")"
else
    grep -q "laid out" "$dir/none.err" && fail "kernel set $kernels has no repack, yet: $(cat "$dir/none.err")"
fi
grep -q "laid out" "$dir/mmap.err" && fail "a mapped model was laid out: $(cat "$dir/mmap.err")"
cmp -s "$dir/none.out" "$dir/mmap.out" || fail "texts differ: '$(cat "$dir/none.out")' vs '$(cat "$dir/mmap.out")'"
[ -s "$dir/none.out" ] || fail "no text"
echo "repack_verbose: ok ($kernels)"
