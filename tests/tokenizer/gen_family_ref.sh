#!/bin/sh
# gen_family_ref.sh — regenerate data/families/PRE.ids: llama-tokenize's ids
# for data/families/family_mix.txt with the gpt-2 vocab relabelled with each
# tokenizer.ggml.pre name hone knows (make_pre_variant.py), so every
# pre-tokenizer family's regexes and flags are checked against llama.cpp.
# Not run by CI (check_family_ref.sh compares hone to the stored files).
# Needs the `names` list: `hone tokenize --list-pre` prints it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LT=${LLAMA_TOKENIZE:-/root/.cache/hone-ref/llama.cpp/build/bin/llama-tokenize}
HONE=${HONE:?set HONE to the hone binary}
SHARED=${HONE_SHARED:-$here/../../../shared}
out=$here/data/families
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rm -f "$out"/*.ids
for pre in $("$HONE" tokenize --list-pre); do
    python3 "$here/make_pre_variant.py" "$SHARED/vocab/ggml-vocab-gpt-2.gguf" "$tmp/v.gguf" "$pre"
    "$LT" -m "$tmp/v.gguf" -f "$out/family_mix.txt" --no-escape --ids --log-disable \
        --no-parse-special > "$out/$pre.ids" 2>/dev/null
done
echo "wrote $(ls "$out"/*.ids | wc -l) files to $out"
