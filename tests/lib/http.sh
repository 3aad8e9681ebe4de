# http.sh — sourced by the tests that start a server on 127.0.0.1.

# A free 127.0.0.1 port.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_status URL WANT TRIES [PID]: poll URL every 0.1 s until it answers
# HTTP WANT or TRIES polls are done (or the server PID has exited); prints
# the last status (000: no answer).
wait_status() {
    local code=000 i
    for i in $(seq "$3"); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)
        [ "$code" = "$2" ] && break
        [ -z "${4:-}" ] || kill -0 "$4" 2>/dev/null || break
        sleep 0.1
    done
    echo "$code"
}

# serve_smoke LOG PORT LIBDIR CMD...: run CMD (a `hone serve ... --port
# PORT`, in the background) until /health answers 200, then one short
# /completion on its built-in or given model, then SIGTERM, which must end
# it with 0. LIBDIR non-empty: libmicrohttpd and GnuTLS must be mapped from
# there (an artifact's lib/hone), not from wherever else the loader (or
# qemu-user's -L fallback to the host's directories) could find a copy.
# Returns 1 with the reason and the server's log on stdout. Call it as
# `serve_smoke ... || fail ...`.
serve_smoke() {
    local log=$1 port=$2 libdir=$3 pid code out lib maps rc=0
    shift 3
    "$@" > "$log" 2>&1 &
    pid=$!
    code=$(wait_status "http://127.0.0.1:$port/health" 200 300 $pid)
    if [ "$code" != 200 ]; then
        echo "/health: $code"
        rc=1
    else
        out=$(curl -s -w ' HTTP %{http_code}' "http://127.0.0.1:$port/completion" \
              -d '{"prompt": "Once upon a time", "n_predict": 8, "temperature": 0}') || true
        if ! grep -q '"content":"[^"].* HTTP 200$' <<<"$out"; then
            echo "/completion: $out"
            rc=1
        fi
        maps=$(cat "/proc/$pid/maps" 2>/dev/null) || true
        for lib in libmicrohttpd.so.12 libgnutls.so.30; do
            [ -n "$libdir" ] || break
            if ! grep -q " $libdir/$lib\$" <<<"$maps"; then
                echo "$lib is not mapped from $libdir: $(echo "$maps" | grep -o "/[^ ]*/$lib" | sort -u)"
                rc=1
            fi
        done
    fi
    kill -TERM $pid 2>/dev/null
    wait $pid || { echo "hone serve ended with exit code $? (0 wanted, after SIGTERM)"; rc=1; }
    [ $rc -eq 0 ] || cat "$log"
    return $rc
}
