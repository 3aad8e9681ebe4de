#!/bin/sh
# quantize_digests.sh HONE MAKE_ODD_MODEL SHARED_DIR DIGESTS
#
# hone quantize on every case of digests.txt must write a file with the
# digest llama-quantize's output has (byte-identical: metadata, tensor
# order, types, data). A mismatch prints the case and hone's per-tensor
# types, to compare with llama-quantize's log (make_digests.sh says how).
set -u
hone=$1
odd_tool=$2
shared=$3
digests=$4
[ -d "$shared/models" ] || { echo "SKIP: no $shared/models"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$odd_tool" "$tmp/odd.gguf" || exit 1
fail=0
n=0
while read -r model type want opts; do
    case "$model" in ''|'#'*) continue ;; esac
    if [ "$model" = odd ]; then in=$tmp/odd.gguf; else in=$shared/models/$model.gguf; fi
    # shellcheck disable=SC2086 # opts is a list of words
    if ! "$hone" quantize $opts "$in" "$tmp/out.gguf" "$type" 2 > "$tmp/log" 2>&1; then
        echo "FAIL $model $type $opts: hone quantize failed:"; cat "$tmp/log"
        fail=1
        continue
    fi
    got=$(sha256sum "$tmp/out.gguf" | cut -d' ' -f1)
    n=$((n + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL $model $type $opts: sha256 $got, llama-quantize's is $want"
        "$hone" info -m "$tmp/out.gguf" 2>&1 | grep -i -E 'tensor|type' | head -60
        fail=1
    fi
    rm -f "$tmp/out.gguf"
done < "$digests"
[ "$n" -gt 0 ] || { echo "FAIL: no case ran"; exit 1; }
[ $fail -eq 0 ] && echo "ok: $n quantizations byte-identical to llama-quantize's"
exit $fail
