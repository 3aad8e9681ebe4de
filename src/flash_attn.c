/* flash_attn.c — llama.cpp's CPU flash attention, row by row (see
 * flash_attn.h for the three paths and why each is reproduced).
 *
 * The operations below mirror ggml-cpu's (ops.cpp, vec.h, simd-gemm.h as
 * its x86 builds compile them, with GCC contracting a*b + c to one FMA):
 * every fmaf here is an FMA there, every separate multiply and add is one
 * there too. What may differ is the summation order inside the q·k dot of
 * the VEC path (the kernel set's vec_dot, as without flash attention):
 * last-bit noise.
 */
#include "flash_attn.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

hone_fa_path hone_fa_choose(const hone_kernels *k, int head_dim, int n_tok, int n_kv)
{
    if (n_tok == 1 && n_kv >= HONE_FA_SPLIT_MIN_KV) return HONE_FA_SPLIT;
    /* ggml: use_tiled &= DV % GGML_F32_EPR == 0 (only in SIMD builds) */
    if (n_tok >= HONE_FA_TILE_Q && (k->f32_lanes <= 1 || head_dim % k->f32_lanes == 0))
        return HONE_FA_TILED;
    return HONE_FA_VEC;
}

int hone_fa_n_kv(int n_used)
{
    /* llama_kv_cache::get_n_kv: max(256, GGML_PAD(used_max_p1, 256)), capped
     * at the cache size, which llama.cpp pads to 256 itself */
    const int pad = 256;
    const int n = (n_used + pad - 1) / pad * pad;
    return n < pad ? pad : n;
}

/* ------------------------------------------------------------- scratch */

/* Regions rounded to 16 floats, so each starts 64-byte aligned. */
static size_t al16(size_t n) { return (n + 15) & ~(size_t)15; }

size_t hone_fa_scratch_floats(int rows, int head_dim)
{
    const size_t hd = (size_t)head_dim, r = (size_t)rows;
    /* VEC / SPLIT: acc16, acc32, fin, q for a token's rows */
    const size_t vec = 4 * HONE_FA_ROWS * al16(hd);
    const size_t tiled = 4 * al16(hd)                     /* K row (at 3) */
                         + 2 * al16(hd * HONE_FA_TILE_KV) /* K and V tiles */
                         + al16(r * HONE_FA_TILE_KV)      /* scores */
                         + al16(r * hd) + 2 * al16(r);    /* V sums, M, S */
    return vec > tiled ? vec : tiled;
}

/* ------------------------------------------------------------- VEC path */

/* F32 accumulator rows (an F32 cache): ggml_vec_scale_f32 / _mad_f32. */
static void scale_f32(float *y, float v, int n)
{
    for (int i = 0; i < n; i++) y[i] *= v;
}

static void mad_f32(float *y, const float *x, float v, int n)
{
    for (int i = 0; i < n; i++) y[i] = fmaf(x[i], v, y[i]);
}

/* GCC's vector extensions (any target: wider than the hardware they are
 * split): the same element-wise operations as the scalar loops they
 * replace, which GCC 12 left scalar (the tile maximum and these sums were
 * a quarter of attn_item's time in a pp512 @ d4096 profile). */
typedef float fa_v8 __attribute__((vector_size(32)));
typedef float fa_v4 __attribute__((vector_size(16)));
typedef int32_t fa_v8i __attribute__((vector_size(32)));

/* Positions vec_chunk takes per step: each row's softmax steps for them
 * first (their exponentials vector-wide), then the V sums position by
 * position. A row's "grew" flags for them are the bits of a uint64_t. */
enum { FA_VEC_BLOCK = 64 };

/* V rows fetched ahead of the one being summed (128 bytes each at
 * head_dim 64: 4 KiB). */
enum { FA_V_AHEAD = 32 };

