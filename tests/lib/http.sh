# http.sh — sourced by the tests that start a server on 127.0.0.1.

# A free 127.0.0.1 port.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_status URL WANT TRIES: poll URL every 0.1 s until it answers HTTP
# WANT or TRIES polls are done; prints the last status (000: no answer).
wait_status() {
    local code=000 i
    for i in $(seq "$3"); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)
        [ "$code" = "$2" ] && break
        sleep 0.1
    done
    echo "$code"
}
