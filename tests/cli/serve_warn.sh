#!/bin/sh
# serve_warn.sh HONE MODEL: start `hone serve` with a per-slot context above
# the model's trained one, print its stderr once it listens, stop it (SIGINT).
# The port is picked from the PID; if another test's server holds it, the
# start fails before the warning: try another port (up to 5).
hone=$1 model=$2
err=$(mktemp)
for try in 1 2 3 4 5; do
    port=$((20000 + ($$ * 7 + try * 997) % 20000))
    "$hone" serve -m "$model" -c 8192 -np 2 --port "$port" 2>"$err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q "listening\|http://" "$err" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    grep -q "cannot listen" "$err" || break
done
cat "$err"
rm -f "$err"