/* One row's softmax steps over a block: x[i] holds its scaled score on
 * entry and the argument of e^ on return; *m is its running maximum. Bit
 * i of the result: position i raised the maximum (x[i] = old - new, e^ of
 * it is ms), else x[i] = s - max (vs; NaN stays NaN). Eight positions none
 * of which exceeds the maximum so far (after the first few, nearly all:
 * the scalar scan was half of vec_chunk's time at a 4096 context) take one
 * vector compare and subtraction, the same operations per lane. */
static uint64_t softmax_steps(float *x, int nb, float *m)
{
    float mr = *m;
    uint64_t grew = 0;
    for (int i0 = 0; i0 < nb; i0 += 8) {
        const int i1 = nb - i0 < 8 ? nb : i0 + 8;
        if (i1 - i0 == 8) {
            fa_v8 v;
            memcpy(&v, x + i0, sizeof v);
            const fa_v8 m8 = {mr, mr, mr, mr, mr, mr, mr, mr};
            const fa_v8i gt = v > m8; /* false for NaN, as s > mr is */
            uint64_t w[4];
            memcpy(w, &gt, sizeof w);
            if (!(w[0] | w[1] | w[2] | w[3])) {
                v = v - m8;
                memcpy(x + i0, &v, sizeof v);
                continue;
            }
        }
        for (int i = i0; i < i1; i++) {
            const float s = x[i];
            if (s > mr) {
                x[i] = mr - s; /* ms = e^(old - new) */
                mr = s;
                grew |= (uint64_t)1 << i;
            } else {
                x[i] = s - mr; /* vs = e^(s - max) */
            }
        }
    }
    *m = mr;
    return grew;
}

/* ggml_compute_forward_flash_attn_ext_f16_one_chunk for the nr rows of one
 * token (heads sharing the KV head, so the same positions and V rows) over
 * positions [ic0, ic1), all visible. Each row keeps its own online softmax
 * in ggml's order, and with an F16 cache the rows' V sums are updated
 * together (one f16_mad per position: V converted once for all of them).
 * Row r's score at position ic is scores[r][ic], or, with scores NULL, its
 * dot with qq[r] (the query in the cache type). Returns each row's running
 * max and sum; its V sum in F32 goes to acc32 + r * ld (acc16 + r * ld:
 * the F16 sum on the way).
 *
 * ggml walks a position at a time: s = score * scale; a new maximum
 * rescales the sum so far by ms = e^(old - s) and adds vs = 1, else ms = 1
 * and vs = e^(s - m); S = S * ms + vs (one FMA); V sum = V sum * ms + v *
 * vs. The maxima and the arguments of e^ depend only on the scores, so
 * for a block of positions they are found first, a row at a time, and the
 * exponentials taken together (expf_n: libm's bits, vector-wide; one
 * scalar expf call per (row, position) was 11 % of a token at a 4096
 * context); the sums then take the same steps in the same order. */
