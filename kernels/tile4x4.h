/* tile4x4.h — the matmul driver of the sets that tile 4 weight rows x 4
 * tokens (arm/neon_body.h, ppc/power10.c), written once; each set passes
 * its tile function (SDOT / SMULL / SMMLA tiles on AArch64, MMA GERs on
 * POWER10) and compiles the driver into its own file.
 *
 * A tile reads each weight block once for 4 tokens; its integer block sums
 * are exact and its float steps per block are vec_dot's, in vec_dot's
 * order, so every result has vec_dot's bits whatever the batch. Edge rows
 * and tokens use the set's vec_dot itself; types without tiles take
 * generic's vec_dot loop. */
#ifndef HONE_KERNELS_TILE4X4_H
#define HONE_KERNELS_TILE4X4_H

#include "generic/generic.h"

/* y[t * ldy + r] for weight rows w[0..3] (r) and activation rows a[0..3]
 * (t), rows of n elements. */
typedef void (*hone_tile4x4_fn)(uint32_t wtype, const char *const w[4], const char *const a[4],
                                int n, float *y, int ldy);

/* The types both sets tile. */
static inline bool hone_tile4x4_has(uint32_t wtype)
{
    return wtype == HONE_TYPE_Q4_0 || wtype == HONE_TYPE_Q8_0 || wtype == HONE_TYPE_Q4_K ||
           wtype == HONE_TYPE_Q5_K || wtype == HONE_TYPE_Q6_K;
}

/* hone_matmul_fn with the tile function `tile` (a constant at each call, so
 * the call is direct once this is inlined). */
static inline void hone_tile4x4_matmul(hone_tile4x4_fn tile, const hone_kernels *k, uint32_t wtype,
                                       const void *w, size_t w_row_bytes, const void *act,
                                       size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                                       float *y, int ldy)
{
    if (!hone_tile4x4_has(wtype)) {
        hone_gen_matmul(k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    const hone_vec_dot_fn dot = k->type[wtype].vec_dot;
    const char *wb = w, *ab = act;
    int t = 0;
    for (; t + 4 <= n_tok; t += 4) {
        const char *a[4];
        for (int i = 0; i < 4; i++) a[i] = ab + (size_t)(t + i) * act_row_bytes;
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            const char *wr[4];
            for (int j = 0; j < 4; j++) wr[j] = wb + (size_t)(r + j) * w_row_bytes;
            tile(wtype, wr, a, n, y + (size_t)t * (size_t)ldy + (size_t)r, ldy);
        }
        for (; r < r1; r++)
            for (int i = 0; i < 4; i++)
                dot(n, &y[(size_t)(t + i) * (size_t)ldy + (size_t)r], wb + (size_t)r * w_row_bytes, a[i]);
    }
    for (; t < n_tok; t++)
        for (int r = r0; r < r1; r++)
            dot(n, &y[(size_t)t * (size_t)ldy + (size_t)r], wb + (size_t)r * w_row_bytes,
                ab + (size_t)t * act_row_bytes);
}

#endif
