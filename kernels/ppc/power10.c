/* power10.c — the "power10" kernel set: VSX (altivec.h vec_*) kernels for
 * POWER10 / ISA 3.1, compiled with -mcpu=power10 only
 * (kernels/CMakeLists.txt).
 *
 * Integer dots are exact (int8 pairs widened to int16, then vmsumshm into
 * int32 lanes), and the float accumulation keeps generic's order (one
 * scalar sum over blocks), so the quantized dots give generic's bits. The
 * activation quantizers are bit-identical by construction: the same
 * multiply, xvrspic rounding in the current (nearest-even) mode as lrintf,
 * the same f16 scale conversion. Unlisted types use the generic entries.
 *
 * Shared with the neon set (arm/neon_body.h): the per-block float loops of
 * the quantized dots (block_loops.h: this file gives each block's integer
 * sum), the 4x4 matmul driver (tile4x4.h: this file gives the MMA tiles)
 * and the table building (table.h). */
#include "generic/generic.h"
#include "ppc/ppc.h"
#include "table.h"
#include "tile4x4.h"

#include <altivec.h>
#include <math.h>
#include <string.h>

/* altivec.h defines these as macros in C; keep the C meanings. */
#undef bool
#undef vector
#undef pixel
#define bool _Bool

typedef __vector signed char v16i8;
typedef __vector unsigned char v16u8;
typedef __vector signed short v8i16;
typedef __vector signed int v4i32;
typedef __vector float v4f32;

static inline v16i8 ld_i8(const int8_t *p) { return vec_xl(0, (const signed char *)p); }
static inline v16u8 ld_u8(const uint8_t *p) { return vec_xl(0, (const unsigned char *)p); }

/* acc + the 16 products a[i] * b[i] (|a*b| <= 2^14: int16 pairs fit int32). */
static inline v4i32 p10_dot16(v4i32 acc, v16i8 a, v16i8 b)
{
    acc = vec_msum(vec_unpackh(a), vec_unpackh(b), acc);
    return vec_msum(vec_unpackl(a), vec_unpackl(b), acc);
}

static inline int hsum_i32(v4i32 v)
{
    return v[0] + v[1] + v[2] + v[3];
}

static inline v16u8 splat_u8(unsigned v)
{
    return vec_splats((unsigned char)v);
}

/* --- plain types --------------------------------------------------------- */

static void p10_vec_dot_f32(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    v4f32 a0 = vec_splats(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = vec_madd(vec_xl(0, x + i), vec_xl(0, y + i), a0);
        a1 = vec_madd(vec_xl(0, x + i + 4), vec_xl(0, y + i + 4), a1);
        a2 = vec_madd(vec_xl(0, x + i + 8), vec_xl(0, y + i + 8), a2);
        a3 = vec_madd(vec_xl(0, x + i + 12), vec_xl(0, y + i + 12), a3);
    }
    for (; i + 4 <= n; i += 4) a0 = vec_madd(vec_xl(0, x + i), vec_xl(0, y + i), a0);
    const v4f32 t = vec_add(vec_add(a0, a1), vec_add(a2, a3));
    double sum = (double)t[0] + (double)t[1] + (double)t[2] + (double)t[3];
    for (; i < n; i++) sum += (double)(x[i] * y[i]);
    *s = (float)sum;
}

/* F16 / BF16: products are exact in float; eight float lanes summed in
 * double, as generic does. */
typedef __vector unsigned short v8u16;

static inline void h2f8(const uint16_t *p, v4f32 *lo, v4f32 *hi)
{
    const v8u16 h = vec_xl(0, (const unsigned short *)p);
    *lo = vec_extract_fp32_from_shorth(h);
    *hi = vec_extract_fp32_from_shortl(h);
}

static inline void bf2f8(const uint16_t *p, v4f32 *lo, v4f32 *hi)
{
    const v8u16 h = vec_xl(0, (const unsigned short *)p), z = vec_splats((unsigned short)0);
    *lo = (v4f32)vec_mergeh(z, h); /* element i << 16 (little endian) */
    *hi = (v4f32)vec_mergel(z, h);
}

