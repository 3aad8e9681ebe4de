#!/bin/sh
# check_family_ref.sh HONE DATA_DIR SHARED_DIR — for every stored
# DATA_DIR/families/PRE.ids, relabel the gpt-2 vocab with
# tokenizer.ggml.pre = PRE and require `hone tokenize` to print the same ids
# as llama-tokenize did. Also requires every name hone knows to have a file.
set -u
hone=$1; data=$2/families; shared=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fails=0
for pre in $("$hone" tokenize --list-pre); do
    [ -f "$data/$pre.ids" ] || { echo "no reference for pre-tokenizer '$pre'"; fails=$((fails + 1)); }
done
for ref in "$data"/*.ids; do
    pre=$(basename "$ref" .ids)
    python3 "$(dirname "$0")/make_pre_variant.py" "$shared/vocab/ggml-vocab-gpt-2.gguf" "$tmp/v.gguf" "$pre" || exit 1
    "$hone" tokenize -m "$tmp/v.gguf" -f "$data/family_mix.txt" --no-escape --ids \
        --no-parse-special > "$tmp/out" 2>"$tmp/err"
    if cmp -s "$tmp/out" "$ref"; then
        pass=$((pass + 1))
    else
        fails=$((fails + 1))
        echo "MISMATCH pre-tokenizer '$pre': $(head -c 300 "$tmp/err")"
    fi
done
echo "$pass pre-tokenizer names match llama-tokenize, $fails mismatches"
[ "$pass" -gt 0 ] && [ "$fails" -eq 0 ]
