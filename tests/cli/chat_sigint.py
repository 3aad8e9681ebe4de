#!/usr/bin/env python3
"""chat_sigint.py HONE MODEL: Ctrl-C in `hone run -cnv` behaves as in
llama-cli: the first stops the answer being written and gives the prompt
back (the process lives on), one at the prompt ends the session (exit 130)."""
import os
import select
import signal
import subprocess
import sys
import time

hone, model = sys.argv[1:3]
p = subprocess.Popen([hone, "run", "-m", model, "-cnv", "-c", "16384", "--ignore-eos",
                      "--no-timings", "--seed", "1"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
buf = b""


def read_until(pred, timeout):
    global buf
    end = time.time() + timeout
    while time.time() < end:
        if pred(buf):
            return True
        r, _, _ = select.select([p.stdout], [], [], 0.1)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                return pred(buf)
            buf += chunk
    return pred(buf)


def fail(msg):
    p.kill()
    print("FAIL:", msg, "| stdout:", buf[-300:], "| stderr:", p.stderr.read()[-500:])
    sys.exit(1)


if not read_until(lambda b: b.startswith(b"> "), 30):
    fail("no first prompt")
p.stdin.write(b"Tell me a long story\n")
p.stdin.flush()
# an answer that would run to 16384 tokens: stop it once it has begun
if not read_until(lambda b: len(b) > 200, 30):
    fail("no answer")
p.send_signal(signal.SIGINT)
if not read_until(lambda b: b.endswith(b"\n> "), 30):
    fail("Ctrl-C did not stop the answer and give the prompt back")
if p.poll() is not None:
    fail("Ctrl-C during an answer ended the process")
n_before = len(buf)
time.sleep(0.5)
read_until(lambda b: False, 0.2)
if len(buf) != n_before:
    fail("the answer went on after Ctrl-C")
p.send_signal(signal.SIGINT)  # at the prompt: quit
try:
    rc = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    fail("Ctrl-C at the prompt did not end the session")
if rc != 130:
    fail(f"exit status {rc}, want 130 (as llama-cli)")
print("ok")