#define P10_HALF_DOT(fname, LOAD8, CONV)                                         \
    static void fname(int n, float *s, const void *vx, const void *vy)          \
    {                                                                            \
        const uint16_t *x = vx, *y = vy;                                         \
        v4f32 lo = vec_splats(0.0f), hi = lo;                                    \
        int i = 0;                                                               \
        for (; i + 8 <= n; i += 8) {                                             \
            v4f32 xl, xh, yl, yh;                                                \
            LOAD8(x + i, &xl, &xh);                                              \
            LOAD8(y + i, &yl, &yh);                                              \
            lo = vec_add(lo, vec_mul(xl, yl));                                   \
            hi = vec_add(hi, vec_mul(xh, yh));                                   \
        }                                                                        \
        double sum = 0.0;                                                        \
        for (int j = 0; j < 4; j++) sum += (double)lo[j];                        \
        for (int j = 0; j < 4; j++) sum += (double)hi[j];                        \
        for (; i < n; i++) sum += (double)(CONV(x[i]) * CONV(y[i]));             \
        *s = (float)sum;                                                         \
    }

P10_HALF_DOT(p10_vec_dot_f16, h2f8, hone_gen_h2f)
P10_HALF_DOT(p10_vec_dot_bf16, bf2f8, hone_bf16_to_f32)

/* --- activation quantizers (bit-identical to generic) ---------------------- */

/* 16 int32 (|q| <= 127) to 16 int8, in order. */
static inline v16i8 pack16(v4i32 q0, v4i32 q1, v4i32 q2, v4i32 q3)
{
    return vec_pack(vec_pack(q0, q1), vec_pack(q2, q3));
}

/* round to nearest even (the current mode, as lrintf), then to int32 */
static inline v4i32 round_i32(v4f32 v)
{
    return vec_cts(vec_rint(v), 0);
}

static void p10_q8_0_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        v4f32 v[8], m = vec_splats(0.0f);
        for (int j = 0; j < 8; j++) {
            v[j] = vec_xl(0, x + 4 * j);
            m = vec_max(m, vec_abs(v[j]));
        }
        const float amax = fmaxf(fmaxf(m[0], m[1]), fmaxf(m[2], m[3]));
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        const v4f32 vid = vec_splats(id);
        y[i].d = hone_f32_to_f16(d);
        for (int j = 0; j < 8; j += 4) {
            const v16i8 b = pack16(round_i32(vec_mul(v[j], vid)), round_i32(vec_mul(v[j + 1], vid)),
                                   round_i32(vec_mul(v[j + 2], vid)), round_i32(vec_mul(v[j + 3], vid)));
            vec_xst(b, 0, (signed char *)y[i].qs + 4 * j);
        }
    }
}

static void p10_q8_K_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        v4f32 m = vec_splats(0.0f);
        for (int j = 0; j < QK_K; j += 4) m = vec_max(m, vec_abs(vec_xl(0, x + j)));
        const float amax = fmaxf(fmaxf(m[0], m[1]), fmaxf(m[2], m[3]));
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0.0f; /* the first element of largest magnitude */
        for (int j = 0; j < QK_K; j++) {
            if (fabsf(x[j]) == amax) {
                max = x[j];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const v4f32 vs = vec_splats(iscale);
        const v4i32 lim = vec_splats(127);
        for (int g = 0; g < QK_K / 16; g++) {
            v4i32 q[4];
            for (int j = 0; j < 4; j++)
                q[j] = vec_min(round_i32(vec_mul(vec_xl(0, x + 16 * g + 4 * j), vs)), lim);
            const v16i8 b = pack16(q[0], q[1], q[2], q[3]);
            vec_xst(b, 0, (signed char *)y[i].qs + 16 * g);
            y[i].bsums[g] = (int16_t)hsum_i32(vec_sum4s(b, vec_splats(0)));
        }
        y[i].d = 1.0f / iscale;
    }
}

/* --- quantized dots: each block's exact integer sum (block_loops.h
 * does the float steps) --------------------------------------------------- */

static inline int simd_q4_0_isum(const block_q4_0 *x, const block_q8_0 *y)
{
    const v16u8 q = ld_u8(x->qs);
    const v16i8 eight = vec_splats((signed char)8);
    const v16i8 wl = vec_sub((v16i8)vec_and(q, splat_u8(0x0f)), eight);
    const v16i8 wh = vec_sub((v16i8)vec_sr(q, splat_u8(4)), eight);
    const v4i32 acc = p10_dot16(vec_splats(0), wl, ld_i8(y->qs));
    return hsum_i32(p10_dot16(acc, wh, ld_i8(y->qs + 16)));
}

