#!/bin/bash
# server_test.sh HONE MODEL NPM_RUN — `hone serve` end to end, on a free
# 127.0.0.1 port, started and stopped here:
#   - /health, /v1/models, /props, /slots, /metrics, /tokenize + /detokenize
#   - greedy answers equal `hone run --temp 0` (1 slot, and 4 requests at
#     once on 4 slots: batching must not change them)
#   - a client that leaves mid-stream frees its slot
#   - errors: 401, 404, 405, 413, 400 (bad JSON, bad parameter, a prompt
#     longer than a slot), and a few hundred malformed bodies: each a 4xx,
#     the server still serving
#   - log-probabilities on the three APIs, streamed and not
#     (logprobs_test.py: values, not only shapes)
#   - the openai npm client (NPM_RUN openai_test.mjs)
#   - SIGTERM: exit 0
# then a second server (-np 1 --timeout 3):
#   - a stream queued behind a busy slot gets ": ping" comments before its
#     first event; a queued answer outlives --timeout (it waits on the engine,
#     not on the client)
#   - a client that sends its headers slowly, then stops, blocks no one and
#     is dropped --timeout seconds after its last byte
set -uo pipefail
hone=$1 model=$2 npm_run=$3
. "$(dirname "$0")/../lib/http.sh"
fail() { echo "FAIL: $*"; [ -f "$log" ] && tail -5 "$log"; exit 1; }
work=$(mktemp -d)
log=$work/server.log
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(free_port)
base=http://127.0.0.1:$port
"$hone" serve -m "$model" --port "$port" -np 4 -c 1024 --api-key k1,k2 --metrics > "$log" 2>&1 &
pid=$!
wait_status "$base/health" 200 100 > /dev/null
curl -s "$base/health" | grep -q '"status":"ok"' || fail "no /health"
H=(-H "Authorization: Bearer k2" -H "Content-Type: application/json")
code() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }
# true once no slot is busy, waiting up to 2 s
slots_idle() {
    for _ in $(seq 20); do
        curl -s "${H[@]}" "$base/slots" | grep -q '"is_processing":true' || return 0
        sleep 0.1
    done
    return 1
}

# info endpoints
curl -s "${H[@]}" "$base/v1/models" | grep -q '"object":"list"' || fail "/v1/models"
curl -s "${H[@]}" "$base/props" | grep -q '"total_slots":4' || fail "/props"
curl -s "${H[@]}" "$base/slots" | grep -q '"is_processing":false' || fail "/slots"
curl -s "${H[@]}" "$base/metrics" | grep -q '^hone_requests_total ' || fail "/metrics"
toks=$(curl -s "${H[@]}" "$base/tokenize" -d '{"content":"Once upon a time"}')
grep -q '"tokens":\[' <<<"$toks" || fail "/tokenize: $toks"
back=$(curl -s "${H[@]}" "$base/detokenize" -d "$toks")
grep -q '"content":"Once upon a time"' <<<"$back" || fail "/detokenize: $back"
# a byte token that is no character (<0xE2> alone) comes out as U+FFFD:
# every answer is valid UTF-8 JSON
python3 - "$port" <<'PY' || fail "invalid UTF-8 in an answer"
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("POST", "/detokenize", body=json.dumps({"tokens": [3 + 0xE2]}), headers={"Authorization": "Bearer k1"})
d = json.loads(c.getresponse().read().decode("utf-8"))
assert d["content"] == "\ufffd", d
c.request("POST", "/tokenize", body=json.dumps({"content": "\u20ac", "with_pieces": True}), headers={"Authorization": "Bearer k1"})
json.loads(c.getresponse().read().decode("utf-8"))
PY
tpl=$(curl -s "${H[@]}" "$base/apply-template" -d '{"messages":[{"role":"user","content":"hi"}]}')
grep -q '"prompt":"<|im_start|>user\\nhi<|im_end|>\\n<|im_start|>assistant\\n"' <<<"$tpl" ||
    fail "/apply-template (chatml): $tpl"
echo "ok: info endpoints, tokenize round trip, apply-template"

# greedy: equal to hone run --temp 0, alone and 4 at once
# (200 tokens past end-of-text, so the four requests overlap in the slots)
want=$("$hone" run -m "$model" -p "Once upon a time" -n 200 --ignore-eos --temp 0 --repeat-penalty 1 \
       --no-display-prompt --no-timings 2>/dev/null)
ask() { curl -s "${H[@]}" "$base/completion" \
             -d '{"prompt":"Once upon a time","n_predict":200,"ignore_eos":true,"temperature":0}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["content"], end="")'; }
