#!/bin/sh
# gen_llama_ref.sh — regenerate tests/tokenizer/data/ref/ from llama.cpp's
# llama-tokenize (not run by CI; CI only compares hone to the stored files,
# see check_llama_ref.sh).
#
# For every vocab in $HONE_SHARED/vocab and every input in data/texts:
#   NAME.txt  is passed verbatim with -f FILE --no-escape
#   NAME.arg  is passed as -p "$(cat NAME.arg)" (escape processing on)
# Modes (the file suffix tells check_llama_ref.sh which flags to use):
#   .default.ids  --ids                                 (model's BOS, special tokens parsed)
#   .raw.ids      --ids --no-bos --no-parse-special
#   .pieces       (the "id -> 'piece'" listing) --show-count, for a few texts
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LT=${LLAMA_TOKENIZE:-/root/.cache/hone-ref/llama.cpp/build/bin/llama-tokenize}
SHARED=${HONE_SHARED:-$here/../../../shared}
out=$here/data/ref
mkdir -p "$out"
rm -f "$out"/*.ids "$out"/*.pieces

run() { # vocab input-file extra-flags...
    v=$1; f=$2; shift 2
    case "$f" in
        *.arg) "$LT" -m "$v" -p "$(cat "$f")" --log-disable "$@" ;;
        *) "$LT" -m "$v" -f "$f" --no-escape --log-disable "$@" ;;
    esac
}

for v in "$SHARED"/vocab/*.gguf; do
    vn=$(basename "$v" .gguf)
    for f in "$here"/data/texts/*.txt "$here"/data/texts/*.arg; do
        tn=$(basename "$f"); tn=${tn%.*}
        run "$v" "$f" --ids > "$out/$vn.$tn.default.ids" 2>/dev/null
        run "$v" "$f" --ids --no-bos --no-parse-special > "$out/$vn.$tn.raw.ids" 2>/dev/null
    done
    for tn in english emoji invalid_utf8 specials whitespace; do
        run "$v" "$here/data/texts/$tn.txt" --show-count > "$out/$vn.$tn.pieces" 2>/dev/null
    done
done
echo "wrote $(ls "$out" | wc -l) files to $out"
