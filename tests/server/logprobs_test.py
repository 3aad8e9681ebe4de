#!/usr/bin/env python3
"""logprobs_test.py PORT KEY — log-probabilities from hone serve, checked
for their values, not only their shape, on all three APIs, streamed and not:

  - chat (logprobs + top_logprobs), /v1/completions (logprobs: N, the
    legacy shape), /completion (n_probs: N, llama-server's shape);
  - greedy (temperature 0): the chosen token is top_logprobs[0], its
    logprob the maximum; all logprobs <= 0, top lists sorted, the exps of a
    top list sum to at most 1; the tokens' bytes make the text;
  - a stream reports the same tokens and values as the whole answer;
  - sampling at a high temperature: a chosen token outside the top 1 still
    has its own logprob (below the best), and byte tokens that form no
    character give U+FFFD with their raw bytes, in valid JSON;
  - a stop string: tokens wholly inside it are not reported;
  - out of range / inconsistent fields: 400, OpenAI's error shape.
"""
import http.client
import json
import math
import sys

port, key = int(sys.argv[1]), sys.argv[2]
HEADERS = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
PROMPT = "Once upon a time"
CHAT = [{"role": "user", "content": "Tell me a story"}]


def post(path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", path, body=json.dumps(body), headers=HEADERS)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r.status, json.loads(raw.decode("utf-8"))  # strict: valid UTF-8


def stream(path, body):
    """The data events of a streamed answer, decoded."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", path, body=json.dumps(dict(body, stream=True)), headers=HEADERS)
    r = c.getresponse()
    assert r.status == 200, r.status
    raw = r.read().decode("utf-8")
    c.close()
    events = []
    for line in raw.split("\n"):
        if line.startswith("data: ") and line != "data: [DONE]":
            events.append(json.loads(line[6:]))
    return events


def check_entry(e, n_top, greedy):
    """One {token, logprob, bytes, top_logprobs} entry (chat / n_probs)."""
    assert e["logprob"] <= 0, e
    assert bytes(e["bytes"]).decode("utf-8", "replace") == e["token"], e
    top = e["top_logprobs"]
    assert len(top) == n_top, (len(top), n_top)
    lps = [t["logprob"] for t in top]
    assert lps == sorted(lps, reverse=True), lps
    assert all(lp <= 0 for lp in lps), lps
    assert sum(math.exp(lp) for lp in lps) <= 1 + 1e-5, lps
    if greedy:
        assert e["id"] == top[0]["id"] and e["token"] == top[0]["token"], e
        assert e["logprob"] == top[0]["logprob"] == max(lps), e
    else:
        assert e["logprob"] <= top[0]["logprob"], e


failures = 0


def check(name, fn):
    global failures
    try:
        fn()
        print(f"ok logprobs: {name}")
    except Exception as ex:  # report every failing check, then fail
        failures += 1
        print(f"FAIL logprobs: {name}: {type(ex).__name__}: {ex}")


def chat():
    # the prompt evaluated whole both times (no cached prefix): a native
    # build's BLAS products for F16 weights (32+ tokens) round otherwise
    # than the one-token kernels, so a cached prefix may move the last bits
    body = {"messages": CHAT, "max_tokens": 12, "temperature": 0, "logprobs": True, "top_logprobs": 3,
            "cache_prompt": False}
    st, d = post("/v1/chat/completions", body)
    assert st == 200, d
    ch = d["choices"][0]
    content = ch["logprobs"]["content"]
    assert len(content) == d["usage"]["completion_tokens"] == 12, (len(content), d["usage"])
    for e in content:
        check_entry(e, 3, True)
    text = b"".join(bytes(e["bytes"]) for e in content).decode("utf-8", "replace")
    assert text == ch["message"]["content"], (text, ch["message"]["content"])
    # streamed: each delta's logprobs are those of its text, together the same
    events = stream("/v1/chat/completions", body)
    got, streamed_text = [], ""
    for ev in events:
        c = ev["choices"][0]
        delta = c["delta"].get("content") or ""
        streamed_text += delta
        lp = c.get("logprobs")
        if lp is None:
            assert delta == "", ev
            continue
        assert b"".join(bytes(e["bytes"]) for e in lp["content"]).decode("utf-8", "replace") == delta, ev
        got += lp["content"]
    assert streamed_text == ch["message"]["content"]
    assert got == content, "streamed logprobs differ from the whole answer's"
    # top_logprobs absent: 0 alternatives (OpenAI's default)
    st, d = post("/v1/chat/completions", {"messages": CHAT, "max_tokens": 3, "temperature": 0, "logprobs": True})
    assert st == 200 and all(e["top_logprobs"] == [] for e in d["choices"][0]["logprobs"]["content"]), d
    # not asked: null
    st, d = post("/v1/chat/completions", {"messages": CHAT, "max_tokens": 3, "temperature": 0})
    assert st == 200 and d["choices"][0]["logprobs"] is None, d


def completions():
    body = {"prompt": PROMPT, "max_tokens": 16, "temperature": 0, "logprobs": 4}
    st, d = post("/v1/completions", body)
    assert st == 200, d
    ch = d["choices"][0]
    lp = ch["logprobs"]
    n = d["usage"]["completion_tokens"]
    assert len(lp["tokens"]) == len(lp["token_logprobs"]) == len(lp["top_logprobs"]) == len(lp["text_offset"]) == n
    assert "".join(lp["tokens"]) == ch["text"], (lp["tokens"], ch["text"])
    for i, (tok, tlp, top) in enumerate(zip(lp["tokens"], lp["token_logprobs"], lp["top_logprobs"])):
        assert tlp <= 0 and 1 <= len(top) <= 4, (tok, tlp, top)
        assert max(top.values()) == tlp and top[tok] == tlp, (tok, tlp, top)  # greedy
        assert sum(math.exp(v) for v in top.values()) <= 1 + 1e-5, top
        assert lp["text_offset"][i] == len("".join(lp["tokens"][:i])), (i, lp["text_offset"])
    events = stream("/v1/completions", body)
    toks, lps, offs = [], [], []
    for ev in events:
        c = ev["choices"][0]
        if c["logprobs"] is None:
            assert c["text"] == "", ev
            continue
        assert "".join(c["logprobs"]["tokens"]) == c["text"], ev
        toks += c["logprobs"]["tokens"]
        lps += c["logprobs"]["token_logprobs"]
        offs += c["logprobs"]["text_offset"]
    assert (toks, lps, offs) == (lp["tokens"], lp["token_logprobs"], lp["text_offset"]), "streamed differ"


def llama():
    body = {"prompt": PROMPT, "n_predict": 10, "temperature": 0, "n_probs": 2}
    st, d = post("/completion", body)
    assert st == 200, d
    probs = d["completion_probabilities"]
    assert len(probs) == d["tokens_predicted"] == 10, len(probs)
    for e in probs:
        check_entry(e, 2, True)
    assert b"".join(bytes(e["bytes"]) for e in probs).decode() == d["content"]
    got = []
    for ev in stream("/completion", body):
        got += ev.get("completion_probabilities", [])
    assert got == probs, "streamed differ"
    # n_probs 0: none (llama-server); "logprobs" is its alias
    st, d = post("/completion", dict(body, n_probs=0))
    assert st == 200 and "completion_probabilities" not in d, d
    st, d = post("/completion", {"prompt": PROMPT, "n_predict": 2, "temperature": 0, "logprobs": 1})
    assert st == 200 and len(d["completion_probabilities"][0]["top_logprobs"]) == 1, d


def sampled_outside_top():
    # temperature 50 over the whole vocabulary: most picks are not the best
    # token, and many are byte tokens (half of this vocabulary) that alone
    # form no character
    body = {"prompt": "Once", "n_predict": 40, "temperature": 50, "top_k": 0, "top_p": 1,
            "min_p": 0, "seed": 3, "n_probs": 1}
    st, d = post("/completion", body)
    assert st == 200, d
    probs = d["completion_probabilities"]
    outside = invalid = 0
    for e in probs:
        check_entry(e, 1, False)
        if e["id"] != e["top_logprobs"][0]["id"]:
            outside += 1
            assert e["logprob"] < e["top_logprobs"][0]["logprob"], e
        try:
            bytes(e["bytes"]).decode("utf-8")
        except UnicodeDecodeError:
            invalid += 1
            assert "\ufffd" in e["token"], e
    assert outside >= 10 and invalid >= 1, (outside, invalid)
    # the chat shape for the same kind of tokens
    st, d = post("/v1/chat/completions", {"messages": CHAT, "max_tokens": 40, "temperature": 50, "top_k": 0,
                                          "top_p": 1, "min_p": 0, "seed": 3, "logprobs": True, "top_logprobs": 1})
    assert st == 200, d
    for e in d["choices"][0]["logprobs"]["content"]:
        check_entry(e, 1, False)


def stop_string():
    st, d = post("/v1/completions", {"prompt": PROMPT, "max_tokens": 30, "temperature": 0, "logprobs": 1})
    assert st == 200, d
    text = d["choices"][0]["text"]
    stop = text.split(" ")[4][:3]  # a piece of a word, maybe within a token
    st, d = post("/v1/completions", {"prompt": PROMPT, "max_tokens": 30, "temperature": 0, "logprobs": 1,
                                     "stop": [stop]})
    assert st == 200, d
    cut = d["choices"][0]
    joined = "".join(cut["logprobs"]["tokens"])
    assert cut["finish_reason"] == "stop" and joined.startswith(cut["text"]), (cut, stop)
    # what the tokens hold past the text: nothing, or the one token the
    # stop string begins in (its text goes into or past the stop string)
    rest, last = joined[len(cut["text"]):], cut["logprobs"]["tokens"][-1]
    assert rest == "" or (len(joined) - len(last) < len(cut["text"]) and
                          (rest.startswith(stop) or stop.startswith(rest))), (cut, stop)


def errors():
    bad = [("/v1/chat/completions", {"messages": CHAT, "logprobs": True, "top_logprobs": 21}),
           ("/v1/chat/completions", {"messages": CHAT, "logprobs": True, "top_logprobs": -1}),
           ("/v1/chat/completions", {"messages": CHAT, "top_logprobs": 2}),
           ("/v1/chat/completions", {"messages": CHAT, "logprobs": "yes"}),
           ("/v1/completions", {"prompt": PROMPT, "logprobs": 2.5}),
           ("/v1/completions", {"prompt": PROMPT, "logprobs": 100}),
           ("/completion", {"prompt": PROMPT, "n_probs": -1}),
           ("/completion", {"prompt": PROMPT, "n_probs": 3, "post_sampling_probs": True})]
    for path, body in bad:
        st, d = post(path, body)
        assert st == 400, (path, body, st, d)
        e = d["error"]
        assert e["code"] == 400 and e["type"] == "invalid_request_error" and e["message"], d


for name, fn in [("chat", chat), ("completions (legacy shape)", completions), ("/completion n_probs", llama),
                 ("sampled token outside the top, invalid UTF-8", sampled_outside_top),
                 ("stop string", stop_string), ("400s", errors)]:
    check(name, fn)
sys.exit(1 if failures else 0)