got=$(ask)
[ "$got" = "$want" ] || fail "greedy answer '$got' is not hone run's '$want'"
pids=()
for i in 1 2 3 4; do ask > "$work/par$i" & pids+=($!); done
wait "${pids[@]}"
for i in 1 2 3 4; do [ "$(cat "$work/par$i")" = "$want" ] || fail "answer $i of 4 at once: $(cat "$work/par$i")"; done
echo "ok: greedy = hone run --temp 0, alone and 4 at once"

python3 "$(dirname "$0")/logprobs_test.py" "$port" k1 || fail "logprobs"
echo "ok: logprobs"

# a client that leaves mid-stream frees its slot
timeout 0.5 curl -sN "${H[@]}" "$base/v1/completions" \
    -d '{"prompt":"Once upon a time","max_tokens":100000,"ignore_eos":true,"stream":true}' > /dev/null
slots_idle || fail "the slot stayed busy after its client left"
echo "ok: a client that leaves frees its slot"

# a client that leaves while queued never takes a slot: 4 slots busy with
# long streams, a fifth request queued then dropped; the four finish
longreq='{"prompt":"Once upon a time","n_predict":3000,"ignore_eos":true,"temperature":0}'
pids=()
for i in 1 2 3 4; do curl -s "${H[@]}" "$base/completion" -d "$longreq" > "$work/long$i" & pids+=($!); done
sleep 0.2
timeout 0.3 curl -s "${H[@]}" "$base/completion" -d "$longreq" > /dev/null
wait "${pids[@]}"
for i in 1 2 3 4; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["tokens_predicted"]==3000 or d["stop_type"]=="limit", d' \
        "$work/long$i" 2>/dev/null || fail "long request $i: $(head -c 300 "$work/long$i")"
done
slots_idle || fail "a slot stayed busy after the queued client left"
echo "ok: a client that leaves while queued"

# 8 clients x 50 requests: every answer right, no error, memory flat. Under
# AddressSanitizer freed memory sits in its quarantine, so RSS is no
# measure there; LeakSanitizer checks at exit instead (SIGTERM below must
# give exit 0).
asan=0
readelf -d "$hone" 2>/dev/null | grep -q 'libasan' && asan=1
python3 - "$port" "$pid" "$asan" <<'PY' || fail "concurrency"
import http.client, json, sys, threading
port, pid, asan = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS:"): return int(l.split()[1])
def ask(i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"prompt": "Once upon a time", "n_predict": 8, "temperature": 0, "seed": i})
    c.request("POST", "/completion", body=body, headers={"Authorization": "Bearer k1"})
    r = c.getresponse(); d = r.read(); c.close()
    return r.status, json.loads(d)["content"] if r.status == 200 else d
ref = ask(0)[1]
errors = []
def client(k):
    for j in range(50):
        st, content = ask(k * 100 + j)
        if st != 200 or content != ref: errors.append((k, j, st, content))
def round_():
    ts = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in ts: t.start()
    for t in ts: t.join()
round_()                      # warm-up
before = rss()
round_()
after = rss()
print(f"8 clients x 50 requests, twice: {len(errors)} errors; RSS {before} -> {after} KiB"
      + (" (ASan: not bounded)" if asan else ""))
sys.exit(1 if errors or (not asan and after - before > 4096) else 0)
PY
echo "ok: 8 clients x 50 requests"

# errors
[ "$(code "$base/v1/models")" = 401 ] || fail "no key: $(cat "$work/body")"
grep -q '"type":"authentication_error"' "$work/body" || fail "401 body: $(cat "$work/body")"
[ "$(code -H "Authorization: Bearer nope" "$base/v1/models")" = 401 ] || fail "wrong key"
[ "$(code "${H[@]}" "$base/nope")" = 404 ] || fail "404"
[ "$(code "${H[@]}" "$base/v1/chat/completions")" = 405 ] || fail "405 (GET on a POST route)"
head -c 9000000 /dev/zero | tr '\0' 'a' > "$work/big"
[ "$(code "${H[@]}" "$base/v1/completions" --data-binary @"$work/big")" = 413 ] || fail "413"
[ "$(code "${H[@]}" "$base/v1/completions" -d '{"prompt":')" = 400 ] || fail "bad JSON"
[ "$(code "${H[@]}" "$base/v1/completions" -d '{"prompt":"x","temperature":"hot"}')" = 400 ] || fail "bad parameter"
grep -q "'temperature' must be a number" "$work/body" || fail "bad parameter message: $(cat "$work/body")"
long=$(python3 -c 'print("{\"prompt\":\"" + "Once upon a time " * 400 + "\"}")')
[ "$(code "${H[@]}" "$base/v1/completions" -d "$long")" = 400 ] || fail "a prompt longer than a slot"
grep -q "more than a slot's context of 256" "$work/body" || fail "long prompt message: $(cat "$work/body")"
echo "ok: 401 404 405 413 400"

