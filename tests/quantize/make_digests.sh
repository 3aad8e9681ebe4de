#!/bin/sh
# make_digests.sh LLAMA_QUANTIZE MAKE_ODD_MODEL [SHARED_DIR] > digests.txt
#
# Runs llama.cpp's llama-quantize on every case of cases.txt and prints
# "MODEL TYPE SHA256 [OPTIONS...]", the sha256 of its whole output file
# (metadata, tensor order, types and data: hone writes the same bytes).
# Run once when cases.txt changes, with the reference llama.cpp build
# (llama.cpp v0.5.0, de3ff81: ~/.cache/hone-ref/llama.cpp/build/bin/
# llama-quantize, or ../shared/tools/build-llamacpp.sh) and make_odd_model
# from a hone build tree (build/portable/tests/quantize/make_odd_model):
#   sh tests/quantize/make_digests.sh \
#      ~/.cache/hone-ref/llama.cpp/build/bin/llama-quantize \
#      build/portable/tests/quantize/make_odd_model > tests/quantize/digests.txt
set -eu
lq=$1
odd_tool=$2
here=$(cd "$(dirname "$0")" && pwd)
shared=${3:-$here/../../../shared}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$odd_tool" "$tmp/odd.gguf"
echo "# llama-quantize's output digests for cases.txt (make_digests.sh; do not edit)"
grep -v '^#' "$here/cases.txt" | while read -r model type opts; do
    [ -n "$model" ] || continue
    if [ "$model" = odd ]; then in=$tmp/odd.gguf; else in=$shared/models/$model.gguf; fi
    # shellcheck disable=SC2086 # opts is a list of words
    "$lq" $opts "$in" "$tmp/out.gguf" "$type" 2 > "$tmp/log" 2>&1 || {
        cat "$tmp/log" >&2
        echo "make_digests: llama-quantize failed on $model $type $opts" >&2
        exit 1
    }
    sum=$(sha256sum "$tmp/out.gguf" | cut -d' ' -f1)
    echo "$model $type $sum${opts:+ $opts}"
done