static inline int simd_q8_0_isum(const block_q8_0 *x, const block_q8_0 *y)
{
    const v4i32 acc = p10_dot16(vec_splats(0), ld_i8(x->qs), ld_i8(y->qs));
    return hsum_i32(p10_dot16(acc, ld_i8(x->qs + 16), ld_i8(y->qs + 16)));
}

/* The 5th bits of a Q5_0 / Q5_1 block as 0x10 bytes: bit j of qh (little
 * endian) goes to element j; h[0] gets elements 0..15, h[1] 16..31. */
static inline void q5_high(const uint8_t q[4], v16u8 h[2])
{
    const v16u8 bit = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const v16u8 q01 = {q[0], q[0], q[0], q[0], q[0], q[0], q[0], q[0],
                       q[1], q[1], q[1], q[1], q[1], q[1], q[1], q[1]};
    const v16u8 q23 = {q[2], q[2], q[2], q[2], q[2], q[2], q[2], q[2],
                       q[3], q[3], q[3], q[3], q[3], q[3], q[3], q[3]};
    const v16u8 zero = splat_u8(0), b5 = splat_u8(0x10);
    h[0] = vec_and((v16u8)vec_cmpne(vec_and(q01, bit), zero), b5);
    h[1] = vec_and((v16u8)vec_cmpne(vec_and(q23, bit), zero), b5);
}

/* sum (q - offset) * a over a 4-bit (plus optional 5th bit) block. */
static inline int dot_nibbles(const uint8_t *qs, const v16u8 *h5, int offset, const int8_t *a)
{
    const v16u8 q = ld_u8(qs);
    v16u8 lo = vec_and(q, splat_u8(0x0f)), hi = vec_sr(q, splat_u8(4));
    if (h5) {
        lo = vec_or(lo, h5[0]);
        hi = vec_or(hi, h5[1]);
    }
    const v16i8 off = vec_splats((signed char)offset);
    const v4i32 acc = p10_dot16(vec_splats(0), vec_sub((v16i8)lo, off), ld_i8(a));
    return hsum_i32(p10_dot16(acc, vec_sub((v16i8)hi, off), ld_i8(a + 16)));
}

static inline int simd_q5_0_isum(const block_q5_0 *x, const block_q8_0 *y)
{
    v16u8 h5[2];
    q5_high(x->qh, h5);
    return dot_nibbles(x->qs, h5, 16, y->qs);
}

static inline int simd_q4_1_isum(const block_q4_1 *x, const block_q8_1 *y)
{
    return dot_nibbles(x->qs, NULL, 0, y->qs);
}

static inline int simd_q5_1_isum(const block_q5_1 *x, const block_q8_1 *y)
{
    v16u8 h5[2];
    q5_high(x->qh, h5);
    return dot_nibbles(x->qs, h5, 0, y->qs);
}

/* --- K-quants (layouts in generic/kquants.c) ------------------------------ */

/* Q2_K / Q3_K low 2 bits: in half h, shift 2k, 16-byte chunk c of qs[32h..]
 * holds the quants of sub-block 8h + 2k + c. */
static inline int simd_q2_K_isum(const block_q2_K *x, const block_q8_K *y)
{
    const v16u8 three = splat_u8(3);
    v4i32 acc = vec_splats(0);
    for (int h = 0; h < 2; h++) {
        for (int c = 0; c < 2; c++) {
            const v16u8 q = ld_u8(x->qs + 32 * h + 16 * c);
            for (int k = 0; k < 4; k++) {
                const int sb = 8 * h + 2 * k + c;
                const v16u8 w = vec_and(vec_sr(q, splat_u8(2u * (unsigned)k)), three);
                const v4i32 d = p10_dot16(vec_splats(0), (v16i8)w, ld_i8(y->qs + 16 * sb));
                acc = vec_add(acc, vec_mul(d, vec_splats((int)(x->scales[sb] & 0x0f))));
            }
        }
    }
    return hsum_i32(acc);
}