# malformed bodies: each a 4xx, the server still serving
python3 - "$port" <<'PY' || fail "malformed bodies"
import http.client, json, random, sys
port = int(sys.argv[1])
random.seed(7)
good = b'{"prompt":"Once","max_tokens":2,"temperature":0}'
bodies = [b"", b"null", b"[]", b"1e999999", b'{"prompt":1}', b'{"prompt":["a","b"]}',
          b'{"messages":"x"}', b'{"prompt":"x","max_tokens":-5}', b'{"prompt":"x","n":3}',
          b'{"prompt":"x","stop":[1,2]}', b'{"prompt":"\x00\xff\xfe"}', b"[" * 100000,
          b'{"prompt":"x","top_p":1e308}', b'{"prompt":"x","seed":"s"}', b"\xff" * 1000]
for i in range(300):
    b = bytearray(good)
    for _ in range(random.randint(1, 6)):
        b[random.randrange(len(b))] = random.randrange(256)
    bodies.append(bytes(b))
bad = 0
for i, b in enumerate(bodies):
    url = "/v1/chat/completions" if i % 2 else "/v1/completions"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", url, body=b, headers={"Authorization": "Bearer k1", "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status >= 500 or (r.status != 200 and not 400 <= r.status < 500):
        print(f"body {i}: HTTP {r.status}: {data[:200]!r}")
        bad += 1
    c.close()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("GET", "/health")
assert c.getresponse().status == 200, "the server stopped serving"
print(f"{len(bodies)} malformed bodies: {bad} answered with a 5xx")
sys.exit(1 if bad else 0)
PY
echo "ok: malformed bodies"

# the openai npm client
out=$(sh "$npm_run" openai_test.mjs "$base/v1" k1 2>&1)
echo "$out" | grep -v "^added" | tail -8
if ! grep -q "^SKIP" <<<"$out"; then
    grep -q "0 failed" <<<"$out" || fail "the openai client tests"
fi

# SIGTERM: exit 0
kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "exit $rc after SIGTERM"
echo "ok: SIGTERM, exit 0"

# one slot, a context long enough for a generation of many seconds, and a
# short idle timeout
port=$(free_port)
base=http://127.0.0.1:$port
"$hone" serve -m "$model" --port "$port" -np 1 -c 16384 --timeout 3 > "$log" 2>&1 &
pid=$!
[ "$(wait_status "$base/health" 200 100)" = 200 ] || fail "the second server does not start"

# pings: A fills the slot (until its context is full: tens of seconds), B
# (a stream) and C (not streamed) queue behind it. B must see a comment
# line before any event; once B had its ping and C waited past --timeout,
# A's client leaves: B and C are answered in full.
curl -sN "$base/completion" -d '{"prompt":"Once upon a time","n_predict":-1,"ignore_eos":true,"stream":true}' \
    > /dev/null &
busy=$!
for _ in $(seq 50); do curl -s "$base/slots" | grep -q '"is_processing":true' && break; sleep 0.1; done
python3 - "$port" "$busy" <<'PY' || { kill $busy 2>/dev/null; fail "pings / a queued answer past --timeout"; }
import http.client, json, os, signal, sys, threading, time
port, busy = int(sys.argv[1]), int(sys.argv[2])
c_result = {}
def queued_plain():
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.request("POST", "/v1/completions", body=json.dumps({"prompt": "Once", "max_tokens": 4, "temperature": 0}))
        r = c.getresponse()
        c_result["status"], c_result["body"] = r.status, r.read()
    except Exception as e:  # e.g. dropped by the idle timeout while queued
        c_result["error"] = repr(e)
c_thread = threading.Thread(target=queued_plain)
c_thread.start()
t0 = time.monotonic()
b = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
b.request("POST", "/v1/chat/completions", body=json.dumps(
    {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, "stream": True}))
r = b.getresponse()
assert r.status == 200, r.status
lines, ping_at = [], None
while True:
    line = r.readline().decode()
    if not line:
        break
    line = line.rstrip("\n")
    if not line:
        continue
    lines.append(line)
    if line.startswith(":") and ping_at is None:
        ping_at = time.monotonic() - t0
        time.sleep(max(0.0, 4.0 - ping_at))  # C has now waited past --timeout 3
        os.kill(busy, signal.SIGTERM)         # A's client leaves: its slot frees
assert lines and lines[0].startswith(":"), f"no comment before the first event: {lines[:3]}"
first_data = next(i for i, l in enumerate(lines) if l.startswith("data: "))
assert all(l.startswith(":") for l in lines[:first_data]), lines[:first_data + 1]
assert lines[-1] == "data: [DONE]", lines[-3:]
c_thread.join()
assert c_result.get("status") == 200, f"the queued answer: {c_result}"
assert json.loads(c_result["body"])["usage"]["completion_tokens"] == 4, c_result
print(f"{first_data} ping(s) before the first event, the first after {ping_at:.1f} s; "
      f"the queued answer came after {time.monotonic() - t0:.1f} s")
