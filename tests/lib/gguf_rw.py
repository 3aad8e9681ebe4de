"""gguf_rw.py — the GGUF v3 reading pieces the test generators share
(tests/engine/make_bad_model.py, tests/hostile/make_hostile.py): value type
sizes, the block sizes of the types the shared models use, a cursor over
the file, and the string encoding. Standard library only."""
import struct

SCALAR = {0: 'B', 1: 'b', 2: 'H', 3: 'h', 4: 'I', 5: 'i', 6: 'f', 7: '?',
          10: 'Q', 11: 'q', 12: 'd'}
# ggml type id -> (elements per block, bytes per block), for the types the
# shared models use (and IQ4_NL, a type hone cannot compute)
BLOCK = {0: (1, 4), 1: (1, 2), 30: (1, 2), 2: (32, 18), 3: (32, 20), 8: (32, 34),
         12: (256, 144), 13: (256, 176), 14: (256, 210), 20: (32, 18)}
T_STRING, T_ARRAY, T_U32, T_I32 = 8, 9, 4, 5


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def get(self, fmt):
        v = struct.unpack_from('<' + fmt, self.d, self.p)
        self.p += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def raw(self, n):
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def string(self):
        return self.raw(self.get('Q')).decode()

    def value(self, t):
        """Raw bytes of a value of type t (kept verbatim)."""
        start = self.p
        if t == T_STRING:
            self.raw(self.get('Q'))
        elif t == T_ARRAY:
            et, n = self.get('I'), self.get('Q')
            for _ in range(n):
                self.value(et)
        else:
            self.get(SCALAR[t])
        return self.d[start:self.p]


def gstr(s):
    """A GGUF string: length then bytes (str is UTF-8 encoded)."""
    b = s.encode() if isinstance(s, str) else s
    return struct.pack('<Q', len(b)) + b
