#!/usr/bin/env python3
"""Write a broken variant of a GGUF model, for hone's load-error tests.

usage: make_bad_model.py IN.gguf OUT.gguf VARIANT
  iq4_nl      every 2-D tensor whose rows split into 32-blocks becomes IQ4_NL
              (valid file, a type hone cannot compute; data zeroed)
  bad-heads   {arch}.attention.head_count_kv = 3 (does not divide head_count)
  bad-shape   {arch}.embedding_length doubled (tensor shapes no longer match)
  no-norm     drops the tensor output_norm.weight
  long-token  token 432 (',' in the stories vocab) becomes 300 commas: a
              valid model whose greedy continuation has a 300-byte piece
  qk-norm     adds blk.N.attn_q_norm / attn_k_norm (F32, head_dim): QK-norm
              on an architecture whose graph has none
  longrope    adds rope_factors_long / rope_factors_short (F32, n_rot/2):
              LongRoPE on an architecture other than phi3
  yarn        {arch}.rope.scaling.type = "yarn"
  gemma2      general.architecture = "gemma2" (an architecture hone lacks)
  mistral-chat  tokenizer.chat_template = Mistral-Large-Instruct-2411's (v7):
              a valid llama model as a Mistral GGUF carries it
  empty-template  tokenizer.chat_template = "" (llama.cpp falls back to its
              default template)
Only the standard library: parses and rewrites GGUF v3 directly.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from gguf_rw import BLOCK, SCALAR, T_ARRAY, T_I32, T_STRING, T_U32, Reader, gstr  # noqa: E402,F401


MISTRAL_V7 = ("{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
              "{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}"
              "{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}"
              "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
              "{% else %}{{ raise_exception('Only user, system and assistant roles are supported!') }}"
              "{% endif %}{% endfor %}")


def main():
    src, dst, variant = sys.argv[1:4]
    r = Reader(open(src, 'rb').read())
    assert r.raw(4) == b'GGUF'
    version, n_t, n_kv = r.get('I'), r.get('Q'), r.get('Q')
    kvs = []
    for _ in range(n_kv):
        k = r.string()
        t = r.get('I')
        kvs.append([k, t, r.value(t)])
    tensors = []
    for _ in range(n_t):
        name = r.string()
        nd = r.get('I')
        ne = [r.get('Q') for _ in range(nd)]
        ty, off = r.get('I'), r.get('Q')
        tensors.append([name, ne, ty, off])
    align = 32
    for k, t, v in kvs:
        if k == 'general.alignment':
            align = struct.unpack('<I', v)[0]
    base = (r.p + align - 1) // align * align
    arch = next(bytes(v[8:]).decode() for k, t, v in kvs if k == 'general.architecture')

    datas = []
    for name, ne, ty, off in tensors:
        be, bs = BLOCK[ty]
        n = 1
        for x in ne:
            n *= x
        datas.append(r.d[base + off: base + off + n // be * bs])

    if variant == 'iq4_nl':
        for i, (name, ne, ty, off) in enumerate(tensors):
            if len(ne) == 2 and ne[0] % 32 == 0:
                tensors[i][2] = 20
                datas[i] = bytes(ne[0] // 32 * 18 * ne[1])
    elif variant in ('bad-heads', 'bad-shape'):
        key = arch + ('.attention.head_count_kv' if variant == 'bad-heads' else '.embedding_length')
        for kv in kvs:
            if kv[0] == key:
                old = struct.unpack('<I', kv[2])[0]
                kv[2] = struct.pack('<I', 3 if variant == 'bad-heads' else 2 * old)
    elif variant == 'no-norm':
        keep = [i for i, t in enumerate(tensors) if t[0] != 'output_norm.weight']
        tensors = [tensors[i] for i in keep]
        datas = [datas[i] for i in keep]
    elif variant == 'long-token':
        for kv in kvs:
            if kv[0] == 'tokenizer.ggml.tokens':
                v = Reader(kv[2])
                et, n = v.get('I'), v.get('Q')
                toks = [v.string() for _ in range(n)]
                toks[432] = ',' * 300
                kv[2] = struct.pack('<IQ', et, n) + b''.join(gstr(x) for x in toks)
    elif variant in ('qk-norm', 'longrope'):
        def u32(suffix):
            return next(struct.unpack('<I', v)[0] for k, t, v in kvs if k == arch + suffix)
        head_dim = u32('.embedding_length') // u32('.attention.head_count')
        if variant == 'qk-norm':
            new = [('blk.%d.attn_%s_norm.weight' % (il, qk), head_dim)
                   for il in range(u32('.block_count')) for qk in 'qk']
        else:
            new = [('rope_factors_long.weight', head_dim // 2),
                   ('rope_factors_short.weight', head_dim // 2)]
        for name, n in new:
            tensors.append([name, [n], 0, 0])
            datas.append(struct.pack('<%df' % n, *([1.0] * n)))
    elif variant == 'yarn':
        kvs.append([arch + '.rope.scaling.type', 8, gstr('yarn')])
    elif variant == 'mistral-chat':
        kvs = [kv for kv in kvs if kv[0] != 'tokenizer.chat_template']
        kvs.append(['tokenizer.chat_template', 8, gstr(MISTRAL_V7)])
    elif variant == 'gemma2':
        for kv in kvs:
            if kv[0] == 'general.architecture':
                kv[2] = gstr('gemma2')
    elif variant == 'empty-template':
        kvs = [kv for kv in kvs if kv[0] != 'tokenizer.chat_template']
        kvs.append(['tokenizer.chat_template', 8, gstr('')])
    else:
        sys.exit('unknown variant ' + variant)

    out = bytearray(b'GGUF' + struct.pack('<IQQ', version, len(tensors), len(kvs)))
    for k, t, v in kvs:
        out += gstr(k) + struct.pack('<I', t) + v
    off = 0
    offs = []
    for d in datas:
        offs.append(off)
        off = (off + len(d) + align - 1) // align * align
    for (name, ne, ty, _), o in zip(tensors, offs):
        out += gstr(name) + struct.pack('<I', len(ne)) + b''.join(struct.pack('<Q', x) for x in ne)
        out += struct.pack('<IQ', ty, o)
    out += bytes((-len(out)) % align)
    for d in datas:  # laid out at the offsets computed above
        out += d + bytes((-len(d)) % align)
    open(dst, 'wb').write(out)


if __name__ == '__main__':
    main()
