#!/bin/sh
# fifo_model.sh EXPECT_ERROR HONE CMD...: `hone CMD... -m FIFO` must refuse
# the FIFO at once (opening it for reading would wait for a writer forever).
expect=$1 hone=$2
shift 2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkfifo "$dir/model.gguf"
timeout 20 sh "$expect" "model.gguf: is a FIFO, not a regular file" "$hone" "$@" -m "$dir/model.gguf"