/* Q3_K: q = low2 - 4, plus 4 where bit 4h + k of hmask[l] is set. */
static inline int simd_q3_K_isum(const block_q3_K *x, const int8_t sc[16], const block_q8_K *y)
{
    const v16u8 three = splat_u8(3), four = splat_u8(4), zero = splat_u8(0);
    v4i32 acc = vec_splats(0);
    for (int h = 0; h < 2; h++) {
        for (int c = 0; c < 2; c++) {
            const v16u8 q = ld_u8(x->qs + 32 * h + 16 * c);
            const v16u8 hm = ld_u8(x->hmask + 16 * c);
            for (int k = 0; k < 4; k++) {
                const int sb = 8 * h + 2 * k + c;
                const v16u8 low = vec_and(vec_sr(q, splat_u8(2u * (unsigned)k)), three);
                const v16u8 set = (v16u8)vec_cmpne(vec_and(hm, splat_u8(1u << (4 * h + k))), zero);
                const v16i8 w = vec_sub((v16i8)vec_or(low, vec_and(set, four)), (v16i8)four);
                const v4i32 d = p10_dot16(vec_splats(0), w, ld_i8(y->qs + 16 * sb));
                acc = vec_add(acc, vec_mul(d, vec_splats((int)sc[sb])));
            }
        }
    }
    return hsum_i32(acc);
}

static inline int simd_kq_min_term(const uint8_t m[8], const int16_t *bsums)
{
    int summ = 0;
    for (int j = 0; j < 8; j++) summ += m[j] * (bsums[2 * j] + bsums[2 * j + 1]);
    return summ;
}

/* sum_j sc[j] * <q_j, a_j> over a Q4_K / Q5_K super-block (qh NULL: Q4_K). */
static inline int simd_kq_isum(const uint8_t *qs, const uint8_t *qh, const uint8_t sc[8],
                               const int8_t *a)
{
    const v16u8 lo4 = splat_u8(0x0f), four = splat_u8(4), one = splat_u8(1);
    v16u8 h0 = splat_u8(0), h1 = h0;
    if (qh) {
        h0 = ld_u8(qh);
        h1 = ld_u8(qh + 16);
    }
    v4i32 acc = vec_splats(0);
    for (int g = 0; g < 4; g++) {
        const v16u8 q0 = ld_u8(qs + 32 * g), q1 = ld_u8(qs + 32 * g + 16);
        v16u8 l0 = vec_and(q0, lo4), l1 = vec_and(q1, lo4);
        v16u8 u0 = vec_sr(q0, four), u1 = vec_sr(q1, four);
        if (qh) {
            const v16u8 sl = splat_u8(2u * (unsigned)g), su = splat_u8(2u * (unsigned)g + 1);
            l0 = vec_or(l0, vec_sl(vec_and(vec_sr(h0, sl), one), four));
            l1 = vec_or(l1, vec_sl(vec_and(vec_sr(h1, sl), one), four));
            u0 = vec_or(u0, vec_sl(vec_and(vec_sr(h0, su), one), four));
            u1 = vec_or(u1, vec_sl(vec_and(vec_sr(h1, su), one), four));
        }
        const int8_t *ag = a + 64 * g;
        v4i32 dl = p10_dot16(vec_splats(0), (v16i8)l0, ld_i8(ag));
        dl = p10_dot16(dl, (v16i8)l1, ld_i8(ag + 16));
        v4i32 du = p10_dot16(vec_splats(0), (v16i8)u0, ld_i8(ag + 32));
        du = p10_dot16(du, (v16i8)u1, ld_i8(ag + 48));
        acc = vec_add(acc, vec_mul(dl, vec_splats((int)sc[2 * g])));
        acc = vec_add(acc, vec_mul(du, vec_splats((int)sc[2 * g + 1])));
    }
    return hsum_i32(acc);
}

/* Q6_K: in half h, 16-byte chunk c of ql/qh gives the quants of sub-blocks
 * 8h + c, 8h + 2 + c, 8h + 4 + c, 8h + 6 + c. */