PY
wait $busy 2>/dev/null
echo "ok: pings while queued, a queued answer past --timeout"

# slow headers: a request line and two header lines a second apart, then
# nothing; meanwhile others are answered at once; the server closes it
# about --timeout (3 s) after its last byte. Also one that sends nothing.
python3 - "$port" <<'PY' || fail "slow headers"
import http.client, json, socket, sys, time
port = int(sys.argv[1])
def timed(method, path, body=None):
    t = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data, time.monotonic() - t
mute = socket.create_connection(("127.0.0.1", port))
mute_since = time.monotonic()
slow = socket.create_connection(("127.0.0.1", port))
slow.sendall(b"POST /completion HTTP/1.1\r\nHost: x\r\n")
for i in range(2):
    time.sleep(1)
    slow.sendall(b"X-Slow: %d\r\n" % i)
    st, _, dt = timed("GET", "/health")
    assert st == 200 and dt < 1, (st, dt)
last = time.monotonic()
st, data, dt = timed("POST", "/completion", json.dumps({"prompt": "Once", "n_predict": 8, "temperature": 0}))
assert st == 200 and json.loads(data)["tokens_predicted"] == 8 and dt < 10, (st, data, dt)
for s, since, name in ((mute, mute_since, "mute"), (slow, last, "slow")):  # in closing order
    s.settimeout(15)
    try:
        got = s.recv(1024)
    except ConnectionResetError:
        got = b""
    closed = time.monotonic() - since
    assert got == b"", f"{name}: the server answered a request it never got: {got[:100]!r}"
    assert 2.5 <= closed <= 8, f"{name}: closed {closed:.1f} s after its last byte, want about 3"
    print(f"{name} client: closed {closed:.1f} s after its last byte")
PY
echo "ok: slow headers"

# a client that leaves before a long answer that is not streamed: nothing
# is sent until the end, so the server must see the closed socket while
# it waits; the slot (a 16384-token context: tens of seconds to fill) is
# free again within a second, streaming or not
for stream in false true; do
    timeout 1 curl -s "$base/completion" \
        -d "{\"prompt\":\"Once upon a time\",\"n_predict\":-1,\"ignore_eos\":true,\"stream\":$stream}" > /dev/null
    t0=$(date +%s%N)
    while curl -s "$base/slots" | grep -q '"is_processing":true'; do
        [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ] || fail "the slot stayed busy after its client left (stream: $stream)"
        sleep 0.05
    done
done
echo "ok: a client that leaves a long answer frees its slot within a second, streamed or not"

kill -TERM $pid
wait $pid
rc=$?
pid=
[ $rc -eq 0 ] || fail "second server: exit $rc after SIGTERM"

# serve_greedy WHAT MODEL PROMPT N [serve options]: a server on MODEL with
# those options, its /completion of N greedy tokens after PROMPT equals
# hone run's text (left in $greedy); it is stopped after. Not in a
# subshell: fail and the cleanup of $pid must reach the script.
serve_greedy() {
    local what=$1 m=$2 p=$3 n=$4
    shift 4
    local want got
    want=$("$hone" run -m "$m" -p "$p" -n "$n" --temp 0 --repeat-penalty 1 \
           --no-display-prompt --no-timings 2>/dev/null)
    [ -n "$want" ] || fail "$what: hone run gives no text"
    port=$(free_port)
    base=http://127.0.0.1:$port
    "$hone" serve -m "$m" --port "$port" "$@" > "$log" 2>&1 &
    pid=$!
    [ "$(wait_status "$base/health" 200 100)" = 200 ] || fail "$what: the server does not start"
    got=$(curl -s "$base/completion" -d "{\"prompt\":\"$p\",\"n_predict\":$n,\"temperature\":0}" |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["content"], end="")')
    [ "$got" = "$want" ] || fail "$what: '$got' is not hone run's '$want'"
    kill -TERM $pid
    wait $pid
    pid=
    greedy=$want
}

# a model whose first greedy token after "Once upon a time" is 300 bytes
# long: its text is in the answer, as hone run prints it
python3 "$(dirname "$0")/../engine/make_bad_model.py" "$model" "$work/long.gguf" long-token
serve_greedy "long token" "$work/long.gguf" "Once upon a time" 5 -np 1
[ "${#greedy}" -gt 300 ] || fail "the long-token model does not give the long token first: '$greedy'"
echo "ok: a 300-byte token"

# -ub smaller than the prompt: the prompt goes through in several steps of
# at most -ub tokens (it was refused with a 500)
serve_greedy "-ub 3" "$model" "Once upon a time there was a little girl who lived in a small house near the forest" \
    16 -np 2 -ub 3
echo "ok: prompts longer than -ub"
echo "all server checks passed"