static void vec_chunk(const hone_fa_job *j, int nr, const float *const *scores, const void *const *qq,
                      int ic0, int ic1, float *M, float *S, float *acc32, uint16_t *acc16, size_t ld)
{
    const hone_kernels *k = j->k;
    const hone_vec_dot_fn dot = k->type[j->type].vec_dot;
    const int hd = j->head_dim;
    const bool f16 = j->type == HONE_TYPE_F16;
    float m[HONE_FA_ROWS], sum[HONE_FA_ROWS];
    /* per row and position of the block: e^(arg); bit i of grew[r]:
     * whether position i raised row r's maximum (e is then ms, else vs) */
    float e[HONE_FA_ROWS][FA_VEC_BLOCK];
    uint64_t grew[HONE_FA_ROWS];
    for (int r = 0; r < nr; r++) {
        m[r] = -INFINITY;
        sum[r] = 0.0f;
        if (f16) memset(acc16 + (size_t)r * ld, 0, sizeof *acc16 * (size_t)hd);
        else memset(acc32 + (size_t)r * ld, 0, sizeof *acc32 * (size_t)hd);
    }
    for (int b0 = ic0; b0 < ic1; b0 += FA_VEC_BLOCK) {
        const int nb = ic1 - b0 < FA_VEC_BLOCK ? ic1 - b0 : FA_VEC_BLOCK;
        uint64_t any = 0; /* positions where some row's maximum grew */
        for (int r = 0; r < nr; r++) {
            float *er = e[r];
            if (scores)
                for (int i = 0; i < nb; i++) er[i] = scores[r][b0 + i] * j->scale;
            else
                for (int i = 0; i < nb; i++) {
                    float s;
                    dot(hd, &s, j->k_rows + (size_t)(b0 + i) * j->row_bytes, qq[r]);
                    er[i] = s * j->scale;
                }
            grew[r] = softmax_steps(er, nb, &m[r]);
            any |= grew[r];
            k->expf_n(er, nb);
        }
        for (int i = 0; i < nb; i++) {
            const void *v = j->v_rows + (size_t)(b0 + i) * j->row_bytes;
            /* V row FA_V_AHEAD positions on, into L1: one row per step
             * is too little work to hide a miss, and the hardware's
             * stream prefetch did not keep up (at a 4096 context 41 % of
             * f16_mad's samples waited on its V load) */
            if (b0 + i + FA_V_AHEAD < ic1)
                for (size_t o = 0; o < j->row_bytes; o += 64)
                    __builtin_prefetch((const char *)v + FA_V_AHEAD * j->row_bytes + o, 0, 3);
            float vs[HONE_FA_ROWS];
            if (!(any >> i & 1)) {
                /* no row's maximum grew: ms = 1, and S * 1 + vs (one FMA)
                 * is S + vs, the product being exact */
                for (int r = 0; r < nr; r++) {
                    vs[r] = e[r][i];
                    sum[r] = sum[r] + vs[r];
                }
            } else {
                /* the rows' S chains side by side (one row's alone waited
                 * on each FMA's latency: ~5 % of a token at a 4096 context) */
                for (int r = 0; r < nr; r++) {
                    const bool g = grew[r] >> i & 1;
                    const float ms = g ? e[r][i] : 1.0f;
                    vs[r] = g ? 1.0f : e[r][i];
                    sum[r] = fmaf(sum[r], ms, vs[r]); /* S = S*ms + vs: one FMA in ggml's build */
                    if (!g) continue;
                    /* a new maximum: rescale the sum so far by e^(old - new) */
                    if (f16) k->f16_scale(acc16 + (size_t)r * ld, e[r][i], hd);
                    else scale_f32(acc32 + (size_t)r * ld, e[r][i], hd);
                }
            }
            if (f16) k->f16_mad(acc16, ld, v, vs, nr, hd);
            else
                for (int r = 0; r < nr; r++) mad_f32(acc32 + (size_t)r * ld, v, vs[r], hd);
        }
    }
    for (int r = 0; r < nr; r++) {
        if (f16)
            for (int d = 0; d < hd; d++)
                acc32[(size_t)r * ld + (size_t)d] = hone_f16_to_f32(acc16[(size_t)r * ld + (size_t)d]);
        M[r] = m[r];
        S[r] = sum[r];
    }
}

/* out = v / S (0 when nothing was visible) */
static void finish(float *out, const float *v, float S, int hd)
{
    const float inv = S == 0.0f ? 0.0f : 1.0f / S;
    for (int d = 0; d < hd; d++) out[d] = v[d] * inv;
}

/* VEC or SPLIT for the nr (<= HONE_FA_ROWS) rows of one token: row r's
 * query q[r], its scores scores[r] (or NULL: dots per position), its
 * output at out + r * head_dim. */
