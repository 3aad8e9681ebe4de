#!/usr/bin/env python3
"""make_pre_variant.py SRC DST PRE — copy a vocab-only GGUF, setting
tokenizer.ggml.pre to PRE. Used to test every pre-tokenizer family on one
real BPE vocabulary (the ids differ from the real models', but hone and
llama.cpp must agree on them)."""
import struct
import sys


def main():
    src, dst, pre = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    data = open(src, "rb").read()
    if data[:4] != b"GGUF":
        sys.exit("%s: not a GGUF file" % src)
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    if n_tensors:
        sys.exit("%s: has tensors; only vocab-only files are supported" % src)
    pos = 24
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def skip_value(p, t):
        if t == 8:
            (n,) = struct.unpack_from("<Q", data, p)
            return p + 8 + n
        if t == 9:
            et, n = struct.unpack_from("<IQ", data, p)
            p += 12
            if et == 8:
                for _ in range(n):
                    p = skip_value(p, 8)
                return p
            return p + sizes[et] * n
        return p + sizes[t]

    out = []
    found = False
    for _ in range(n_kv):
        start = pos
        (klen,) = struct.unpack_from("<Q", data, pos)
        key = data[pos + 8:pos + 8 + klen]
        pos += 8 + klen
        (t,) = struct.unpack_from("<I", data, pos)
        end = skip_value(pos + 4, t)
        if key == b"tokenizer.ggml.pre":
            found = True
            out.append(data[start:pos] + struct.pack("<IQ", 8, len(pre)) + pre)
        else:
            out.append(data[start:end])
        pos = end
    if not found:
        k = b"tokenizer.ggml.pre"
        out.append(struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, len(pre)) + pre)
    head = b"GGUF" + struct.pack("<IQQ", version, 0, len(out))
    open(dst, "wb").write(head + b"".join(out) + data[pos:])


main()
