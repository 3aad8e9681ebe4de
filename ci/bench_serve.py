#!/usr/bin/env python3
"""bench_serve.py — hone serve vs llama-server on one GGUF, N concurrent streams.

usage: ci/bench_serve.py MODEL [--threads 2] [--slots 4] [--streams 1,2,4]
                         [--rounds 3] [--requests 2] [--max-tokens 128]
                         [--hone build/native/src/hone] [--llama-server PATH]

Both servers are started on free 127.0.0.1 ports with the same model,
threads, slots and context per slot, and asked in turn, round by round
(interleaved, so a drift in the shared machine's speed hits both alike).
A "run" is S client threads, each sending --requests streaming
/v1/completions one after another (distinct ~40-token prompts, so no
prompt cache helps; ignore_eos and max_tokens fixed, greedy). Reported per
server and S: aggregate generated tokens/s (all tokens / wall time of the
run, median over rounds) and the p50 / p99 time to first token over all
requests of all rounds. Speed goals live here, never in timed tests.
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

WORDS = ("apple river stone cloud green quiet little brave forest window dragon "
         "morning silver garden tiny happy ocean yellow secret mountain").split()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prompt(i):
    # ~40 tokens, different from the first words on, so no cached prefix
    ws = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(30)]
    return f"{i} " + " ".join(ws) + ". Once upon a time"


def wait_health(port, proc, timeout=300):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"bench_serve: the server on port {port} exited ({proc.returncode})")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"bench_serve: no /health on port {port}")


def one_request(port, i, max_tokens):
    """Stream one completion: (time to first token, tokens generated)."""
    body = {"prompt": prompt(i), "max_tokens": max_tokens, "temperature": 0, "ignore_eos": True,
            "stream": True, "stream_options": {"include_usage": True}, "cache_prompt": False}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.monotonic()
    c.request("POST", "/v1/completions", body=json.dumps(body), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError(f"HTTP {r.status}: {r.read()[:200]!r}")
    ttft, chunks, usage = None, 0, None
    for raw in r:
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        d = json.loads(line[6:])
        if d.get("usage"):
            usage = d["usage"].get("completion_tokens")
        ch = d.get("choices") or []
        if ch and ch[0].get("text"):
            chunks += 1
            if ttft is None:
                ttft = time.monotonic() - t0
    c.close()
    return ttft if ttft is not None else time.monotonic() - t0, usage if usage else chunks


def run(port, streams, requests, max_tokens, base):
    ttfts, toks, errors = [], [], []
    lock = threading.Lock()

    def client(k):
        for j in range(requests):
            try:
                t, n = one_request(port, base + k * requests + j, max_tokens)
                with lock:
                    ttfts.append(t)
                    toks.append(n)
            except Exception as e:  # reported, the run goes on
                with lock:
                    errors.append(repr(e))

    th = [threading.Thread(target=client, args=(k,)) for k in range(streams)]
    t0 = time.monotonic()
    for t in th:
        t.start()
    for t in th:
        t.join()
    wall = time.monotonic() - t0
    return sum(toks) / wall, ttfts, errors


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def main():
    ap = argparse.ArgumentParser(description="hone serve vs llama-server: tokens/s and TTFT at N streams")
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--slots", type=int, default=4)
    ap.add_argument("--ctx-per-slot", type=int, default=512)
    ap.add_argument("--streams", default="1,2,4")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=2, help="requests per stream per run")
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--hone", default="build/native/src/hone")
    ap.add_argument("--llama-server", default=os.path.expanduser("~/.cache/hone-ref/llama.cpp/build/bin/llama-server"))
    a = ap.parse_args()
    streams = [int(x) for x in a.streams.split(",")]
    ctx = a.ctx_per_slot * a.slots
    servers = {}
    cmds = {"hone": [a.hone, "serve", "-m", a.model, "-t", str(a.threads), "-np", str(a.slots), "-c", str(ctx)]}
    if os.access(a.llama_server, os.X_OK):
        cmds["llama"] = [a.llama_server, "-m", a.model, "-t", str(a.threads), "-tb", str(a.threads),
                         "-np", str(a.slots), "-c", str(ctx), "--no-webui", "-lv", "0"]
    else:
        print(f"bench_serve: no llama-server at {a.llama_server}: hone only", file=sys.stderr)
    try:
        for name, cmd in cmds.items():
            port = free_port()
            p = subprocess.Popen(cmd + ["--host", "127.0.0.1", "--port", str(port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers[name] = (port, p)
        for name, (port, p) in servers.items():
            wait_health(port, p)
            run(port, 1, 1, 8, 10**6)  # warm-up: weights paged in
        res = {(n, s): ([], []) for n in servers for s in streams}
        base = 0
        for rnd in range(a.rounds):
            for s in streams:
                for name, (port, _) in servers.items():
                    tps, tt, errs = run(port, s, a.requests, a.max_tokens, base)
                    if errs:
                        print(f"bench_serve: {name} {s} streams: {len(errs)} errors, e.g. {errs[0]}", file=sys.stderr)
                    res[(name, s)][0].append(tps)
                    res[(name, s)][1].extend(tt)
                base += s * a.requests  # the same prompts for both servers in a round
            print(f"bench_serve: round {rnd + 1}/{a.rounds} done", file=sys.stderr)
        print(f"model {os.path.basename(a.model)}, -t {a.threads}, -np {a.slots}, -c {ctx}, "
              f"{a.requests} x {a.max_tokens}-token requests per stream, {a.rounds} rounds (median tok/s)")
        print("| server | streams | tok/s | vs 1 stream | TTFT p50 ms | TTFT p99 ms |")
        print("|---|---:|---:|---:|---:|---:|")
        for name in servers:
            one = statistics.median(res[(name, streams[0])][0])
            for s in streams:
                tps = statistics.median(res[(name, s)][0])
                tt = res[(name, s)][1]
                print(f"| {name} | {s} | {tps:.1f} | {tps / one:.2f}x | {1000 * pct(tt, 50):.0f} | {1000 * pct(tt, 99):.0f} |")
        if "llama" in servers:
            for s in streams:
                h, l = statistics.median(res[("hone", s)][0]), statistics.median(res[("llama", s)][0])
                print(f"hone / llama-server at {s} streams: {h / l:.2f}x tok/s")
    finally:
        for _, p in servers.values():
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
