/* make_odd_model.c — writes a small llama GGUF (F32, deterministic data)
 * whose shapes take every side road of `hone quantize`: rows of 96 (no
 * K-quant block fits: fallback to Q5_0 / Q5_1 / Q8_0 / Q4_0), rows of 200
 * (no 32-block either: F16), a 3-D tensor, rows of 512 (two K-quant
 * super-blocks), 1-D norms; values spanning 2^-3..2^3, all-zero rows and
 * sub-blocks, single outliers of either sign.
 *
 *   make_odd_model OUT.gguf [big]
 *
 * "big" makes a ~50 MB variant (for the interrupt test). The data comes
 * from a fixed integer generator and exact float steps, so the file is the
 * same everywhere: tests/quantize/digests.txt holds llama-quantize's
 * digests of its quantizations (make_digests.sh). */
#include "gguf_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t g_state = 12345u;

static uint32_t next_u32(void)
{
    g_state = g_state * 1664525u + 1013904223u;
    return g_state;
}

static void add(gguf_writer *w, const char *name, uint32_t nd, uint64_t ne0, uint64_t ne1,
                uint64_t ne2)
{
    const uint64_t ne[3] = {ne0, ne1, ne2};
    const uint64_t n = ne0 * ne1 * ne2;
    float *d = malloc(n * sizeof *d);
    if (!d) abort();
    const uint64_t rows = n / ne0;
    for (uint64_t r = 0; r < rows; r++) {
        /* a power of two per row: exact, and the scales differ a lot */
        const float scale = (float)(1u << (r % 7)) / 8.0f;
        for (uint64_t c = 0; c < ne0; c++) {
            const uint32_t u = next_u32() >> 8; /* 24 bits: exact in float */
            float v = ((float)u / 16777216.0f - 0.5f) * scale;
            if (r % 11 == 5) v = 0.0f;                    /* an all-zero row */
            if (c / 16 == 2 && r % 5 == 1) v = 0.0f;      /* an all-zero sub-block */
            if (c == (r * 7) % ne0) v = (r & 1 ? -4.0f : 4.0f) * scale; /* outlier */
            d[r * ne0 + c] = v;
        }
    }
    gw_tensor(w, name, HONE_TYPE_F32, nd, ne, d);
    free(d);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: make_odd_model OUT.gguf [big]\n");
        return 2;
    }
    const int big = argc > 2 && !strcmp(argv[2], "big");
    const uint32_t n_embd = big ? 1024 : 96, n_ff = big ? 2816 : 200, n_vocab = big ? 512 : 80;
    const uint32_t n_layer = big ? 4 : 2;
    gguf_writer *w = gw_new();
    gw_str(w, "general.architecture", "llama");
    gw_str(w, "general.name", "odd shapes");
    gw_u32(w, "llama.block_count", n_layer);
    gw_u32(w, "llama.context_length", 128);
    gw_u32(w, "llama.embedding_length", n_embd);
    gw_u32(w, "llama.feed_forward_length", n_ff);
    gw_u32(w, "llama.attention.head_count", n_embd / 32);
    gw_u32(w, "llama.attention.head_count_kv", 1);
    gw_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gw_u32(w, "general.file_type", 0);
    add(w, "token_embd.weight", 2, n_embd, n_vocab, 1);
    add(w, "output_norm.weight", 1, n_embd, 1, 1);
    add(w, "output.weight", 2, n_embd, n_vocab, 1);
    for (uint32_t l = 0; l < n_layer; l++) {
        char name[64];
#define T(suffix, nd, a, b, c)                                   \
        snprintf(name, sizeof name, "blk.%u." suffix, l);        \
        add(w, name, nd, a, b, c)
        T("attn_norm.weight", 1, n_embd, 1, 1);
        T("attn_q.weight", 2, n_embd, n_embd, 1);
        T("attn_k.weight", 2, n_embd, 32, 1);
        T("attn_v.weight", 2, n_embd, 32, 1);
        T("attn_output.weight", 2, n_embd, n_embd, 1);
        T("ffn_norm.weight", 1, n_embd, 1, 1);
        T("ffn_gate.weight", 2, n_embd, n_ff, 1);
        T("ffn_up.weight", 2, n_embd, n_ff, 1);
        T("ffn_down.weight", 2, n_ff, n_embd, 1);
#undef T
    }
    add(w, "blk.1.extra_3d.weight", 3, 64, 4, 3);
    add(w, "blk.0.extra_wide.weight", 2, 512, 8, 1);
    if (!gw_save(w, argv[1])) {
        perror(argv[1]);
        return 1;
    }
    gw_free(w);
    return 0;
}