static void vec_rows(const hone_fa_job *j, int nr, const float *const *q, const float *const *scores, int n_vis,
                     float *out, float *scratch)
{
    const int hd = j->head_dim;
    const size_t ld = al16((size_t)hd);
    uint16_t *acc16 = (uint16_t *)scratch;
    float *acc32 = scratch + HONE_FA_ROWS * ld, *fin = acc32 + HONE_FA_ROWS * ld;
    float *qbuf = fin + HONE_FA_ROWS * ld;
    const void *qq[HONE_FA_ROWS];
    for (int r = 0; r < nr && !scores; r++) {
        void *qr = (uint8_t *)qbuf + (size_t)r * ld * sizeof(float);
        j->k->type[j->type].from_float(q[r], qr, hd); /* q_to_vec_dot */
        qq[r] = qr;
    }
    float M[HONE_FA_ROWS], S[HONE_FA_ROWS];
    if (j->path != HONE_FA_SPLIT) {
        vec_chunk(j, nr, scores, qq, 0, n_vis, M, S, acc32, acc16, ld);
        for (int r = 0; r < nr; r++) finish(out + (size_t)r * (size_t)hd, acc32 + (size_t)r * ld, S[r], hd);
        return;
    }
    /* split: the chunks llama.cpp's threads take, merged in chunk order
     * (ggml_flash_attn_ext_reduce_partials; its two products per element
     * compile to a multiply and an FMA) */
    const int chunk = (j->n_kv + j->n_chunks - 1) / j->n_chunks;
    float mf[HONE_FA_ROWS], sf[HONE_FA_ROWS];
    for (int r = 0; r < nr; r++) {
        mf[r] = -INFINITY;
        sf[r] = 0.0f;
        memset(fin + (size_t)r * ld, 0, sizeof *fin * (size_t)hd);
    }
    for (int c = 0; c < j->n_chunks; c++) {
        const int ic0 = c * chunk;
        int ic1 = ic0 + chunk < j->n_kv ? ic0 + chunk : j->n_kv;
        if (ic1 > n_vis) ic1 = n_vis; /* masked cells are skipped */
        if (ic0 >= ic1) continue;     /* nothing visible: S == 0, skipped */
        vec_chunk(j, nr, scores, qq, ic0, ic1, M, S, acc32, acc16, ld);
        for (int r = 0; r < nr; r++) {
            const float mn = fmaxf(mf[r], M[r]);
            const float so = expf(mf[r] - mn), sn = expf(M[r] - mn);
            float *fr = fin + (size_t)r * ld;
            const float *ar = acc32 + (size_t)r * ld;
            for (int d = 0; d < hd; d++) fr[d] = fmaf(fr[d], so, ar[d] * sn);
            sf[r] = fmaf(sf[r], so, S[r] * sn);
            mf[r] = mn;
        }
    }
    for (int r = 0; r < nr; r++) finish(out + (size_t)r * (size_t)hd, fin + (size_t)r * ld, sf[r], hd);
}

/* ----------------------------------------------------------- TILED path */

/* One vector's lanes summed as ggml's reductions do: halves added until
 * one is left (t[l] += t[l + w], w = lanes / 2 .. 1). Written out per
 * vector width, so the compiler keeps it in registers (the loop over a
 * stack copy it replaces went through memory: attention's own time in a
 * Q4_0 pp512 profile 3.6 % -> 2.9 %, pp512 +1.7 %). */