static inline int simd_q6_K_isum(const block_q6_K *x, const block_q8_K *y)
{
    const v16u8 lo4 = splat_u8(0x0f), three = splat_u8(3), two = splat_u8(2);
    const v16u8 four = splat_u8(4), six = splat_u8(6);
    const v16i8 off = vec_splats((signed char)32);
    v4i32 acc = vec_splats(0);
    for (int h = 0; h < 2; h++) {
        for (int c = 0; c < 2; c++) {
            const v16u8 la = ld_u8(x->ql + 64 * h + 16 * c);
            const v16u8 lb = ld_u8(x->ql + 64 * h + 32 + 16 * c);
            const v16u8 hb = ld_u8(x->qh + 32 * h + 16 * c);
            v16u8 q[4];
            q[0] = vec_or(vec_and(la, lo4), vec_sl(vec_and(hb, three), four));
            q[1] = vec_or(vec_and(lb, lo4), vec_sl(vec_and(vec_sr(hb, two), three), four));
            q[2] = vec_or(vec_sr(la, four), vec_sl(vec_and(vec_sr(hb, four), three), four));
            q[3] = vec_or(vec_sr(lb, four), vec_sl(vec_sr(hb, six), four));
            for (int k = 0; k < 4; k++) {
                const int sb = 8 * h + 2 * k + c;
                const v16i8 w = vec_sub((v16i8)q[k], off);
                const v4i32 d = p10_dot16(vec_splats(0), w, ld_i8(y->qs + 16 * sb));
                acc = vec_add(acc, vec_mul(d, vec_splats((int)x->scales[sb])));
            }
        }
    }
    return hsum_i32(acc);
}

#include "block_loops.h"

/* --- matmul: MMA outer products for Q4_0 / Q8_0 -------------------------------
 *
 * xvi8ger4pp(acc, A, B) adds, for i, j in 0..3, the dot of A's 4-byte word
 * i (signed) with B's word j (unsigned) to acc[i][j]. A tile is 4 tokens
 * (A, signed Q8_0 activations) x 4 weight rows (B): per block, eight GERs
 * over the 32 elements give all 16 integer dots at once. B must be
 * unsigned: Q4_0's nibbles q are, so sum a*(q-8) = sum a*q - 8 sum a;
 * Q8_0's w become w + 128 (xor 0x80), so sum a*w = sum a*(w+128) - 128 sum a.
 * The float steps per block are vec_dot's, in its order (this file is
 * built without FP contraction, -std=c11), so each result has vec_dot's
 * exact bits whatever the batch; edge rows / tokens use vec_dot itself. */
typedef __vector unsigned int v4u32;
typedef __vector unsigned long long v2u64;

/* 4x4 transpose of 32-bit words: out[k] = word k of v0, v1, v2, v3. */
static inline void transpose4(v16u8 v0, v16u8 v1, v16u8 v2, v16u8 v3, v16u8 out[4])
{
    const v4u32 m01h = vec_mergeh((v4u32)v0, (v4u32)v1), m23h = vec_mergeh((v4u32)v2, (v4u32)v3);
    const v4u32 m01l = vec_mergel((v4u32)v0, (v4u32)v1), m23l = vec_mergel((v4u32)v2, (v4u32)v3);
    out[0] = (v16u8)vec_mergeh((v2u64)m01h, (v2u64)m23h);
    out[1] = (v16u8)vec_mergel((v2u64)m01h, (v2u64)m23h);
    out[2] = (v16u8)vec_mergeh((v2u64)m01l, (v2u64)m23l);
    out[3] = (v16u8)vec_mergel((v2u64)m01l, (v2u64)m23l);
}

/* The 32 quants of weight block b of row r as two unsigned vectors. */
static inline void weight_u8(uint32_t wtype, const char *row, int b, v16u8 *lo, v16u8 *hi)
{
    if (wtype == HONE_TYPE_Q4_0) {
        const v16u8 q = ld_u8(((const block_q4_0 *)row)[b].qs);
        *lo = vec_and(q, splat_u8(0x0f));
        *hi = vec_sr(q, splat_u8(4));
    } else {
        const block_q8_0 *w = (const block_q8_0 *)row + b;
        *lo = vec_xor(ld_u8((const uint8_t *)w->qs), splat_u8(0x80));
        *hi = vec_xor(ld_u8((const uint8_t *)w->qs + 16), splat_u8(0x80));
    }
}

static inline float weight_d(uint32_t wtype, const char *row, int b)
{
    return hone_gen_h2f(wtype == HONE_TYPE_Q4_0 ? ((const block_q4_0 *)row)[b].d
                                                : ((const block_q8_0 *)row)[b].d);
}

