#!/usr/bin/env python3
"""Hostile (or merely unusual) GGUF files for hone's end-to-end tests,
written at test time from a real model or from scratch.

usage: make_hostile.py VARIANT OUT.gguf [IN.gguf]
  align1       IN rewritten with general.alignment = 1 and every tensor at an
               odd file offset (valid GGUF: llama.cpp loads it)
  count-plus1  IN with the header's tensor count one too high
  count-plus1-zeros  the same, with the extra tensor read from zero padding
  ctrl-strings IN with ESC, newlines and other control bytes in general.name,
               tokenizer.ggml.pre, tokenizer.chat_template and the name of an
               extra tensor of a type hone cannot compute (IQ4_NL)
  nul-arch     IN with general.architecture = "lla\\0ma"
  esc-tok      IN with tokenizer.ggml.model = "gpt\\x1b[2J2\\n"
  vocab-only   IN without its tensors (metadata only)
  big-token    from scratch: a GPT-2 BPE vocabulary (no weights) holding one
               54 KB token made of chars that are no GPT-2 byte
Only the standard library: parses and writes GGUF v3 directly.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from gguf_rw import BLOCK, SCALAR, T_ARRAY, T_I32, T_STRING, T_U32, Reader, gstr  # noqa: E402,F401


def read_model(path):
    """-> (kvs [[key bytes, type, raw value]], tensors [[name, ne, type, data]])"""
    r = Reader(open(path, 'rb').read())
    assert r.raw(4) == b'GGUF', path + ': not a GGUF file'
    _version, n_t, n_kv = r.get('I'), r.get('Q'), r.get('Q')
    kvs = []
    for _ in range(n_kv):
        k = r.raw(r.get('Q'))
        t = r.get('I')
        kvs.append([k, t, r.value(t)])
    infos = []
    for _ in range(n_t):
        name = r.raw(r.get('Q'))
        ne = [r.get('Q') for _ in range(r.get('I'))]
        infos.append((name, ne, r.get('I'), r.get('Q')))
    align = 32
    for k, t, v in kvs:
        if k == b'general.alignment':
            align = struct.unpack('<I', v)[0]
    base = (r.p + align - 1) // align * align
    tensors = []
    for name, ne, ty, off in infos:
        be, bs = BLOCK[ty]
        n = 1
        for x in ne:
            n *= x
        tensors.append([name, ne, ty, r.d[base + off: base + off + n // be * bs]])
    return kvs, tensors


def set_kv(kvs, key, t, raw):
    for kv in kvs:
        if kv[0] == key:
            kv[1], kv[2] = t, raw
            return
    kvs.append([key, t, raw])


def write_model(path, kvs, tensors, align=32, odd=False, extra_count=0):
    """Lays the tensors out at multiples of align (odd: at odd file offsets,
    which needs align == 1); extra_count inflates the header's tensor count."""
    def header(offs):
        out = bytearray(b'GGUF' + struct.pack('<IQQ', 3, len(tensors) + extra_count, len(kvs)))
        for k, t, v in kvs:
            out += gstr(k) + struct.pack('<I', t) + v
        for (name, ne, ty, _), o in zip(tensors, offs):
            out += gstr(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', x) for x in ne)
            out += struct.pack('<IQ', ty, o)
        return out

    # the header's size does not depend on the offsets' values
    hsize = len(header([0] * len(tensors)))
    base = (hsize + align - 1) // align * align
    offs, off = [], 0
    for _, _, _, d in tensors:
        off = (off + align - 1) // align * align
        if odd and (base + off) % 2 == 0:
            off += 1
        offs.append(off)
        off += len(d)
    out = header(offs)
    out += bytes(base - len(out))
    for o, (_, _, _, d) in zip(offs, tensors):
        out += bytes(base + o - len(out)) + d
    open(path, 'wb').write(out)


def header_size(path, n_t):
    """Bytes of the header and tensor information of the file at path,
    reading n_t tensors' information."""
    r = Reader(open(path, 'rb').read())
    r.raw(4)
    _version, _n, n_kv = r.get('I'), r.get('Q'), r.get('Q')
    for _ in range(n_kv):
        r.raw(r.get('Q'))
        r.value(r.get('I'))
    for _ in range(n_t - 1):
        r.raw(r.get('Q'))
        r.raw(8 * r.get('I') + 12)
    return r.p


def big_token(out):
    # the 256 GPT-2 byte chars (bytes_to_unicode), then one long token of
    # CJK chars (3 UTF-8 bytes each, none of them a byte char)
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    toks = [chr(c).encode() for c in cs]
    toks.append(('\u4e00' * 18000).encode())  # 54000 bytes
    toks.append(b'<|endoftext|>')
    types = [1] * (len(toks) - 1) + [3]
    kvs = [[b'general.architecture', T_STRING, gstr(b'gpt2')],
           [b'tokenizer.ggml.model', T_STRING, gstr(b'gpt2')],
           [b'tokenizer.ggml.pre', T_STRING, gstr(b'gpt-2')],
           [b'tokenizer.ggml.tokens', T_ARRAY,
            struct.pack('<IQ', T_STRING, len(toks)) + b''.join(gstr(t) for t in toks)],
           [b'tokenizer.ggml.token_type', T_ARRAY,
            struct.pack('<IQ', T_I32, len(types)) + b''.join(struct.pack('<i', t) for t in types)],
           [b'tokenizer.ggml.merges', T_ARRAY, struct.pack('<IQ', T_STRING, 1) + gstr(b'h e')],
           [b'tokenizer.ggml.eos_token_id', T_U32, struct.pack('<I', len(toks) - 1)]]
    write_model(out, kvs, [])


def main():
    variant, out = sys.argv[1], sys.argv[2]
    if variant == 'big-token':
        return big_token(out)
    kvs, tensors = read_model(sys.argv[3])
    if variant == 'align1':
        set_kv(kvs, b'general.alignment', T_U32, struct.pack('<I', 1))
        write_model(out, kvs, tensors, align=1, odd=True)
    elif variant == 'count-plus1':
        write_model(out, kvs, tensors, extra_count=1)
    elif variant == 'count-plus1-zeros':
        # the same with >= 24 bytes of zero padding after the tensor
        # information: the extra tensor reads as a nameless 0-d f32 at
        # offset 0, overlapping the first tensor
        for v in range(64):
            set_kv(kvs, b'hone.test.pad', T_STRING, gstr(b'x' * v))
            write_model(out, kvs, tensors, extra_count=1)
            hsize = header_size(out, len(tensors) + 1)
            if (-hsize) % 32 >= 24:
                break
    elif variant == 'ctrl-strings':
        set_kv(kvs, b'general.name', T_STRING, gstr(b'evil\x1b[31mname\nline2'))
        set_kv(kvs, b'tokenizer.chat_template', T_STRING, gstr(b'{{ "\x1b]0;title\x07" }}'))
        tensors.append([b'evil\x1b[2J\ntensor', [32, 2], 20, bytes(36)])
        write_model(out, kvs, tensors)
    elif variant == 'ctrl-pre':
        set_kv(kvs, b'tokenizer.ggml.model', T_STRING, gstr(b'gpt2'))
        set_kv(kvs, b'tokenizer.ggml.pre', T_STRING, gstr(b'pre\x1b[2J\rX'))
        write_model(out, kvs, tensors)
    elif variant == 'nul-arch':
        set_kv(kvs, b'general.architecture', T_STRING, gstr(b'lla\x00ma'))
        write_model(out, kvs, tensors)
    elif variant == 'esc-tok':
        set_kv(kvs, b'tokenizer.ggml.model', T_STRING, gstr(b'gpt\x1b[2J2\n'))
        write_model(out, kvs, tensors)
    elif variant == 'vocab-only':
        write_model(out, kvs, [])
    else:
        sys.exit('unknown variant ' + variant)


if __name__ == '__main__':
    main()