static inline float tree_sum(const float *x, int lanes)
{
    float t[16];
    switch (lanes) {
    case 16: {
        fa_v8 a, b;
        fa_v4 h[2];
        memcpy(&a, x, sizeof a);
        memcpy(&b, x + 8, sizeof b);
        const fa_v8 s8 = a + b; /* t[l] = x[l] + x[l + 8] */
        memcpy(h, &s8, sizeof h);
        const fa_v4 s4 = h[0] + h[1]; /* t[l] += t[l + 4] */
        return (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }
    case 8: {
        fa_v4 a, b;
        memcpy(&a, x, sizeof a);
        memcpy(&b, x + 4, sizeof b);
        const fa_v4 s4 = a + b;
        return (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }
    case 4: return (x[0] + x[2]) + (x[1] + x[3]);
    default:
        for (int l = 0; l < lanes; l++) t[l] = x[l];
        for (int w = lanes / 2; w >= 1; w /= 2)
            for (int l = 0; l < w; l++) t[l] += t[l + w];
        return t[0];
    }
}

/* ggml_vec_soft_max_f32 over one tile's scores: p = e^(x - max) in place,
 * returns their sum. A SIMD build sums each vector of `lanes` values as a
 * tree (_mm512_reduce_add_ps / the AVX2 shuffles: halves added until one
 * is left) and the vectors in double; a build without SIMD uses expf and
 * sums every value in double. */
static double tile_softmax(const hone_kernels *k, float *x, float max, int lanes)
{
    double sum = 0.0;
    if (lanes <= 1) {
        for (int i = 0; i < HONE_FA_TILE_KV; i++) {
            x[i] = expf(x[i] - max);
            sum += (double)x[i];
        }
        return sum;
    }
    k->fa_exp(x, HONE_FA_TILE_KV, max);
    for (int c = 0; c < HONE_FA_TILE_KV; c += lanes) sum += (double)tree_sum(x + c, lanes);
    return sum;
}

/* Rows whose products one fma_chains call carries (pointer arrays on the
 * stack; the kernels group them further). */
enum { FA_TILE_ROWS = 16 };

/* ggml_compute_forward_flash_attn_ext_tiled for the job's rows: KV tiles
 * of 64 positions from position 0; per row the scores are FMA chains over
 * head_dim (simd_gemm), a new tile maximum rescales the row's F32 V sum and
 * S, then S += the tile's softmax sum and V sum += p · V tile (FMA chains
 * over the tile's positions, in order). A tile a row cannot see at all
 * leaves it untouched, as ggml's skips do.
 *
 * Rows go through the products FA_TILE_ROWS at a time, so a K or V tile
 * row is loaded once for several of them. Each row's chains are the same
 * either way: scores past a row's visible positions are computed (up to the
 * group's most) and then masked, and the V sum skips their zero weights. */
static void tiled_rows(const hone_fa_job *j, float *scratch)
{
    enum { KV = HONE_FA_TILE_KV };
    const hone_kernels *k = j->k;
    const int hd = j->head_dim, rows = j->rows, lanes = k->f32_lanes;
    const hone_to_float_fn to_float = k->type[j->type].to_float;
    const size_t h16 = al16((size_t)hd);
    float *kt = scratch + 4 * h16;                 /* [hd][KV]: K tile, transposed */
    float *vt = kt + al16((size_t)hd * KV);        /* [KV][hd]: V tile */
    float *kq = vt + al16((size_t)hd * KV);        /* [rows][KV] */
    float *acc = kq + al16((size_t)rows * KV);     /* [rows][hd] */
    float *Ms = acc + al16((size_t)rows * (size_t)hd), *Ss = Ms + al16((size_t)rows);
    for (int r = 0; r < rows; r++) {
        Ms[r] = -INFINITY;
        Ss[r] = 0.0f;
    }
    memset(acc, 0, sizeof *acc * (size_t)rows * (size_t)hd);

    const int vis_max = j->n_vis0 + (rows - 1) / j->group; /* the last row's */
    float *krow = scratch + 3 * h16; /* one K row in F32 */
    for (int t0 = 0; t0 < vis_max; t0 += KV) {
        const int nt = vis_max - t0 < KV ? vis_max - t0 : KV;
        /* the tile in F32 (exact conversions) */
        for (int tk = 0; tk < nt; tk++) {
            const size_t off = (size_t)(t0 + tk) * j->row_bytes;
            to_float(j->v_rows + off, vt + (size_t)tk * (size_t)hd, hd);
            to_float(j->k_rows + off, krow, hd);
            for (int d = 0; d < hd; d++) kt[(size_t)d * KV + (size_t)tk] = krow[d];
        }
        for (int rb = 0; rb < rows; rb += FA_TILE_ROWS) {
            const int re = rb + FA_TILE_ROWS < rows ? rb + FA_TILE_ROWS : rows;
            float *sp[FA_TILE_ROWS], *ap[FA_TILE_ROWS];
            const float *qp[FA_TILE_ROWS];
            int rows_of[FA_TILE_ROWS], nvs[FA_TILE_ROWS], live = 0, nmax = 0;
            /* the group's score rows are contiguous: one memset (a short
             * one per row compiles to a slow rep stos) */
            memset(kq + (size_t)rb * KV, 0, sizeof(float) * KV * (size_t)(re - rb));
            for (int r = rb; r < re; r++) {
                int nv = j->n_vis0 + r / j->group - t0;
                if (nv <= 0) continue; /* the whole tile masked for this row */
                if (nv > nt) nv = nt;
                nmax = nv > nmax ? nv : nmax;
                rows_of[live] = r;
                nvs[live] = nv;
                sp[live] = kq + (size_t)r * KV;
                ap[live] = acc + (size_t)r * (size_t)hd;
                qp[live] = j->q + (size_t)(r / j->group) * j->q_ld + (size_t)(r % j->group) * (size_t)hd;
                live++;
            }
            if (live == 0) continue;
            /* FMA chains over head_dim, one per position */
            k->fma_chains(sp, kt, KV, qp, live, hd, nmax, false);
            for (int i = 0; i < live; i++) {
                const int r = rows_of[i];
                float *s = sp[i];
                const float scale = j->scale;
                const int nv = nvs[i];
                for (int tk = 0; tk < nv; tk++) s[tk] *= scale;
                for (int tk = nv; tk < KV; tk++) s[tk] = -INFINITY;
                /* ggml_vec_max_f32, 8 running maxima (the maximum is the
                 * same whatever the order; only a zero's sign could
                 * differ, and e^(x - max) does not see it); m > x ? m : x
                 * lane by lane */
                fa_v8 m8;
                memcpy(&m8, s, sizeof m8);
                for (int tk = 8; tk < KV; tk += 8) {
                    fa_v8 x8;
                    memcpy(&x8, s + tk, sizeof x8);
                    const fa_v8i gt = m8 > x8;
                    m8 = (fa_v8)(((fa_v8i)m8 & gt) | ((fa_v8i)x8 & ~gt));
                }
                float tmax = -INFINITY;
                for (int l = 0; l < 8; l++) tmax = tmax > m8[l] ? tmax : m8[l];
                const float mold = Ms[r], mnew = fmaxf(mold, tmax);
                if (mnew > mold) {
                    const float ms = expf(mold - mnew);
                    scale_f32(ap[i], ms, hd);
                    Ss[r] *= ms;
                }
                Ms[r] = mnew;
                Ss[r] = (float)((double)Ss[r] + tile_softmax(k, s, mnew, lanes));
            }
            /* FMA chains over the tile's positions, one per element; a zero
             * weight (every position past a row's last) leaves a chain
             * unchanged: skipped, as ggml skips it */
            k->fma_chains(ap, vt, (size_t)hd, (const float *const *)sp, live, nmax, hd, true);
        }
    }
    for (int r = 0; r < rows; r++)
        finish(j->out + (size_t)r * (size_t)hd, acc + (size_t)r * (size_t)hd, Ss[r], hd);
}

/* --------------------------------------------------------------- entry */

void hone_fa_run(const hone_fa_job *j, float *scratch)
{
    if (j->path == HONE_FA_TILED) {
        tiled_rows(j, scratch);
        return;
    }
    /* the rows of a token together: heads r0 .. r0 + nr of its group */
    const int hd = j->head_dim;
    for (int r0 = 0; r0 < j->rows;) {
        const int tl = r0 / j->group, left = (tl + 1) * j->group - r0;
        const int nr = left < HONE_FA_ROWS ? left : HONE_FA_ROWS;
        const float *q[HONE_FA_ROWS], *sc[HONE_FA_ROWS];
        for (int r = 0; r < nr; r++) {
            q[r] = j->q + (size_t)tl * j->q_ld + (size_t)((r0 + r) % j->group) * (size_t)hd;
            sc[r] = j->scores ? j->scores + (size_t)(r0 + r) * j->scores_ld : NULL;
        }
        vec_rows(j, nr, q, j->scores ? sc : NULL, j->n_vis0 + tl, j->out + (size_t)r0 * (size_t)hd, scratch);
        r0 += nr;
    }
}
