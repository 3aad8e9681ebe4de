#!/bin/sh
# check_llama_ref.sh HONE DATA_DIR SHARED_DIR — run `hone tokenize` on every
# stored llama-tokenize output in DATA_DIR/ref (made by gen_llama_ref.sh)
# and require byte-identical output. Prints a pass count per vocab.
set -u
hone=$1; data=$2; shared=$3
fails=0; total=0
tmp=$(mktemp); trap 'rm -f "$tmp" "$tmp.err"' EXIT
[ -d "$data/ref" ] || { echo "no $data/ref"; exit 1; }
for v in $(ls "$data/ref" | sed 's/\..*//' | sort -u); do
    model="$shared/vocab/$v.gguf"
    vpass=0; vtotal=0
    for ref in "$data/ref/$v".*; do
        name=$(basename "$ref"); rest=${name#"$v".}
        tn=${rest%%.*}; mode=${rest#*.}
        case "$mode" in
            default.ids) flags="--ids" ;;
            raw.ids) flags="--ids --no-bos --no-parse-special" ;;
            pieces) flags="--show-count" ;;
            *) echo "unknown reference file $name"; fails=$((fails + 1)); continue ;;
        esac
        if [ -f "$data/texts/$tn.arg" ]; then
            "$hone" tokenize -m "$model" -p "$(cat "$data/texts/$tn.arg")" $flags > "$tmp" 2>"$tmp.err"
        else
            "$hone" tokenize -m "$model" -f "$data/texts/$tn.txt" --no-escape $flags > "$tmp" 2>"$tmp.err"
        fi
        vtotal=$((vtotal + 1))
        if cmp -s "$tmp" "$ref"; then
            vpass=$((vpass + 1))
        else
            fails=$((fails + 1))
            echo "MISMATCH $name ($flags)"
            echo "  llama.cpp: $(head -c 400 "$ref")"
            echo "  hone:      $(head -c 400 "$tmp")"
            echo "  stderr:    $(head -c 300 "$tmp.err")"
        fi
    done
    total=$((total + vtotal))
    echo "$v: $vpass/$vtotal match llama-tokenize"
done
echo "$total comparisons, $fails mismatches"
[ "$total" -gt 0 ] && [ "$fails" -eq 0 ]