/* y[t][r] for 4 tokens (act rows a[0..3]) x 4 weight rows (w[0..3]). */
static void mma_tile(uint32_t wtype, const char *const w[4], const char *const a[4], int nb,
                     float *y, int ldy)
{
    const int comp = wtype == HONE_TYPE_Q4_0 ? 8 : 128;
    v4f32 f[4] = {vec_splats(0.0f), vec_splats(0.0f), vec_splats(0.0f), vec_splats(0.0f)};
    for (int b = 0; b < nb; b++) {
        const block_q8_0 *ab[4];
        v16u8 alo[4], ahi[4], wlo[4], whi[4], A[8], B[8];
        int suma[4];
        float dy[4];
        for (int i = 0; i < 4; i++) {
            ab[i] = (const block_q8_0 *)a[i] + b;
            alo[i] = ld_u8((const uint8_t *)ab[i]->qs);
            ahi[i] = ld_u8((const uint8_t *)ab[i]->qs + 16);
            suma[i] = hsum_i32(vec_sum4s((v16i8)ahi[i], vec_sum4s((v16i8)alo[i], vec_splats(0))));
            dy[i] = hone_gen_h2f(ab[i]->d);
            weight_u8(wtype, w[i], b, &wlo[i], &whi[i]);
        }
        transpose4(alo[0], alo[1], alo[2], alo[3], A);
        transpose4(ahi[0], ahi[1], ahi[2], ahi[3], A + 4);
        transpose4(wlo[0], wlo[1], wlo[2], wlo[3], B);
        transpose4(whi[0], whi[1], whi[2], whi[3], B + 4);
        __vector_quad acc;
        __builtin_mma_xxsetaccz(&acc);
        for (int k = 0; k < 8; k++) __builtin_mma_xvi8ger4pp(&acc, A[k], B[k]);
        v4i32 r[4];
        __builtin_mma_disassemble_acc(r, &acc);
        const v4f32 dx = {weight_d(wtype, w[0], b), weight_d(wtype, w[1], b),
                          weight_d(wtype, w[2], b), weight_d(wtype, w[3], b)};
        for (int i = 0; i < 4; i++) {
            const v4i32 sumi = vec_sub(r[i], vec_splats(comp * suma[i]));
            const v4f32 d = vec_mul(dx, vec_splats(dy[i]));
            f[i] = vec_add(f[i], vec_mul(vec_ctf(sumi, 0), d));
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) y[(size_t)i * (size_t)ldy + (size_t)j] = f[i][j];
}

/* Sub-block j (0..7) of a Q4_K / Q5_K super-block as 32 unsigned quants
 * 0..31: lo = elements 0..15, hi = 16..31 (layout in generic/kquants.c). */
static inline void kq_sub(const uint8_t *qs, const uint8_t *qh, int j, v16u8 *lo, v16u8 *hi)
{
    v16u8 v0 = ld_u8(qs + 32 * (j / 2)), v1 = ld_u8(qs + 32 * (j / 2) + 16);
    if (j & 1) {
        v0 = vec_sr(v0, splat_u8(4));
        v1 = vec_sr(v1, splat_u8(4));
    } else {
        v0 = vec_and(v0, splat_u8(0x0f));
        v1 = vec_and(v1, splat_u8(0x0f));
    }
    if (qh) {
        const v16u8 sh = splat_u8((unsigned)j), one = splat_u8(1), four = splat_u8(4);
        v0 = vec_or(v0, vec_sl(vec_and(vec_sr(ld_u8(qh), sh), one), four));
        v1 = vec_or(v1, vec_sl(vec_and(vec_sr(ld_u8(qh + 16), sh), one), four));
    }
    *lo = v0;
    *hi = v1;
}

/* 4 tokens x 4 rows of Q4_K / Q5_K: per sub-block of 32, eight GERs give
 * the 16 integer dots (quants 0..31 are unsigned: no correction), scaled
 * by each row's 6-bit scale into exact int32 sums; the min term and the
 * float steps are vec_dot's, lane by lane. */
static void mma_kq_tile(uint32_t wtype, const char *const w[4], const char *const a[4], int nb,
                        float *y, int ldy)
{
    v4f32 f[4] = {vec_splats(0.0f), vec_splats(0.0f), vec_splats(0.0f), vec_splats(0.0f)};
    for (int b = 0; b < nb; b++) {
        const uint8_t *qs[4], *qh[4];
        uint8_t sc[4][8], m[4][8];
        float d[4], dmin[4];
        const block_q8_K *ab[4];
        for (int i = 0; i < 4; i++) {
            blk_kq_header(wtype, w[i], b, &qs[i], &qh[i], sc[i], m[i], &d[i], &dmin[i]);
            ab[i] = (const block_q8_K *)a[i] + b;
        }
        v4i32 acc[4] = {vec_splats(0), vec_splats(0), vec_splats(0), vec_splats(0)};
        for (int j = 0; j < 8; j++) {
            v16u8 wl[4], wh[4], A[8], B[8];
            for (int i = 0; i < 4; i++) kq_sub(qs[i], qh[i], j, &wl[i], &wh[i]);
            transpose4(ld_u8((const uint8_t *)ab[0]->qs + 32 * j), ld_u8((const uint8_t *)ab[1]->qs + 32 * j),
                       ld_u8((const uint8_t *)ab[2]->qs + 32 * j), ld_u8((const uint8_t *)ab[3]->qs + 32 * j), A);
            transpose4(ld_u8((const uint8_t *)ab[0]->qs + 32 * j + 16),
                       ld_u8((const uint8_t *)ab[1]->qs + 32 * j + 16),
                       ld_u8((const uint8_t *)ab[2]->qs + 32 * j + 16),
                       ld_u8((const uint8_t *)ab[3]->qs + 32 * j + 16), A + 4);
            transpose4(wl[0], wl[1], wl[2], wl[3], B);
            transpose4(wh[0], wh[1], wh[2], wh[3], B + 4);
            __vector_quad q;
            __builtin_mma_xxsetaccz(&q);
            for (int k = 0; k < 8; k++) __builtin_mma_xvi8ger4pp(&q, A[k], B[k]);
            v4i32 r[4];
            __builtin_mma_disassemble_acc(r, &q);
            const v4i32 scv = {sc[0][j], sc[1][j], sc[2][j], sc[3][j]};
            for (int i = 0; i < 4; i++) acc[i] = vec_add(acc[i], vec_mul(r[i], scv));
        }
        for (int i = 0; i < 4; i++) {
            const float ad = ab[i]->d;
            const v4f32 dd = {d[0] * ad, d[1] * ad, d[2] * ad, d[3] * ad};
            const v4f32 mm = {dmin[0] * ad, dmin[1] * ad, dmin[2] * ad, dmin[3] * ad};
            const v4f32 sm = {(float)simd_kq_min_term(m[0], ab[i]->bsums), (float)simd_kq_min_term(m[1], ab[i]->bsums),
                              (float)simd_kq_min_term(m[2], ab[i]->bsums), (float)simd_kq_min_term(m[3], ab[i]->bsums)};
            f[i] = vec_add(f[i], vec_sub(vec_mul(dd, vec_ctf(acc[i], 0)), vec_mul(mm, sm)));
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) y[(size_t)i * (size_t)ldy + (size_t)j] = f[i][j];
}

/* The unsigned 6-bit quants (before - 32) of Q6_K sub-blocks 8h + 2k + c,
 * k = 0..3, of half h, chunk c, as in simd_q6_K_isum. */
static inline void q6_sub4(const block_q6_K *x, int h, int c, v16u8 out[4])
{
    const v16u8 lo4 = splat_u8(0x0f), three = splat_u8(3), two = splat_u8(2);
    const v16u8 four = splat_u8(4), six = splat_u8(6);
    const v16u8 la = ld_u8(x->ql + 64 * h + 16 * c);
    const v16u8 lb = ld_u8(x->ql + 64 * h + 32 + 16 * c);
    const v16u8 hb = ld_u8(x->qh + 32 * h + 16 * c);
    out[0] = vec_or(vec_and(la, lo4), vec_sl(vec_and(hb, three), four));
    out[1] = vec_or(vec_and(lb, lo4), vec_sl(vec_and(vec_sr(hb, two), three), four));
    out[2] = vec_or(vec_sr(la, four), vec_sl(vec_and(vec_sr(hb, four), three), four));
    out[3] = vec_or(vec_sr(lb, four), vec_sl(vec_sr(hb, six), four));
}

/* 4 tokens x 4 rows of Q6_K: per sub-block of 16, four GERs on the
 * unsigned quants u = q + 32; sum a*q = sum a*u - 32 * bsum (Q8_K's sum of
 * that sub-block's activations), times each row's scale: exact int32 sums,
 * then vec_dot's float step. */
static void mma_q6_tile(const char *const w[4], const char *const a[4], int nb, float *y, int ldy)
{
    v4f32 f[4] = {vec_splats(0.0f), vec_splats(0.0f), vec_splats(0.0f), vec_splats(0.0f)};
    for (int b = 0; b < nb; b++) {
        const block_q6_K *x[4];
        const block_q8_K *ab[4];
        for (int i = 0; i < 4; i++) {
            x[i] = (const block_q6_K *)w[i] + b;
            ab[i] = (const block_q8_K *)a[i] + b;
        }
        v4i32 acc[4] = {vec_splats(0), vec_splats(0), vec_splats(0), vec_splats(0)};
        for (int h = 0; h < 2; h++) {
            for (int c = 0; c < 2; c++) {
                v16u8 wq[4][4];
                for (int i = 0; i < 4; i++) q6_sub4(x[i], h, c, wq[i]);
                for (int k = 0; k < 4; k++) {
                    const int sb = 8 * h + 2 * k + c;
                    v16u8 A[4], B[4];
                    transpose4(ld_u8((const uint8_t *)ab[0]->qs + 16 * sb),
                               ld_u8((const uint8_t *)ab[1]->qs + 16 * sb),
                               ld_u8((const uint8_t *)ab[2]->qs + 16 * sb),
                               ld_u8((const uint8_t *)ab[3]->qs + 16 * sb), A);
                    transpose4(wq[0][k], wq[1][k], wq[2][k], wq[3][k], B);
                    __vector_quad q;
                    __builtin_mma_xxsetaccz(&q);
                    for (int m = 0; m < 4; m++) __builtin_mma_xvi8ger4pp(&q, A[m], B[m]);
                    v4i32 r[4];
                    __builtin_mma_disassemble_acc(r, &q);
                    const v4i32 scv = {x[0]->scales[sb], x[1]->scales[sb], x[2]->scales[sb],
                                       x[3]->scales[sb]};
                    for (int i = 0; i < 4; i++) {
                        const v4i32 dot = vec_sub(r[i], vec_splats(32 * (int)ab[i]->bsums[sb]));
                        acc[i] = vec_add(acc[i], vec_mul(dot, scv));
                    }
                }
            }
        }
        for (int i = 0; i < 4; i++) {
            const float ad = ab[i]->d;
            const v4f32 dd = {hone_gen_h2f(x[0]->d) * ad, hone_gen_h2f(x[1]->d) * ad,
                              hone_gen_h2f(x[2]->d) * ad, hone_gen_h2f(x[3]->d) * ad};
            f[i] = vec_add(f[i], vec_mul(dd, vec_ctf(acc[i], 0)));
        }
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) y[(size_t)i * (size_t)ldy + (size_t)j] = f[i][j];
}

/* The tile of wtype for tile4x4.h's driver (only types it tiles get here). */
static void p10_tile(uint32_t wtype, const char *const w[4], const char *const a[4], int n,
                     float *y, int ldy)
{
    if (wtype == HONE_TYPE_Q6_K)
        mma_q6_tile(w, a, n / QK_K, y, ldy);
    else if (wtype == HONE_TYPE_Q4_K || wtype == HONE_TYPE_Q5_K)
        mma_kq_tile(wtype, w, a, n / QK_K, y, ldy);
    else
        mma_tile(wtype, w, a, n / QK8_0, y, ldy);
}

static void p10_matmul(const hone_kernels *k, uint32_t wtype, const void *w, size_t w_row_bytes,
                       const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                       float *y, int ldy)
{
    hone_tile4x4_matmul(p10_tile, k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok,
                        y, ldy);
}

/* --- the table --------------------------------------------------------------- */

/* What this file vectorizes; the rest is generic's (table.h). */
static hone_kernels_slot P10 = {
    .own = {
        .name = "power10",
        .type = {
            [HONE_TYPE_F32] = {.vec_dot = p10_vec_dot_f32},
            [HONE_TYPE_F16] = {.vec_dot = p10_vec_dot_f16},
            [HONE_TYPE_BF16] = {.vec_dot = p10_vec_dot_bf16},
            BLK_TYPE_ENTRIES(p10_q8_0_from_float, p10_q8_K_from_float),
        },
        .matmul = p10_matmul, /* MMA tiles for Q4_0/Q8_0/Q4_K/Q5_K/Q6_K, else generic's loop */
        .f32_lanes = 4, /* llama.cpp's GGML_F32_EPR here (flash attention) */
    },
};

const hone_kernels *hone_kernels_power10(void)
{
    return hone_kernels_complete(&P10);
}
