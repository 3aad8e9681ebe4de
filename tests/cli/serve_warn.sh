#!/bin/sh
# serve_warn.sh HONE MODEL: start `hone serve` with a per-slot context above
# the model's trained one, print its stderr once it listens, stop it (SIGINT).
hone=$1 model=$2
err=$(mktemp)
port=$((20000 + $$ % 20000))
"$hone" serve -m "$model" -c 8192 -np 2 --port "$port" 2>"$err" &
pid=$!
for _ in $(seq 100); do
    grep -q "listening\|http://" "$err" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
cat "$err"
rm -f "$err"
