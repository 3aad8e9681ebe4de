#!/usr/bin/env python3
"""compare_greedy.py — hone's greedy text against llama.cpp's, flash attention
on and off (a development check: llama.cpp is not available in CI).

    ci/compare_greedy.py --hone build/portable/src/hone \\
        --llama ~/.cache/hone-ref/llama.cpp/build/bin [--models M.gguf ...]
        [-n 320] [--threads 1,2] [--fa on,off]

For every model x prompt x thread count x -fa value it runs
`hone run -m M -p P -n N --temp 0 -t T -fa X --ignore-eos` and
`llama-completion` with the same flags (plus -no-cnv --no-warmup), compares
the generated text, and for a mismatch asks llama-server (same model,
threads, -fa) for llama.cpp's top-2 probabilities at the first differing
token: its top-1 margin in logits is ln(p1 / p2). Prints one line per run
and a summary table; exits 1 if any run differs.
"""
import argparse
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

PROMPTS = [
    "Once upon a time",
    "Once upon a time, there was a little girl named Lily. She loved to play",
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun. "
    "One day, she went to the park with her mommy and daddy.",
    "The cat sat on the mat and",
    "Tom and his dog went to the park.",
    "One day, a big bear",
    "Sara had a red ball.",
    "The sun was shining and the birds",
    "Ben wanted to fly a kite, but",
    "Mom said, \"Be careful!\"",
    "There was a little boy who liked to eat apples. Every day he",
    "The little fish swam in the big blue sea. He saw a crab and said hello. The crab was "
    "grumpy and did not want to talk. The fish was sad, so he swam to his friend the turtle. "
    "The turtle smiled and told him a story about a brave little star who lived in the sky and "
    "wanted to visit the sea.",
]


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")[-2000:]))
    return r.stdout.decode(errors="replace")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def margin_at(llama, model, prompt, ours, n_predict, threads, fa):
    """llama.cpp's top-1 margin (logits) at its first generated token that
    hone's text `ours` does not continue with: llama-server decodes the
    prompt, then one token at a time, as llama-completion does; returns
    (margin, token index)."""
    port = free_port()
    srv = subprocess.Popen([os.path.join(llama, "llama-server"), "-m", model, "-t", str(threads),
                            "-fa", fa, "--port", str(port), "-np", "1", "-c", "2048",
                            "--no-warmup"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        body = json.dumps({"prompt": prompt, "n_predict": n_predict, "temperature": 0,
                           "n_probs": 4, "ignore_eos": True, "cache_prompt": False}).encode()
        req = urllib.request.Request(url + "/completion", body, {"Content-Type": "application/json"})
        out = json.load(urllib.request.urlopen(req, timeout=120))
        eog = {2}  # </s> of the stories models' SPM vocabulary
        text = ""
        for i, e in enumerate(out["completion_probabilities"]):
            piece = bytes(e["bytes"]).decode(errors="replace") if "bytes" in e else e["token"]
            # an empty piece (a BOS token) differs where hone's next token
            # is not empty: count it as the divergence when hone goes on
            if not piece or not ours.startswith(text + piece):
                # probabilities of the raw logits: the end-of-text token that
                # --ignore-eos masks may lead them; it is not a candidate
                p = [c for c in e["top_logprobs"] if c["id"] not in eog]
                return p[0]["logprob"] - p[1]["logprob"], i
            text += piece
        return float("nan"), -1
    finally:
        srv.terminate()
        srv.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hone", required=True)
    ap.add_argument("--llama", required=True, help="llama.cpp's bin/ folder")
    ap.add_argument("--models", nargs="+", default=[
        "../shared/models/stories260K-%s.gguf" % t for t in ("f32", "f16", "bf16", "q8_0", "q4_0")])
    ap.add_argument("-n", type=int, default=320)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--fa", default="on,off")
    ap.add_argument("--prompts", type=int, default=len(PROMPTS))
    ap.add_argument("--only", type=int, default=-1, help="one prompt (index)")
    a = ap.parse_args()
    summary = {}
    bad = 0
    for model in a.models:
        for fa in a.fa.split(","):
            for t in a.threads.split(","):
                key = (os.path.basename(model), fa, t)
                same = 0
                for i, p in enumerate(PROMPTS[:a.prompts]):
                    if a.only >= 0 and i != a.only:
                        continue
                    common = ["-m", model, "-p", p, "-n", str(a.n), "--temp", "0", "-t", t,
                              "-fa", fa, "--ignore-eos"]
                    ours = run([a.hone, "run", *common, "--no-display-prompt", "--no-timings"])
                    ref = run([os.path.join(a.llama, "llama-completion"), *common, "-no-cnv",
                               "--no-warmup", "--no-display-prompt"])
                    ours, ref = ours.rstrip("\n"), ref.rstrip("\n")
                    # llama-completion's output sometimes ends early (its last
                    # tokens not printed, on a busy machine): run it again
                    for _ in range(3):
                        if not (len(ref) < len(ours) and ours.startswith(ref)):
                            break
                        ref = run([os.path.join(a.llama, "llama-completion"), *common, "-no-cnv",
                                   "--no-warmup", "--no-display-prompt"]).rstrip("\n")
                    if ours == ref:
                        same += 1
                        print("same   %-24s fa=%-3s t=%s prompt %2d" % (key[0], fa, t, i))
                        continue
                    bad += 1
                    k = next(j for j in range(min(len(ours), len(ref)) + 1)
                             if j >= min(len(ours), len(ref)) or ours[j] != ref[j])
                    m, ti = margin_at(a.llama, model, p, ours, a.n, t, fa)
                    print("DIFFER %-24s fa=%-3s t=%s prompt %2d at char %d (token %d): "
                          "llama.cpp top-1 margin %.4f\n  hone : %r\n  llama: %r"
                          % (key[0], fa, t, i, k, ti, m, ours[max(k - 20, 0):k + 40],
                             ref[max(k - 20, 0):k + 40]))
                summary[key] = (same, a.prompts)
    print("\n| model | -fa | -t | same text |\n|---|---|---|---|")
    for (m, fa, t), (s, n) in summary.items():
        print("| %s | %s | %s | %d/%d |" % (m, fa, t, s, n))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
