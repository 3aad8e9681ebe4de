/* body256.h — the x86 kernels every x86 set shares, on 256-bit vectors,
 * written once and compiled per ISA: avx2.c builds them with
 * AVX2+FMA+F16C, avx512.c with AVX-512 VL + VNNI on top (HONE_X86_VNNI),
 * where each u8*s8 or s16*s16 multiply-add-accumulate step becomes one
 * vpdpbusd / vpdpwssd. Here: the converters and activation quantizers,
 * the one-row (and few-token group) dot kernels of every type, the
 * rows-in-lanes helpers the sets' own matmul paths use, the group matmul
 * they all end in (x86_matmul_rows), rmsnorm / softmax / silu_mul and the
 * table entries (X86_OWN). Each set's own matmul paths live in its own
 * header: x86/tiles16_vnni.h, dec_k_avx512.h, f16_avx512.h (avx512),
 * x86/rows8_avx2.h, tiles8_k_avx2.h, f16_avx2.h (avx2).
 *
 * Over 1,000 lines because it is one unit: every kernel here is built by
 * both sets, and the float steps of the one-row kernels are the contract
 * the sets' matmul paths keep (bit-identical to vec_dot per row, token);
 * split further it would only scatter those steps across headers.
 *
 * Included only by avx2.c and avx512.c; everything here is static, so each
 * includer gets its own copy built with its own flags. The conversions and
 * quantizers give bit-identical results to kernels/generic (same operations
 * in the same order); the dot products differ from it only in float
 * summation order. */
#ifndef HONE_X86_BODY256_H
#define HONE_X86_BODY256_H

#include "generic/generic.h"
#include "x86/prefetch.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

/* For the kernels written once for several element types or row counts:
 * inlined into each instance, so those are compile-time constants there
 * (per-token arrays stay in registers, the type branches fold away). */
#define X86_INLINE static inline __attribute__((always_inline))

/* --- helpers ----------------------------------------------------------- */

static inline float h2f(hone_half h)
{
    return _cvtsh_ss(h);
}

static inline float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 1));
    return _mm_cvtsi128_si32(s);
}

/* acc + (each int32 lane: sum of its 4 u8*s8 products). Callers keep every
 * pair sum within int16 (maddubs saturates there; vpdpbusd does not), which
 * every quant range used here does. */
static inline __m256i dot_u8s8_acc(__m256i acc, __m256i u, __m256i s)
{
#if defined(HONE_X86_VNNI)
    return _mm256_dpbusd_epi32(acc, u, s);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s),
                                                   _mm256_set1_epi16(1)));
#endif
}

/* acc + (each int32 lane: a16[2i]*b16[2i] + a16[2i+1]*b16[2i+1]). */
static inline __m256i madd16_acc(__m256i acc, __m256i a, __m256i b)
{
#if defined(HONE_X86_VNNI)
    return _mm256_dpwssd_epi32(acc, a, b);
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b));
#endif
}

/* Signed bytes x * y, 4 per int32 lane (sign moved onto y so x is >= 0;
 * x = -128 works as |x| = 128 unsigned). */
static inline __m256i dot_s8s8(__m256i x, __m256i y)
{
    return dot_u8s8_acc(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

static inline __m256 load_f16x8(const uint16_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

static inline __m256 load_bf16x8(const uint16_t *p)
{
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

/* --- plain float types ------------------------------------------------- */

static void x86_f16_to_float(const void *vx, float *y, int64_t n)
{
    const uint16_t *x = vx;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_f16x8(x + i));
    for (; i < n; i++) y[i] = hone_f16_to_f32(x[i]);
}

static void x86_f16_from_float(const float *x, void *vy, int64_t n)
{
    uint16_t *y = vy;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = hone_f32_to_f16(x[i]);
}

static void x86_bf16_to_float(const void *vx, float *y, int64_t n)
{
    const uint16_t *x = vx;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, load_bf16x8(x + i));
    for (; i < n; i++) y[i] = hone_bf16_to_f32(x[i]);
}

/* Same rounding as hone_f32_to_bf16: nearest-even, NaN made quiet. */
static void x86_bf16_from_float(const float *x, void *vy, int64_t n)
{
    uint16_t *y = vy;
    int64_t i = 0;
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff);
    const __m256i inf = _mm256_set1_epi32(0x7f800000);
    for (; i + 8 <= n; i += 8) {
        const __m256i u = _mm256_castps_si256(_mm256_loadu_ps(x + i));
        const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, abs_mask), inf);
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        const __m256i bias = _mm256_add_epi32(_mm256_set1_epi32(0x7fff), odd);
        const __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, bias), 16);
        const __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        const __m256i v = _mm256_blendv_epi8(r, q, is_nan);
        _mm_storeu_si128((__m128i *)(y + i), _mm_packus_epi32(_mm256_castsi256_si128(v),
                                                              _mm256_extracti128_si256(v, 1)));
    }
    for (; i < n; i++) y[i] = hone_f32_to_bf16(x[i]);
}

/* F32 dot: four independent 8-lane FMA chains hide the FMA latency. (F16
 * and BF16 rows have their own kernels: f16_avx2.h, f16_avx512.h.) */
static void x86_vec_dot_f32(int n, float *s, const void *vx, const void *vy)
{
    const float *x = vx, *y = vy;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    float sum = hsum_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) sum += x[i] * y[i];
    *s = sum;
}

/* --- activation quantizers (bit-identical to generic) ------------------ */

static inline float hmax_ps(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* 32 int32 (four vectors, in order) to 32 int8, saturating. */
static inline __m256i pack_i32x32(__m256i i0, __m256i i1, __m256i i2, __m256i i3)
{
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
    /* the packs work per 128-bit lane; this puts the dwords back in order */
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

static inline __m256i round_i32(__m256 v)
{
    return _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

static void x86_q8_0_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_0 *y = vy;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK8_0; i++, x += QK8_0) {
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[k]));
        }
        const float am = hmax_ps(amax);
        const float id = am != 0.0f ? 127.0f / am : 0.0f;
        y[i].d = hone_f32_to_f16(am / 127.0f);
        const __m256 mul = _mm256_set1_ps(id);
        const __m256i q = pack_i32x32(round_i32(_mm256_mul_ps(v[0], mul)), round_i32(_mm256_mul_ps(v[1], mul)),
                                      round_i32(_mm256_mul_ps(v[2], mul)), round_i32(_mm256_mul_ps(v[3], mul)));
        _mm256_storeu_si256((__m256i *)y[i].qs, q);
    }
}

static void x86_q8_K_from_float(const float *x, void *vy, int64_t n)
{
    block_q8_K *y = vy;
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / QK_K; i++, x += QK_K) {
        __m256 am = _mm256_setzero_ps();
        for (int j = 0; j < QK_K; j += 8) am = _mm256_max_ps(am, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
        const float amax = hmax_ps(am);
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        float max = 0.0f; /* the first element of largest magnitude, as generic */
        const __m256 target = _mm256_set1_ps(amax);
        for (int j = 0; j < QK_K; j += 8) {
            const __m256 a = _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j));
            const int hit = _mm256_movemask_ps(_mm256_cmp_ps(a, target, _CMP_EQ_OQ));
            if (hit) {
                max = x[j + __builtin_ctz((unsigned)hit)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 mul = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127);
        for (int j = 0; j < QK_K; j += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; k++)
                q[k] = _mm256_min_epi32(round_i32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8 * k), mul)), top);
            y[i].bsums[j / 16] = (int16_t)hsum_epi32(_mm256_add_epi32(q[0], q[1]));
            y[i].bsums[j / 16 + 1] = (int16_t)hsum_epi32(_mm256_add_epi32(q[2], q[3]));
            _mm256_storeu_si256((__m256i *)(y[i].qs + j), pack_i32x32(q[0], q[1], q[2], q[3]));
        }
        y[i].d = 1.0f / iscale;
    }
}

/* --- quantized dot products: one weight row against 1..X86_MAX_NT rows --
 *
 * Each *_multi kernel unpacks a weight block once and uses it for nt
 * activation rows (prompt processing reuses the unpacking work and the
 * loaded weights). vec_dot is the nt = 1 instance of the same code, so a
 * token's result is bit-identical whether it is computed alone or in a
 * batch. nt is a compile-time constant in every instance (always_inline),
 * so the per-token arrays live in registers. */

/* Activation rows per group: the includer may raise it (AVX-512 has 32
 * vector registers, room for 8 rows' accumulators). */
#ifndef X86_MAX_NT
#define X86_MAX_NT 4
#endif

/* Activation block scales of the Q8_0 / Q8_1 rows, converted to float once
 * by matmul and shared by every weight row (NULL: each kernel converts
 * them itself, to the same floats). d[t][i] is row t's block i scale, s its
 * Q8_1 sum term. */
typedef struct {
    const float *d[X86_MAX_NT];
    const float *s[X86_MAX_NT];
} x86_act_scales;

/* One 32-element block of weights (as |x| and x, for the sign trick)
 * against the matching block of nt Q8_0 rows, into acc[0..nt). */
X86_INLINE void q8_block_step(__m256i ax, __m256i xq, float dx, const void *const *vy, int i,
                              __m256 *acc, int nt, const x86_act_scales *as)
{
    const __m256 dxv = _mm256_set1_ps(dx);
    for (int t = 0; t < nt; t++) {
        const block_q8_0 *y = (const block_q8_0 *)vy[t] + i;
        const __m256i yq = _mm256_loadu_si256((const __m256i *)y->qs);
        const __m256i p = dot_u8s8_acc(_mm256_setzero_si256(), ax, _mm256_sign_epi8(yq, xq));
        const __m256 dy = as ? _mm256_broadcast_ss(&as->d[t][i]) : _mm256_set1_ps(h2f(y->d));
        acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(p), dxv), dy, acc[t]);
    }
}

/* q4_0 block i as signed bytes in element order: low nibbles are
 * elements 0..15, high nibbles 16..31, both stored + 8. */
X86_INLINE __m256i q4_0_bytes(const block_q4_0 *b)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    const __m256i u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
    return _mm256_sub_epi8(u, _mm256_set1_epi8(8));
}

/* matmul multiplies Q4_0 / Q8_0 weights with rows in vector lanes (16-row
 * tiles with VNNI, x86/tiles16_vnni.h; 8-row tiles and 8-row decode groups
 * on AVX2, x86/rows8_avx2.h), which sums each block exactly in integers before
 * any float math. For batch invariance the one-row kernels do the same
 * float steps per (row, token): acc += float(isum_b) * (dx_b * dy_b) as one
 * fma, even blocks into acc0 and odd into acc1, result acc0 + acc1. Eight
 * blocks' integer sums are reduced together (one tree, lanes = blocks) so
 * the per-block cost stays low. */
X86_INLINE __m256i hsum8_epi32(const __m256i v[8])
{
    const __m256i a0 = _mm256_hadd_epi32(v[0], v[1]), a1 = _mm256_hadd_epi32(v[2], v[3]);
    const __m256i a2 = _mm256_hadd_epi32(v[4], v[5]), a3 = _mm256_hadd_epi32(v[6], v[7]);
    const __m256i b0 = _mm256_hadd_epi32(a0, a1), b1 = _mm256_hadd_epi32(a2, a3);
    return _mm256_add_epi32(_mm256_permute2x128_si256(b0, b1, 0x20),
                            _mm256_permute2x128_si256(b0, b1, 0x31));
}

X86_INLINE float q8_isum(__m256i ax, __m256i xq, const block_q8_0 *y)
{
    const __m256i yq = _mm256_loadu_si256((const __m256i *)y->qs);
    return (float)hsum_epi32(dot_u8s8_acc(_mm256_setzero_si256(), ax, _mm256_sign_epi8(yq, xq)));
}

/* 8 rows of 8 dwords -> 8 vectors holding dword k of each row. */
static inline void transpose8_epi32(__m256i r[8])
{
    __m256i t[8], u[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        u[4 * h + 0] = _mm256_unpacklo_epi64(t[4 * h], t[4 * h + 2]);
        u[4 * h + 1] = _mm256_unpackhi_epi64(t[4 * h], t[4 * h + 2]);
        u[4 * h + 2] = _mm256_unpacklo_epi64(t[4 * h + 1], t[4 * h + 3]);
        u[4 * h + 3] = _mm256_unpackhi_epi64(t[4 * h + 1], t[4 * h + 3]);
    }
    for (int k = 0; k < 4; k++) {
        r[k] = _mm256_permute2x128_si256(u[k], u[4 + k], 0x20);
        r[k + 4] = _mm256_permute2x128_si256(u[k], u[4 + k], 0x31);
    }
}

/* Keeps a running integer sum in program order: GCC reassociates a chain
 * of integer vector adds into a tree, computing every product first, and
 * with AVX2's 16 registers stores them to the stack (rows8_avx2.h's tile
 * step: 352 ymm stack accesses, 19 with this). An empty asm the value
 * passes through, in a register: no instruction, the same sums. */
#define X86_IN_ORDER(v) __asm__("" : "+x"(v))

/* 8x8 float transpose: out[j] lane i = in[i] lane j. */
X86_INLINE void x86_tr8(__m256 *r)
{
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int h = 0; h < 2; h++) {
        const __m256 *q = t + 4 * h;
        s[4 * h + 0] = _mm256_shuffle_ps(q[0], q[2], 0x44);
        s[4 * h + 1] = _mm256_shuffle_ps(q[0], q[2], 0xEE);
        s[4 * h + 2] = _mm256_shuffle_ps(q[1], q[3], 0x44);
        s[4 * h + 3] = _mm256_shuffle_ps(q[1], q[3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        r[j] = _mm256_permute2f128_ps(s[j], s[j + 4], 0x20);
        r[j + 4] = _mm256_permute2f128_ps(s[j], s[j + 4], 0x31);
    }
}


/* The float steps of the one-token Q4_0 / Q8_0 decode rows (tiles16_vnni.h,
 * rows8_avx2.h), which read 8 rows one after the other and keep per step
 * of 8 blocks a vector per row of block sums fs and scale products ps
 * (lanes: blocks b..b+7, or with halves b, b+2, b+4, b+6, b+1, b+3, b+5,
 * b+7): rows into lanes, then acc0 over the even blocks and acc1 over the
 * odd, in block order; acc0 + acc1 is the 8 rows' results. */
X86_INLINE __m256 x86_rows8_chains(__m256 (*fs)[8], __m256 (*ps)[8], int steps, bool halves)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int s = 0; s < steps; s++) {
        __m256 f[8], p[8];
        for (int i = 0; i < 8; i++) f[i] = fs[s][i], p[i] = ps[s][i];
        x86_tr8(f);
        x86_tr8(p);
        for (int j = 0; j < 4; j++) {
            const int e = halves ? j : 2 * j, o = halves ? 4 + j : 2 * j + 1;
            acc0 = _mm256_fmadd_ps(f[e], p[e], acc0);
            acc1 = _mm256_fmadd_ps(f[o], p[o], acc1);
        }
    }
    return _mm256_add_ps(acc0, acc1);
}

/* 32 nibbles in element order (low nibbles 0..15, high 16..31). */
X86_INLINE __m256i nibbles32(const uint8_t *qs)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
}

/* 0x10 in byte j where bit j of the 32-bit qh is set. */
X86_INLINE __m256i fifth_bits(const uint8_t *qh4)
{
    uint32_t qh;
    memcpy(&qh, qh4, 4);
    /* byte j of the vector <- byte j / 8 of qh, then test bit j % 8 */
    const __m256i rep = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh),
                                            _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                             2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(rep, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

/* q5_0 block as signed bytes: q4_0's nibbles plus bit j of qh as the
 * 5th bit of element j, stored + 16. */
X86_INLINE __m256i q5_0_bytes(const block_q5_0 *b)
{
    return _mm256_sub_epi8(_mm256_or_si256(nibbles32(b->qs), fifth_bits(b->qh)), _mm256_set1_epi8(16));
}

/* Q4_1 / Q5_1 weights (x = d*q + m, q unsigned) against Q8_1 rows:
 * d*dy*sum(q*a) per block in the vector accumulators, m*s (s = dy*sum(a),
 * precomputed by Q8_1) in a scalar one per row. */
X86_INLINE void q8_1_block_step(__m256i xu, float dx, float mx, const void *const *vy, int i,
                                __m256 *acc, float *msum, int nt, const x86_act_scales *as)
{
    const __m256 dxv = _mm256_set1_ps(dx);
    for (int t = 0; t < nt; t++) {
        const block_q8_1 *y = (const block_q8_1 *)vy[t] + i;
        const __m256i p = dot_u8s8_acc(_mm256_setzero_si256(), xu, _mm256_loadu_si256((const __m256i *)y->qs));
        const __m256 dy = as ? _mm256_broadcast_ss(&as->d[t][i]) : _mm256_set1_ps(h2f(y->d));
        acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(p), dxv), dy, acc[t]);
        msum[t] += mx * (as ? as->s[t][i] : h2f(y->s));
    }
}

/* Block j of a Q4_1 / Q5_1 row (wtype) as unsigned bytes in element order,
 * its scale d and its min m. */
X86_INLINE __m256i q8_1f_bytes(uint32_t wtype, const void *vx, int j)
{
    if (wtype == HONE_TYPE_Q4_1) return nibbles32(((const block_q4_1 *)vx)[j].qs);
    const block_q5_1 *x = (const block_q5_1 *)vx + j;
    return _mm256_or_si256(nibbles32(x->qs), fifth_bits(x->qh));
}

X86_INLINE float q8_1f_d(uint32_t wtype, const void *vx, int j)
{
    return h2f(wtype == HONE_TYPE_Q4_1 ? ((const block_q4_1 *)vx)[j].d : ((const block_q5_1 *)vx)[j].d);
}

X86_INLINE float q8_1f_m(uint32_t wtype, const void *vx, int j)
{
    return h2f(wtype == HONE_TYPE_Q4_1 ? ((const block_q4_1 *)vx)[j].m : ((const block_q5_1 *)vx)[j].m);
}

/* Q4_1 / Q5_1 (wtype, a constant in every instance) against nt Q8_1 rows:
 * even blocks into acc0, odd into acc1. */
X86_INLINE void q8_1_family_multi(uint32_t wtype, int n, const void *vx, const void *const *vy,
                                  float *s, int nt, const x86_act_scales *as)
{
    __m256 acc0[X86_MAX_NT], acc1[X86_MAX_NT];
    float msum[X86_MAX_NT];
    for (int t = 0; t < nt; t++) {
        acc0[t] = acc1[t] = _mm256_setzero_ps();
        msum[t] = 0.0f;
    }
    const int nb = n / 32;
    int i = 0;
    for (; i + 2 <= nb; i += 2) {
        q8_1_block_step(q8_1f_bytes(wtype, vx, i), q8_1f_d(wtype, vx, i), q8_1f_m(wtype, vx, i), vy, i, acc0, msum, nt, as);
        q8_1_block_step(q8_1f_bytes(wtype, vx, i + 1), q8_1f_d(wtype, vx, i + 1), q8_1f_m(wtype, vx, i + 1), vy, i + 1, acc1, msum, nt, as);
    }
    if (i < nb) q8_1_block_step(q8_1f_bytes(wtype, vx, i), q8_1f_d(wtype, vx, i), q8_1f_m(wtype, vx, i), vy, i, acc0, msum, nt, as);
    for (int t = 0; t < nt; t++) s[t] = hsum_ps(_mm256_add_ps(acc0[t], acc1[t])) + msum[t];
}

X86_INLINE void q4_1_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    q8_1_family_multi(HONE_TYPE_Q4_1, n, vx, vy, s, nt, as);
}

X86_INLINE void q5_1_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    q8_1_family_multi(HONE_TYPE_Q5_1, n, vx, vy, s, nt, as);
}

/* Block j of a Q4_0 / Q5_0 / Q8_0 row (wtype) as signed bytes in element
 * order, and its scale. */
X86_INLINE __m256i q8f_bytes(uint32_t wtype, const void *vx, int j)
{
    if (wtype == HONE_TYPE_Q4_0) return q4_0_bytes((const block_q4_0 *)vx + j);
    if (wtype == HONE_TYPE_Q5_0) return q5_0_bytes((const block_q5_0 *)vx + j);
    return _mm256_loadu_si256((const __m256i *)((const block_q8_0 *)vx)[j].qs);
}

X86_INLINE float q8f_d(uint32_t wtype, const void *vx, int j)
{
    if (wtype == HONE_TYPE_Q4_0) return h2f(((const block_q4_0 *)vx)[j].d);
    if (wtype == HONE_TYPE_Q5_0) return h2f(((const block_q5_0 *)vx)[j].d);
    return h2f(((const block_q8_0 *)vx)[j].d);
}

/* Q4_0 / Q5_0 / Q8_0 (wtype, a constant in every instance) against nt
 * Q8_0 rows, with the float steps described above hsum8_epi32. */
X86_INLINE void q8_family_multi(uint32_t wtype, int n, const void *vx, const void *const *vy,
                                float *s, int nt, const x86_act_scales *as)
{
    float acc0[X86_MAX_NT], acc1[X86_MAX_NT];
    for (int t = 0; t < nt; t++) acc0[t] = acc1[t] = 0.0f;
    const int nb = n / QK8_0;
    int i = 0;
    for (; i + 8 <= nb; i += 8) {
        __m256i ax[8], xq[8];
        float dxs[8];
        for (int j = 0; j < 8; j++) {
            xq[j] = q8f_bytes(wtype, vx, i + j);
            ax[j] = _mm256_sign_epi8(xq[j], xq[j]);
            dxs[j] = q8f_d(wtype, vx, i + j);
        }
        const __m256 dxv = _mm256_loadu_ps(dxs);
        for (int t = 0; t < nt; t++) {
            const block_q8_0 *y = (const block_q8_0 *)vy[t] + i;
            __m256i p[8];
            float dys[8], fs[8], ps[8];
            for (int j = 0; j < 8; j++) {
                const __m256i yq = _mm256_loadu_si256((const __m256i *)y[j].qs);
                p[j] = dot_u8s8_acc(_mm256_setzero_si256(), ax[j], _mm256_sign_epi8(yq, xq[j]));
                dys[j] = as ? as->d[t][i + j] : h2f(y[j].d);
            }
            _mm256_storeu_ps(fs, _mm256_cvtepi32_ps(hsum8_epi32(p)));
            _mm256_storeu_ps(ps, _mm256_mul_ps(dxv, _mm256_loadu_ps(dys)));
            for (int j = 0; j < 8; j += 2) {
                acc0[t] = fmaf(fs[j], ps[j], acc0[t]);
                acc1[t] = fmaf(fs[j + 1], ps[j + 1], acc1[t]);
            }
        }
    }
    for (; i < nb; i++) {
        const __m256i x0 = q8f_bytes(wtype, vx, i), a0 = _mm256_sign_epi8(x0, x0);
        const float dx = q8f_d(wtype, vx, i);
        for (int t = 0; t < nt; t++) {
            const block_q8_0 *y = (const block_q8_0 *)vy[t] + i;
            const float dy = as ? as->d[t][i] : h2f(y->d);
            float *acc = (i & 1) ? &acc1[t] : &acc0[t];
            *acc = fmaf(q8_isum(a0, x0, y), dx * dy, *acc);
        }
    }
    for (int t = 0; t < nt; t++) s[t] = acc0[t] + acc1[t];
}

X86_INLINE void q5_0_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    q8_family_multi(HONE_TYPE_Q5_0, n, vx, vy, s, nt, as);
}

X86_INLINE void q4_0_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    q8_family_multi(HONE_TYPE_Q4_0, n, vx, vy, s, nt, as);
}

X86_INLINE void q8_0_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    q8_family_multi(HONE_TYPE_Q8_0, n, vx, vy, s, nt, as);
}

/* The 8 six-bit scales and mins of a q4_K / q5_K block as 8 bytes each,
 * low sub-blocks in [0], high in [1] (see hone_kquant_scale_min). */
static inline void kquant_scales(const uint8_t *packed, uint32_t sc[2], uint32_t m[2])
{
    uint32_t u[3];
    memcpy(u, packed, 12);
    sc[0] = u[0] & 0x3f3f3f3fu;
    m[0] = u[1] & 0x3f3f3f3fu;
    sc[1] = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 6) & 0x03030303u) << 4;
    m[1] = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 6) & 0x03030303u) << 4;
}

/* For the K-quant tiles' packing: super-block at `at` of rows p[0..nr)
 * (Q4_K / Q5_K, which share d, dmin and scales), per row its 8 scales and
 * 8 mins as bytes of one qword each (kquant_scales' [0] low, [1] high) and
 * its d and dmin as stored. */
static inline void kquant_rows_scales(const char *const *p, int nr, size_t at, uint64_t *scq, uint64_t *mq,
                                      uint16_t *dh, uint16_t *mh)
{
    for (int r = 0; r < nr; r++) {
        uint32_t s2[2], m2[2];
        kquant_scales((const uint8_t *)p[r] + at + offsetof(block_q5_K, scales), s2, m2);
        scq[r] = (uint64_t)s2[0] | (uint64_t)s2[1] << 32;
        mq[r] = (uint64_t)m2[0] | (uint64_t)m2[1] << 32;
        memcpy(&dh[r], p[r] + at + offsetof(block_q5_K, d), 2);
        memcpy(&mh[r], p[r] + at + offsetof(block_q5_K, dmin), 2);
    }
}

/* Broadcast 16-bit element k of each 128-bit lane to the whole lane. */
static inline __m256i bcast16(__m256i v, int k)
{
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)((2 * k + 1) << 8 | 2 * k)));
}

#if defined(HONE_X86_VNNI)
/* For packs_epi32(p0, p1) of two sub-blocks' dpbusd sums: in each 128-bit
 * lane four int16 of sub-block 2g then four of 2g + 1, so the pattern is
 * scale 2g four times, then scale 2g + 1 four times. */
static inline __m256i kquant_scale_pair16(__m256i sc16, int g)
{
    const char a = (char)(4 * g), b = (char)(4 * g + 2);
    const __m128i m = _mm_setr_epi8(a, (char)(a + 1), a, (char)(a + 1), a, (char)(a + 1), a, (char)(a + 1),
                                    b, (char)(b + 1), b, (char)(b + 1), b, (char)(b + 1), b, (char)(b + 1));
    return _mm256_shuffle_epi8(sc16, _mm256_broadcastsi128_si256(m));
}
#endif

/* q4_K and q5_K (has_qh): per super-block, the 8 sub-block dots are exact
 * integers weighted by the 6-bit scales; the mins term uses the Q8_K group
 * sums. Both terms are added to one float accumulator per row, which starts
 * at init (q45_K_one continues one for an odd last super-block). */
X86_INLINE void q45_K_multi(int n, const uint8_t *base, size_t bsize, int has_qh,
                            const void *const *vy, float *s, int nt, float init)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    float sacc[X86_MAX_NT];
    for (int t = 0; t < nt; t++) sacc[t] = init;
    for (int i = 0; i < n / QK_K; i++) {
        /* q4_K and q5_K share d, dmin, scales; q5_K has qh before qs */
        const uint8_t *b = base + (size_t)i * bsize;
        const uint8_t *qs = b + offsetof(block_q5_K, qh) + (has_qh ? QK_K / 8 : 0);
        hone_half d16, dmin16;
        memcpy(&d16, b + offsetof(block_q5_K, d), 2);
        memcpy(&dmin16, b + offsetof(block_q5_K, dmin), 2);
        uint32_t sc[2], m[2];
        kquant_scales(b + offsetof(block_q5_K, scales), sc, m);
        const __m128i m8 = _mm_set_epi32(0, 0, (int)m[1], (int)m[0]);
        /* each min twice, matching the pairs of 16-element group sums */
        const __m256i m16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m8, m8));
        const __m256i sc16 = _mm256_broadcastsi128_si256(
            _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)sc[1], (int)sc[0])));
        const float dx = h2f(d16), mx = -h2f(dmin16);
        const __m256i qh = has_qh ? _mm256_loadu_si256((const __m256i *)(b + offsetof(block_q5_K, qh)))
                                  : _mm256_setzero_si256();
        __m256i sumi[X86_MAX_NT];
        for (int t = 0; t < nt; t++) sumi[t] = _mm256_setzero_si256();
        for (int g = 0; g < 4; g++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * g));
            __m256i lo = _mm256_and_si256(q, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            if (has_qh) {
                /* 5th bits: bit 2g of qh[l] for the low nibbles, 2g+1 for the high */
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g + 1), one), 4));
            }
#if defined(HONE_X86_VNNI)
            /* one vpdpbusd per sub-block (|lane| <= 4*31*127 fits int16),
             * both packed to int16 and weighted by their scales in one
             * vpdpwssd: 3 multiplies per 64 elements instead of 4 */
            const __m256i sp = kquant_scale_pair16(sc16, g);
            for (int t = 0; t < nt; t++) {
                const int8_t *a = ((const block_q8_K *)vy[t] + i)->qs + 64 * g;
                const __m256i p0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, _mm256_loadu_si256((const __m256i *)a));
                const __m256i p1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), hi, _mm256_loadu_si256((const __m256i *)(a + 32)));
                sumi[t] = _mm256_dpwssd_epi32(sumi[t], _mm256_packs_epi32(p0, p1), sp);
            }
#else
            const __m256i s0 = bcast16(sc16, 2 * g), s1 = bcast16(sc16, 2 * g + 1);
            for (int t = 0; t < nt; t++) {
                const int8_t *a = ((const block_q8_K *)vy[t] + i)->qs + 64 * g;
                sumi[t] = madd16_acc(sumi[t], _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)a)), s0);
                sumi[t] = madd16_acc(sumi[t], _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a + 32))), s1);
                X86_IN_ORDER(sumi[t]);
            }
#endif
        }
        /* the super-block's exact integer sums, then v = mx * msum + dx *
         * isum, acc += dy * v per row (x86_tile_k4's and the AVX2 tiles'
         * order, so the tiles give vec_dot's bits) */
        for (int t = 0; t < nt; t++) {
            const block_q8_K *y = (const block_q8_K *)vy[t] + i;
            const __m256i pm = _mm256_madd_epi16(m16, _mm256_loadu_si256((const __m256i *)y->bsums));
            __m256i h = _mm256_hadd_epi32(sumi[t], pm);
            h = _mm256_hadd_epi32(h, h);
            const __m128i q = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
            const float v = fmaf(mx, (float)_mm_extract_epi32(q, 1), dx * (float)_mm_cvtsi128_si32(q));
            sacc[t] = fmaf(y->d, v, sacc[t]);
        }
    }
    for (int t = 0; t < nt; t++) s[t] = sacc[t];
}

/* kquant_scales for two blocks at once, raw holding 16 bytes at each
 * one's scales (low lane: the first): per 128-bit lane, bytes 0..7 the
 * 8 scales, 8..15 the 8 mins. */
static inline __m256i kquant_scales2(__m256i raw)
{
    /* per lane, dwords u0 | u2 | u1 | u2 and 0 | u0 | 0 | u1 */
    const __m256i a = _mm256_shuffle_epi8(raw, _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11)));
    const __m256i b = _mm256_shuffle_epi8(raw, _mm256_broadcastsi128_si256(_mm_setr_epi8(-1, -1, -1, -1, 0, 1, 2, 3, -1, -1, -1, -1, 4, 5, 6, 7)));
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(a, _mm256_setr_epi32(0, 0, 0, 4, 0, 0, 0, 4)),
                                        _mm256_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f,
                                                          0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
    return _mm256_or_si256(lo, _mm256_and_si256(_mm256_srli_epi32(b, 2), _mm256_set1_epi8(0x30)));
}

#if !defined(HONE_X86_VNNI)
/* One q4_K / q5_K (has_qh) super-block's exact sum for one token, AVX2.
 * Four sub-blocks' vpmaddubsw pair sums are folded by two levels of
 * vphaddw into sums of 8 products (|x| <= 8*31*128 fits int16), then
 * weighted by their scales in one vpmaddwd: 10 multiplies per super-block
 * instead of 16, and no per-sub-block scale shuffles. */
X86_INLINE __m256i q45_K_isum1(const uint8_t *b, int has_qh, __m128i sm, const int8_t *a)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), b4 = _mm256_set1_epi8(0x10);
    const uint8_t *qs = b + offsetof(block_q5_K, qh) + (has_qh ? QK_K / 8 : 0);
    /* q5_K: bits 2g, 2g + 1 of qh[l] are the fifth bits of group g; each
     * group shifts them down by 2 and moves bits 0, 1 to bit 4 */
    __m256i qh = has_qh ? _mm256_loadu_si256((const __m256i *)(b + offsetof(block_q5_K, qh))) : _mm256_setzero_si256();
    const __m128i sd = _mm_unpacklo_epi8(sm, sm); /* s0 s0 s1 s1 .. s7 s7 */
    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; half++) {
        __m256i p[4];
        for (int k = 0; k < 2; k++) {
            const int g = 2 * half + k;
            const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * g));
            __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            if (has_qh) {
                lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(qh, 4), b4));
                hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(qh, 3), b4));
                qh = _mm256_srli_epi16(qh, 2);
            }
            p[2 * k] = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(a + 64 * g)));
            p[2 * k + 1] = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(a + 64 * g + 32)));
        }
        /* per lane: sub-blocks 4half .. 4half+3, two sums each */
        const __m256i h = _mm256_hadd_epi16(_mm256_hadd_epi16(p[0], p[1]), _mm256_hadd_epi16(p[2], p[3]));
        const __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(half ? _mm_srli_si128(sd, 8) : sd));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(h, sc));
    }
    return sumi;
}

/* q4_K_multi's and q5_K_multi's one-token case on AVX2 (decode), two
 * super-blocks per step: their scales unpack in one 256-bit pass and their
 * sums share one reduction and one set of float instructions (lanes 0 and
 * 2). The values and each super-block's float steps are q45_K_multi's, so
 * are the bits. One thread from L2 (Zen 5, portable build): Q4_K 27 -> 32
 * GB/s, Q5_K 23.6 -> 27.9. */
X86_INLINE float q45_K_one(int n, const void *vx, const block_q8_K *y, int has_qh)
{
    const int nsb = n / QK_K;
    const uint8_t *base = vx;
    const size_t bsize = has_qh ? sizeof(block_q5_K) : sizeof(block_q4_K), so = offsetof(block_q4_K, scales),
                 dof = offsetof(block_q4_K, d);
    _Static_assert(offsetof(block_q4_K, dmin) == offsetof(block_q4_K, d) + 2, "d, dmin adjacent");
    __m128 acc = _mm_setzero_ps();
    int i = 0;
    for (; i + 2 <= nsb; i += 2) {
        const uint8_t *b0 = base + (size_t)i * bsize, *b1 = b0 + bsize;
        const __m256i sm = kquant_scales2(_mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(b0 + so))), _mm_loadu_si128((const __m128i *)(b1 + so)), 1));
        const __m256i mm = _mm256_unpackhi_epi8(sm, sm); /* each min twice, as the 16 group sums pair */
        const __m256i i0 = q45_K_isum1(b0, has_qh, _mm256_castsi256_si128(sm), y[i].qs);
        const __m256i i1 = q45_K_isum1(b1, has_qh, _mm256_extracti128_si256(sm, 1), y[i + 1].qs);
        const __m256i p0 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(mm)), _mm256_loadu_si256((const __m256i *)y[i].bsums));
        const __m256i p1 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(mm, 1)), _mm256_loadu_si256((const __m256i *)y[i + 1].bsums));
        /* [isum0, msum0, isum1, msum1] */
        const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(i0, p0), _mm256_hadd_epi32(i1, p1));
        const __m128 f = _mm_cvtepi32_ps(_mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)));
        uint32_t d0, d1;
        memcpy(&d0, b0 + dof, 4);
        memcpy(&d1, b1 + dof, 4);
        /* [dx0, dmin0, dx1, dmin1] */
        const __m128 dd = _mm_cvtph_ps(_mm_unpacklo_epi32(_mm_cvtsi32_si128((int)d0), _mm_cvtsi32_si128((int)d1)));
        /* v = -dmin * msum + dx * isum in lanes 0 and 2, then acc += dy * v */
        const __m128 v = _mm_fnmadd_ps(_mm_movehdup_ps(dd), _mm_movehdup_ps(f), _mm_mul_ps(dd, f));
        acc = _mm_fmadd_ss(_mm_load_ss(&y[i].d), v, acc);
        acc = _mm_fmadd_ss(_mm_load_ss(&y[i + 1].d), _mm_movehl_ps(v, v), acc);
    }
    float s = _mm_cvtss_f32(acc);
    if (i < nsb) /* an odd last super-block */
        q45_K_multi(QK_K, base + (size_t)i * bsize, bsize, has_qh, (const void *const[]){&y[i]}, &s, 1, s);
    return s;
}
#endif

/* q4_K (has_qh 0) or q5_K rows against nt tokens: one token on AVX2 by
 * q45_K_one, else q45_K_multi. */
X86_INLINE void q45_K_dot(int n, const void *vx, const void *const *vy, float *s, int nt, int has_qh)
{
#if !defined(HONE_X86_VNNI)
    if (nt == 1) {
        s[0] = q45_K_one(n, vx, vy[0], has_qh);
        return;
    }
#endif
    q45_K_multi(n, vx, has_qh ? sizeof(block_q5_K) : sizeof(block_q4_K), has_qh, vy, s, nt, 0.0f);
}

X86_INLINE void q4_K_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    (void)as; /* activation scales are float already / not used */
    /* a q4_K block is a q5_K block without qh: same d, dmin, scales
     * offsets, and its qs sits where q5_K's qh does */
    _Static_assert(offsetof(block_q4_K, scales) == offsetof(block_q5_K, scales) &&
                       offsetof(block_q4_K, qs) == offsetof(block_q5_K, qh),
                   "q4_K is q5_K's prefix");
    q45_K_dot(n, vx, vy, s, nt, 0);
}

X86_INLINE void q5_K_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    (void)as; /* activation scales are float already / not used */
    q45_K_dot(n, vx, vy, s, nt, 1);
}

/* Scales of sub-blocks 2p (low lane) and 2p + 1 (high lane) as int16. */
static inline __m256i q6_scale_pair(__m256i sc16, int p)
{
    const __m256i pair = _mm256_permutevar8x32_epi32(sc16, _mm256_set1_epi32(p));
    return _mm256_shuffle_epi8(pair, _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                                      2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3));
}

#if defined(HONE_X86_VNNI)
/* For packs_epi32 of the dpbusd sums of quarters k and k + 1 (sub-blocks
 * b, b + 1 and b + 2, b + 3, b = 8h + 2k): low lanes scale b then b + 2,
 * high lanes b + 1 then b + 3, each four times. */
static inline __m256i q6_scale_quad(__m256i sc16, int b)
{
    const __m256i quad = _mm256_permutevar8x32_epi32(
        sc16, _mm256_setr_epi32(b / 2, b / 2 + 1, 0, 0, b / 2, b / 2 + 1, 0, 0));
    return _mm256_shuffle_epi8(quad, _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5,
                                                      2, 3, 2, 3, 2, 3, 2, 3, 6, 7, 6, 7, 6, 7, 6, 7));
}
#endif

/* The K-quants with 16 sub-blocks of 16 (Q6_K, Q3_K, Q2_K) share one
 * kernel: per super-block the scales as 16 int16, the quants of each half
 * (128 elements) as four vectors of unsigned bytes (stored value + offset),
 * then the same dot loop. An offset o (32 for Q6_K, 4 for Q3_K) is taken
 * back out as o * sum_j sc_j * sum(a_j) from the Q8_K group sums; Q2_K's
 * mins likewise. kind is a constant in every instance. */
enum { K16_Q6, K16_Q3, K16_Q2 };

/* Q3_K's 16 six-bit scales (stored + 32) as int8: see unpack_q3_K. */
static inline __m128i q3_K_scales(const uint8_t *p)
{
    uint32_t a[3];
    memcpy(a, p, 12);
    const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    const __m128i u = _mm_setr_epi32((int)((a[0] & m4) | (a[2] & m2) << 4),
                                     (int)((a[1] & m4) | ((a[2] >> 2) & m2) << 4),
                                     (int)(((a[0] >> 4) & m4) | ((a[2] >> 4) & m2) << 4),
                                     (int)(((a[1] >> 4) & m4) | ((a[2] >> 6) & m2) << 4));
    return _mm_sub_epi8(u, _mm_set1_epi8(32));
}

/* Quarter k (elements 128h + 32k + l) of a q2_K / q3_K half: bits 2k of
 * the 32 bytes of qs for this half. */
static inline __m256i low2_quarter(__m256i qs, int k)
{
    return _mm256_and_si256(_mm256_srli_epi16(qs, 2 * k), _mm256_set1_epi8(3));
}

X86_INLINE void k16_unpack_half(int kind, const uint8_t *blk, int h, __m256i q[4])
{
    if (kind == K16_Q6) {
        const block_q6_K *b = (const void *)blk;
        const __m256i m4 = _mm256_set1_epi8(0x0f), m30 = _mm256_set1_epi8(0x30);
        const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        /* quarter k: low/high nibbles of ql0/ql1, top bits from bit pair k
         * of qh, moved to bits 4..5 */
        q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m30));
        q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m30));
        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), _mm256_and_si256(qh, m30));
        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), m30));
    } else if (kind == K16_Q3) {
        const block_q3_K *b = (const void *)blk;
        const __m256i qs = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * h));
        const __m256i hm = _mm256_loadu_si256((const __m256i *)b->hmask);
        /* stored q + 4 = low 2 bits | hmask bit (4h + k) << 2 */
        for (int k = 0; k < 4; k++) {
            const __m256i hb = _mm256_and_si256(_mm256_srli_epi16(hm, 4 * h + k), _mm256_set1_epi8(1));
            q[k] = _mm256_or_si256(low2_quarter(qs, k), _mm256_slli_epi16(hb, 2));
        }
    } else {
        const block_q2_K *b = (const void *)blk;
        const __m256i qs = _mm256_loadu_si256((const __m256i *)(b->qs + 32 * h));
        for (int k = 0; k < 4; k++) q[k] = low2_quarter(qs, k);
    }
}

X86_INLINE void k16_multi(int kind, int n, const void *vx, const void *const *vy, float *s, int nt)
{
    const size_t bsize = kind == K16_Q6 ? sizeof(block_q6_K)
                         : kind == K16_Q3 ? sizeof(block_q3_K) : sizeof(block_q2_K);
    __m256 acc[X86_MAX_NT];
    float sacc[X86_MAX_NT];
    for (int t = 0; t < nt; t++) {
        acc[t] = _mm256_setzero_ps();
        sacc[t] = 0.0f;
    }
    for (int i = 0; i < n / QK_K; i++) {
        const uint8_t *blk = (const uint8_t *)vx + (size_t)i * bsize;
        __m256i sc16, m16 = _mm256_setzero_si256();
        float dx, mx = 0.0f;
#if !defined(HONE_X86_VNNI)
        __m256i sq[2][2]; /* Q6_K: the scales of quarters 2j, 2j + 1 of half h (see below) */
#endif
        if (kind == K16_Q6) {
            const block_q6_K *b = (const void *)blk;
            const __m128i s8 = _mm_loadu_si128((const __m128i *)b->scales);
            sc16 = _mm256_cvtepi8_epi16(s8);
#if !defined(HONE_X86_VNNI)
            /* per 128-bit lane, after vphaddw of quarters 2j and 2j + 1 of
             * half h: four sums of sub-block 8h + 4j (low lane; + 1 high),
             * then four of 8h + 4j + 2 (+ 3) */
            for (int hh = 0; hh < 2; hh++)
                for (int j = 0; j < 2; j++) {
                    const char b0 = (char)(8 * hh + 4 * j);
                    sq[hh][j] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(
                        s8, _mm_setr_epi8(b0, b0, b0, b0, (char)(b0 + 2), (char)(b0 + 2), (char)(b0 + 2), (char)(b0 + 2),
                                          (char)(b0 + 1), (char)(b0 + 1), (char)(b0 + 1), (char)(b0 + 1),
                                          (char)(b0 + 3), (char)(b0 + 3), (char)(b0 + 3), (char)(b0 + 3))));
                }
#endif
            dx = h2f(b->d);
        } else if (kind == K16_Q3) {
            const block_q3_K *b = (const void *)blk;
            sc16 = _mm256_cvtepi8_epi16(q3_K_scales(b->scales));
            dx = h2f(b->d);
        } else {
            const block_q2_K *b = (const void *)blk;
            const __m128i sm = _mm_loadu_si128((const __m128i *)b->scales);
            sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(sm, _mm_set1_epi8(0x0f)));
            m16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sm, 4), _mm_set1_epi8(0x0f)));
            dx = h2f(b->d);
            mx = -h2f(b->dmin);
        }
        __m256i sumi[X86_MAX_NT];
        for (int t = 0; t < nt; t++) {
            const __m256i bs = _mm256_loadu_si256((const __m256i *)((const block_q8_K *)vy[t] + i)->bsums);
            const __m256i sb = _mm256_madd_epi16(sc16, bs); /* sc_j * sum(a_j), pairwise */
            sumi[t] = kind == K16_Q6 ? _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sb, 5))
                      : kind == K16_Q3 ? _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sb, 2))
                                       : _mm256_setzero_si256();
        }
        for (int h = 0; h < 2; h++) {
            __m256i q[4];
            k16_unpack_half(kind, blk, h, q);
#if defined(HONE_X86_VNNI)
            /* as in q45_K_multi: vpdpbusd per quarter (|lane| <= 4*63*127
             * fits int16), two quarters packed and scaled in one vpdpwssd */
            for (int k = 0; k < 4; k += 2) {
                const __m256i sp = q6_scale_quad(sc16, 8 * h + 2 * k);
                for (int t = 0; t < nt; t++) {
                    const int8_t *a = ((const block_q8_K *)vy[t] + i)->qs + 128 * h + 32 * k;
                    const __m256i p0 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q[k], _mm256_loadu_si256((const __m256i *)a));
                    const __m256i p1 = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q[k + 1], _mm256_loadu_si256((const __m256i *)(a + 32)));
                    sumi[t] = _mm256_dpwssd_epi32(sumi[t], _mm256_packs_epi32(p0, p1), sp);
                }
            }
#else
            if (kind == K16_Q6) {
                /* two quarters' vpmaddubsw pair sums folded by one vphaddw
                 * (sums of 4 products, |x| <= 4*63*128 fits int16), then
                 * one vpmaddwd by their four sub-blocks' scales: 12
                 * multiplies per super-block instead of 16, and 4 scale
                 * vectors instead of 8 */
                for (int t = 0; t < nt; t++) {
                    const int8_t *a = ((const block_q8_K *)vy[t] + i)->qs + 128 * h;
                    __m256i p[4];
                    for (int k = 0; k < 4; k++)
                        p[k] = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)(a + 32 * k)));
                    sumi[t] = madd16_acc(sumi[t], _mm256_hadd_epi16(p[0], p[1]), sq[h][0]);
                    sumi[t] = madd16_acc(sumi[t], _mm256_hadd_epi16(p[2], p[3]), sq[h][1]);
                }
                continue;
            }
            for (int k = 0; k < 4; k++) {
                const __m256i sp = q6_scale_pair(sc16, 4 * h + k);
                for (int t = 0; t < nt; t++) {
                    const int8_t *a = ((const block_q8_K *)vy[t] + i)->qs + 128 * h + 32 * k;
                    sumi[t] = madd16_acc(sumi[t], _mm256_maddubs_epi16(q[k], _mm256_loadu_si256((const __m256i *)a)), sp);
                }
            }
#endif
        }
        for (int t = 0; t < nt; t++) {
            const block_q8_K *y = (const block_q8_K *)vy[t] + i;
            if (kind == K16_Q6) { /* the tiles' order: exact sum first */
                sacc[t] = fmaf(dx * y->d, (float)hsum_epi32(sumi[t]), sacc[t]);
                continue;
            }
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dx * y->d), _mm256_cvtepi32_ps(sumi[t]), acc[t]);
            if (kind == K16_Q2) {
                const __m256i pm = _mm256_madd_epi16(m16, _mm256_loadu_si256((const __m256i *)y->bsums));
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(mx * y->d), _mm256_cvtepi32_ps(pm), acc[t]);
            }
        }
    }
    if (kind == K16_Q6) {
        for (int t = 0; t < nt; t++) s[t] = sacc[t];
        return;
    }
    for (int t = 0; t < nt; t++) s[t] = hsum_ps(acc[t]);
}

X86_INLINE void q6_K_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    (void)as; /* activation scales are float already / not used */
    k16_multi(K16_Q6, n, vx, vy, s, nt);
}

X86_INLINE void q3_K_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    (void)as; /* activation scales are float already / not used */
    k16_multi(K16_Q3, n, vx, vy, s, nt);
}

X86_INLINE void q2_K_multi(int n, const void *vx, const void *const *vy, float *s, int nt,
                           const x86_act_scales *as)
{
    (void)as; /* activation scales are float already / not used */
    k16_multi(K16_Q2, n, vx, vy, s, nt);
}

/* vec_dot (nt = 1, scales converted in the kernel) and the group kernel
 * (nt = X86_MAX_NT, scales from matmul) of each type above; for the
 * Q8_0 / Q8_1 family also a one-row kernel taking matmul's scales. */
typedef void (*x86_dotg_fn)(int n, const void *x, const void *const *y, float *s,
                            const x86_act_scales *as);
#define X86_DOT_PAIR(T)                                                          \
    static void x86_vec_dot_##T(int n, float *s, const void *x, const void *y) \
    {                                                                            \
        T##_multi(n, x, &y, s, 1, NULL);                                         \
    }                                                                            \
    static void x86_dotg_##T(int n, const void *x, const void *const *y, float *s, \
                             const x86_act_scales *as)                           \
    {                                                                            \
        /* two instances, so "as" is known non-NULL or NULL in each */           \
        if (as)                                                                  \
            T##_multi(n, x, y, s, X86_MAX_NT, as);                               \
        else                                                                     \
            T##_multi(n, x, y, s, X86_MAX_NT, NULL);                             \
    }
#define X86_DOT_TRIPLE(T)                                                        \
    X86_DOT_PAIR(T)                                                              \
    static void x86_dot1s_##T(int n, const void *x, const void *const *y, float *s, \
                              const x86_act_scales *as)                          \
    {                                                                            \
        if (as)                                                                  \
            T##_multi(n, x, y, s, 1, as);                                        \
        else                                                                     \
            T##_multi(n, x, y, s, 1, NULL);                                      \
    }
X86_DOT_TRIPLE(q4_0)
X86_DOT_TRIPLE(q8_0)
X86_DOT_TRIPLE(q5_0)
X86_DOT_TRIPLE(q4_1)
X86_DOT_TRIPLE(q5_1)
X86_DOT_PAIR(q4_K)
X86_DOT_PAIR(q5_K)
X86_DOT_PAIR(q6_K)
X86_DOT_PAIR(q3_K)
X86_DOT_PAIR(q2_K)

/* Instances for the tokens left after the full groups (n_tok % X86_MAX_NT,
 * e.g. a server's 2 or 3 busy slots): one weight row unpacked once for
 * them all instead of once per token. A token's float steps do not depend
 * on nt, so results keep vec_dot's bits. */
#define X86_DOT_N(T, N)                                                          \
    static void x86_dot##N##_##T(int n, const void *x, const void *const *y, float *s, \
                                 const x86_act_scales *as)                       \
    {                                                                            \
        if (as)                                                                  \
            T##_multi(n, x, y, s, N, as);                                        \
        else                                                                     \
            T##_multi(n, x, y, s, N, NULL);                                      \
    }
#if X86_MAX_NT > 4
#define X86_DOT_FEW(T) X86_DOT_N(T, 2) X86_DOT_N(T, 3) X86_DOT_N(T, 4)
#else
#define X86_DOT_FEW(T) X86_DOT_N(T, 2) X86_DOT_N(T, 3)
#endif
X86_DOT_FEW(q4_0)
X86_DOT_FEW(q8_0)
X86_DOT_FEW(q5_0)
X86_DOT_FEW(q4_1)
X86_DOT_FEW(q5_1)
X86_DOT_FEW(q4_K)
X86_DOT_FEW(q5_K)
X86_DOT_FEW(q6_K)
X86_DOT_FEW(q3_K)
X86_DOT_FEW(q2_K)

static const x86_dotg_fn X86_DOTG[HONE_TYPE_COUNT] = {
    [HONE_TYPE_Q4_0] = x86_dotg_q4_0,
    [HONE_TYPE_Q8_0] = x86_dotg_q8_0, [HONE_TYPE_Q4_K] = x86_dotg_q4_K,
    [HONE_TYPE_Q5_K] = x86_dotg_q5_K, [HONE_TYPE_Q6_K] = x86_dotg_q6_K,
    [HONE_TYPE_Q5_0] = x86_dotg_q5_0, [HONE_TYPE_Q3_K] = x86_dotg_q3_K,
    [HONE_TYPE_Q2_K] = x86_dotg_q2_K, [HONE_TYPE_Q4_1] = x86_dotg_q4_1,
    [HONE_TYPE_Q5_1] = x86_dotg_q5_1,
};

#define X86_FEW_TABLE(N)                                                         \
    {                                                                            \
        [HONE_TYPE_Q4_0] = x86_dot##N##_q4_0,                                    \
        [HONE_TYPE_Q8_0] = x86_dot##N##_q8_0, [HONE_TYPE_Q4_K] = x86_dot##N##_q4_K, \
        [HONE_TYPE_Q5_K] = x86_dot##N##_q5_K, [HONE_TYPE_Q6_K] = x86_dot##N##_q6_K, \
        [HONE_TYPE_Q5_0] = x86_dot##N##_q5_0, [HONE_TYPE_Q3_K] = x86_dot##N##_q3_K, \
        [HONE_TYPE_Q2_K] = x86_dot##N##_q2_K, [HONE_TYPE_Q4_1] = x86_dot##N##_q4_1, \
        [HONE_TYPE_Q5_1] = x86_dot##N##_q5_1,                                    \
    }
/* X86_DOTFEW[k][type]: the instance for k + 2 tokens */
static const x86_dotg_fn X86_DOTFEW[][HONE_TYPE_COUNT] = {
    X86_FEW_TABLE(2), X86_FEW_TABLE(3),
#if X86_MAX_NT > 4
    X86_FEW_TABLE(4),
#endif
};
enum { X86_FEW_MAX = (int)(sizeof X86_DOTFEW / sizeof X86_DOTFEW[0]) + 1 };

/* Types whose activations carry f16 block scales (Q8_0 / Q8_1). */
static const x86_dotg_fn X86_DOT1S[HONE_TYPE_COUNT] = {
    [HONE_TYPE_Q4_0] = x86_dot1s_q4_0, [HONE_TYPE_Q8_0] = x86_dot1s_q8_0,
    [HONE_TYPE_Q5_0] = x86_dot1s_q5_0, [HONE_TYPE_Q4_1] = x86_dot1s_q4_1,
    [HONE_TYPE_Q5_1] = x86_dot1s_q5_1,
};

/* Most 32-element blocks per row whose scales matmul converts up front
 * (rows up to 16384 elements, e.g. an 8B model's FFN; longer rows convert in
 * the kernel). Its buffers (d and s) take 4 x X86_MAX_NT KiB of stack. */
enum { X86_MAX_SCALE_BLOCKS = 512 };

/* Float block scales of nt activation rows (Q8_0 or Q8_1 blocks). */
static void fill_act_scales(uint32_t vtype, const void *const *a, int nt, int nb,
                            float d[][X86_MAX_SCALE_BLOCKS], float s[][X86_MAX_SCALE_BLOCKS],
                            x86_act_scales *as)
{
    for (int t = 0; t < nt; t++) {
        if (vtype == HONE_TYPE_Q8_1) {
            const block_q8_1 *b = a[t];
            for (int i = 0; i < nb; i++) {
                d[t][i] = h2f(b[i].d);
                s[t][i] = h2f(b[i].s);
            }
        } else {
            const block_q8_0 *b = a[t];
            for (int i = 0; i < nb; i++) d[t][i] = h2f(b[i].d);
        }
        as->d[t] = d[t];
        as->s[t] = s[t];
    }
}

/* The 16 bytes at p[r] + at of rows r = 0..7 as four dword columns: lane
 * r of o[k] is dword k of row r's 16 bytes. A 4x4 dword transpose inside
 * each 128-bit lane of a[0..3] (a[i]'s lane g holds row 4g + i, so the
 * result's lane 4g + i is row 4g + i); tiles16_vnni.h's x86_tr16x4 is the
 * same for 16 rows. */
X86_INLINE void x86_tr8x4(const char *const *p, size_t at, __m256i o[4])
{
    __m256i a[4];
    for (int i = 0; i < 4; i++)
        a[i] = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(p[i] + at))),
                                       _mm_loadu_si128((const __m128i *)(p[4 + i] + at)), 1);
    const __m256i t0 = _mm256_unpacklo_epi32(a[0], a[1]), t1 = _mm256_unpackhi_epi32(a[0], a[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(a[2], a[3]), t3 = _mm256_unpackhi_epi32(a[2], a[3]);
    o[0] = _mm256_unpacklo_epi64(t0, t2);
    o[1] = _mm256_unpackhi_epi64(t0, t2);
    o[2] = _mm256_unpacklo_epi64(t1, t3);
    o[3] = _mm256_unpackhi_epi64(t1, t3);
}

/* Block b of rows [rs, rs + 8) (rows >= r1: zeros) with rows in lanes:
 * w[k * ws + r] is bytes 4k..4k+3 of row r's block (Q4_0: the nibbles,
 * unsigned, in element order; Q8_0: the signed bytes), xor flip; d[r] its
 * scale. */
static inline void x86_pack8(uint32_t wtype, const char *wb, size_t w_row_bytes, int rs, int r1,
                             int b, int32_t *w, size_t ws, float *d, __m256i flip)
{
    __m256i u[8];
    for (int j = 0; j < 8; j++) {
        const int r = rs + j;
        u[j] = _mm256_setzero_si256();
        d[j] = 0.0f;
        if (r >= r1) continue;
        const char *row = wb + (size_t)r * w_row_bytes;
        if (wtype == HONE_TYPE_Q4_0) {
            const block_q4_0 *x = (const block_q4_0 *)row + b;
            u[j] = nibbles32(x->qs);
            d[j] = h2f(x->d);
        } else {
            const block_q8_0 *x = (const block_q8_0 *)row + b;
            u[j] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x->qs), flip);
            d[j] = h2f(x->d);
        }
    }
    transpose8_epi32(u);
    for (int k = 0; k < 8; k++) _mm256_storeu_si256((__m256i *)(w + (size_t)k * ws), u[k]);
}

/* Super-block b of Q4_K / Q5_K (has_qh) rows [rs, rs + 8) (rows >= r1:
 * zeros) with rows in lanes, for the tiles of both sets: q[j][k] holds in
 * lane r bytes 4k..4k+3 of row r's sub-block j (the quants unsigned, 5th
 * bit included); sc[r][j] / m[r][j] its 6-bit scales and mins; d[r], mn[r]
 * its d and -dmin. */
static inline void x86_k45_rows8(const char *wb, size_t w_row_bytes, int has_qh, int rs, int r1, int b,
                                 __m256i q[8][8], uint8_t sc[8][8], uint8_t m[8][8], float d[8], float mn[8])
{
    const __m256i m4 = _mm256_set1_epi8(0x0f), one = _mm256_set1_epi8(1);
    const size_t bsize = has_qh ? sizeof(block_q5_K) : sizeof(block_q4_K);
    for (int j = 0; j < 8; j++) {
        const int r = rs + j;
        memset(sc[j], 0, 8);
        memset(m[j], 0, 8);
        d[j] = mn[j] = 0.0f;
        for (int g = 0; g < 8; g++) q[g][j] = _mm256_setzero_si256();
        if (r >= r1) continue;
        const uint8_t *x = (const uint8_t *)wb + (size_t)r * w_row_bytes + (size_t)b * bsize;
        const uint8_t *qs = x + offsetof(block_q5_K, qh) + (has_qh ? QK_K / 8 : 0);
        const __m256i qh = has_qh ? _mm256_loadu_si256((const __m256i *)(x + offsetof(block_q5_K, qh)))
                                  : _mm256_setzero_si256();
        uint32_t s2[2], m2[2];
        kquant_scales(x + offsetof(block_q5_K, scales), s2, m2);
        memcpy(sc[j], s2, 8);
        memcpy(m[j], m2, 8);
        hone_half d16, m16;
        memcpy(&d16, x + offsetof(block_q5_K, d), 2);
        memcpy(&m16, x + offsetof(block_q5_K, dmin), 2);
        d[j] = h2f(d16);
        mn[j] = -h2f(m16);
        for (int g = 0; g < 4; g++) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(qs + 32 * g));
            __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
            if (has_qh) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * g + 1), one), 4));
            }
            q[2 * g][j] = lo;
            q[2 * g + 1][j] = hi;
        }
    }
    for (int g = 0; g < 8; g++) transpose8_epi32(q[g]);
}

/* Super-block b of Q6_K rows [rs, rs + 8) (rows >= r1: zeros) with rows in
 * lanes: q[g][k] holds in lane r bytes 4k..4k+3 of row r's 32-element
 * group g (sub-blocks 2g, 2g + 1; the quants + 32, unsigned); sc[r][j] its
 * 16 scales, d[r] its d. */
static inline void x86_q6_rows8(const char *wb, size_t w_row_bytes, int rs, int r1, int b, __m256i q[8][8],
                                int8_t sc[8][16], float d[8])
{
    for (int j = 0; j < 8; j++) {
        const int r = rs + j;
        memset(sc[j], 0, 16);
        d[j] = 0.0f;
        for (int g = 0; g < 8; g++) q[g][j] = _mm256_setzero_si256();
        if (r >= r1) continue;
        const block_q6_K *x = (const block_q6_K *)(wb + (size_t)r * w_row_bytes) + b;
        __m256i u[8];
        k16_unpack_half(K16_Q6, (const uint8_t *)x, 0, u);
        k16_unpack_half(K16_Q6, (const uint8_t *)x, 1, u + 4);
        for (int g = 0; g < 8; g++) q[g][j] = u[g];
        memcpy(sc[j], x->scales, 16);
        d[j] = h2f(x->d);
    }
    for (int g = 0; g < 8; g++) transpose8_epi32(q[g]);
}

/* One activation block's -off * sum(a) (q: its quants) and scale. */
static inline void x86_act_blk(const block_q8_0 *a, __m256i q, int off, int32_t *corr, float *dy)
{
    *corr = off ? -off * hsum_epi32(dot_u8s8_acc(_mm256_setzero_si256(), _mm256_set1_epi8(1), q)) : 0;
    *dy = h2f(a->d);
}

/* Per activation block of tokens [t0, t0 + nt): -off * sum(a) and dy. */
static inline void x86_tile_act(const char *ab, size_t act_row_bytes, int t0, int nt, int nb, int off,
                                int32_t *corr, float *dy)
{
    for (int t = 0; t < nt; t++) {
        const block_q8_0 *a = (const block_q8_0 *)(ab + (size_t)(t0 + t) * act_row_bytes);
        for (int b = 0; b < nb; b++)
            x86_act_blk(&a[b], _mm256_loadu_si256((const __m256i *)a[b].qs), off, &corr[t * nb + b], &dy[t * nb + b]);
    }
}

/* The activations of a chunk of tokens, laid out for the rows-in-lanes
 * tiles (x86/tiles16_vnni.h, x86/rows8_avx2.h): per group of X86_REC_T
 * tokens and block, the tokens' quants side by side with their
 * -off * sum(a) and scale, so a token group's step reads one 320-byte
 * record at fixed offsets (8 token streams of 34-byte blocks kept 8
 * pointers live and left the address arithmetic to the loop). */
enum { X86_REC_T = 8 };
typedef struct {
    int32_t q[X86_REC_T][8]; /* token t's dword k */
    int32_t corr[X86_REC_T];
    float dy[X86_REC_T];
} x86_act_rec;

/* Tokens [t0, t0 + nt) as x86_act_rec records [group][block]; a last
 * partial group is padded with zero tokens. */
static void x86_act_recs(const char *ab, size_t act_row_bytes, int t0, int nt, int nb, int off,
                         x86_act_rec *o)
{
    for (int t = 0; t < (nt + X86_REC_T - 1) / X86_REC_T * X86_REC_T; t++) {
        const block_q8_0 *a = t < nt ? (const block_q8_0 *)(ab + (size_t)(t0 + t) * act_row_bytes) : NULL;
        for (int b = 0; b < nb; b++) {
            x86_act_rec *r = &o[(size_t)(t / X86_REC_T) * (size_t)nb + (size_t)b];
            const int u = t % X86_REC_T;
            if (!a) {
                memset(r->q[u], 0, sizeof r->q[u]);
                r->corr[u] = 0;
                r->dy[u] = 0.0f;
                continue;
            }
            const __m256i q = _mm256_loadu_si256((const __m256i *)a[b].qs);
            _mm256_storeu_si256((__m256i *)r->q[u], q);
            x86_act_blk(&a[b], q, off, &r->corr[u], &r->dy[u]);
        }
    }
}

static inline int32_t load_i32(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The matmul every x86 set ends in, after its own rows-in-lanes paths
 * (x86/tiles16_vnni.h, x86/rows8_avx2.h) for the shapes they take: a
 * strip of rows stays in L1/L2 while groups of tokens pass over it, each
 * weight block unpacked once per group (and, for Q8_0/Q8_1 activations,
 * each activation scale converted once per strip). Results are
 * bit-identical to vec_dot per (row, token). */
static void x86_matmul_rows(const hone_kernels *k, uint32_t wtype, const void *w, size_t w_row_bytes,
                            const void *act, size_t act_row_bytes, int n, int r0, int r1, int n_tok,
                            float *y, int ldy)
{
    enum { G = X86_MAX_NT, STRIP = 16 };
    const x86_dotg_fn dotg = wtype < HONE_TYPE_COUNT ? X86_DOTG[wtype] : NULL;
    x86_dotg_fn dot1s = wtype < HONE_TYPE_COUNT ? X86_DOT1S[wtype] : NULL;
    if (n / 32 > X86_MAX_SCALE_BLOCKS) dot1s = NULL;
    if (!dotg) {
        hone_gen_matmul(k, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);
        return;
    }
    const uint32_t vtype = hone_vec_dot_type(wtype);
    const hone_vec_dot_fn dot = k->type[wtype].vec_dot;
    const char *wb = w, *ab = act;
    const int nb = n / 32;
    float dbuf[G][X86_MAX_SCALE_BLOCKS], sbuf[G][X86_MAX_SCALE_BLOCKS];
    x86_act_scales as;
    /* row strips that stay in L1 while every token group passes over them */
    for (int rs = r0; rs < r1; rs += STRIP) {
        const int re = rs + STRIP < r1 ? rs + STRIP : r1;
        for (int t = 0; t < n_tok;) {
            const int left = n_tok - t;
            const int m = left >= G ? G : left < X86_FEW_MAX ? left : X86_FEW_MAX;
            const x86_dotg_fn fn = m == G ? dotg : m >= 2 ? X86_DOTFEW[m - 2][wtype] : NULL;
            const void *a[G];
            for (int j = 0; j < m; j++) a[j] = ab + (size_t)(t + j) * act_row_bytes;
            if (fn || dot1s) {
                if (dot1s) fill_act_scales(vtype, a, m, nb, dbuf, sbuf, &as);
                const x86_dotg_fn f = fn ? fn : dot1s;
                for (int r = rs; r < re; r++) {
                    float sv[G];
                    f(n, wb + (size_t)r * w_row_bytes, a, sv, dot1s ? &as : NULL);
                    for (int j = 0; j < m; j++) y[(size_t)(t + j) * (size_t)ldy + (size_t)r] = sv[j];
                }
            } else {
                float *yt = y + (size_t)t * (size_t)ldy;
                for (int r = rs; r < re; r++) dot(n, &yt[r], wb + (size_t)r * w_row_bytes, a[0]);
            }
            t += m;
        }
    }
}
/* --- row operations ----------------------------------------------------- */

/* e^x for 8 floats, within a few ulp of expf: x = n ln2 + r with a
 * two-part ln2 (n ln2_hi is exact), e^r by its degree-7 Taylor polynomial
 * (|r| <= ln2/2: truncation < 1e-8 relative), times 2^n applied as two
 * halves so n = 128 overflows to inf and n < -126 gives denormals or 0
 * like expf. NaN in, NaN out. */
static inline __m256 exp_ps(__m256 x)
{
    const __m256 xc = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.0f)), _mm256_set1_ps(89.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    const __m256 e = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    return _mm256_blendv_ps(e, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

/* Four float products widened and summed in double, as generic sums. */
static inline __m256d add_pd8(__m256d acc, __m256 v)
{
    acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

static inline double hsum_pd(__m256d v)
{
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

static void x86_rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    __m256d acc = _mm256_setzero_pd();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        acc = add_pd8(acc, _mm256_mul_ps(v, v));
    }
    double sum = hsum_pd(acc);
    for (; i < n; i++) sum += (double)(x[i] * x[i]);
    const float scale = 1.0f / sqrtf((float)(sum / n) + eps);
    const __m256 sv = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), sv);
        _mm256_storeu_ps(out + i, w ? _mm256_mul_ps(v, _mm256_loadu_ps(w + i)) : v);
    }
    for (; i < n; i++) out[i] = w ? x[i] * scale * w[i] : x[i] * scale;
}

static void x86_softmax(float *x, int n)
{
    __m256 mv = _mm256_set1_ps(-INFINITY);
    int i = 0;
    for (; i + 8 <= n; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
    float max = hmax_ps(mv);
    for (; i < n; i++) max = fmaxf(max, x[i]);
    const __m256 mb = _mm256_set1_ps(max);
    __m256d acc = _mm256_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mb));
        _mm256_storeu_ps(x + i, e);
        acc = add_pd8(acc, e);
    }
    double sum = hsum_pd(acc);
    for (; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += (double)x[i];
    }
    const float inv = (float)(1.0 / sum);
    const __m256 iv = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), iv));
    for (; i < n; i++) x[i] *= inv;
}

static void x86_silu_mul(float *out, const float *gate, const float *up, int n)
{
    const __m256 one = _mm256_set1_ps(1.0f), neg = _mm256_set1_ps(-0.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 sg = _mm256_div_ps(g, _mm256_add_ps(one, exp_ps(_mm256_xor_ps(g, neg))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(sg, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

/* --- the table ---------------------------------------------------------- */

/* How a table's few-token products run (a set's tables differ only in
 * it; which is faster depends on the CPU, by a lot: kernels/README.md,
 * rounds four, eleven, fifteen, twenty-one to twenty-three,
 * twenty-eight):
 * - X86_ROUTE_L2: the repacked groups fetch ahead into L2, spread over a
 *   group's steps where one pass reads it, and the decode rows as stored
 *   fetch into L2; else both into L1, a super-block's lines at once;
 * - X86_ROUTE_NARROW: one or two tokens in 256-bit steps (Q4_K / Q5_K /
 *   Q6_K through the avx2 set's groups, Q4_0 in x86_r16_y_group), where
 *   512-bit integer code lowers both cores' clock (Intel).
 * Intel: both; Zen 4: L2 only; Zen 5: neither. */
enum { X86_ROUTE_L2 = 1, X86_ROUTE_NARROW = 2, X86_ROUTE_INTEL = X86_ROUTE_L2 | X86_ROUTE_NARROW };

/* A table's matmul entry NAME: IMPL(k, ROUTE, ...) with the route fixed. */
#define X86_MATMUL_PF(NAME, IMPL, ROUTE)                                                                        \
    static void NAME(const hone_kernels *k, uint32_t wtype, const void *w, size_t w_row_bytes, const void *act, \
                     size_t act_row_bytes, int n, int r0, int r1, int n_tok, float *y, int ldy)                 \
    {                                                                                                           \
        IMPL(k, ROUTE, wtype, w, w_row_bytes, act, act_row_bytes, n, r0, r1, n_tok, y, ldy);                    \
    }

/* What every x86 set vectorizes, as the .own of its hone_kernels_slot
 * (kernels/table.h: the entries left NULL are generic's); the sets differ
 * in their name, F16 and BF16 dots and matmul. */
#define X86_OWN(set_name, f16_dot, bf16_dot, matmul_fn)                                        \
    {                                                                                 \
        .name = (set_name),                                                           \
        .type =                                                                       \
            {                                                                         \
                [HONE_TYPE_F32] = {.vec_dot = x86_vec_dot_f32},                       \
                [HONE_TYPE_F16] = {.vec_dot = (f16_dot),                              \
                                   .to_float = x86_f16_to_float,                      \
                                   .from_float = x86_f16_from_float},                 \
                [HONE_TYPE_BF16] = {.vec_dot = (bf16_dot),                            \
                                    .to_float = x86_bf16_to_float,                    \
                                    .from_float = x86_bf16_from_float},               \
                [HONE_TYPE_Q4_0] = {.vec_dot = x86_vec_dot_q4_0},                     \
                [HONE_TYPE_Q4_1] = {.vec_dot = x86_vec_dot_q4_1},                     \
                [HONE_TYPE_Q5_0] = {.vec_dot = x86_vec_dot_q5_0},                     \
                [HONE_TYPE_Q5_1] = {.vec_dot = x86_vec_dot_q5_1},                     \
                [HONE_TYPE_Q2_K] = {.vec_dot = x86_vec_dot_q2_K},                     \
                [HONE_TYPE_Q3_K] = {.vec_dot = x86_vec_dot_q3_K},                     \
                [HONE_TYPE_Q8_0] = {.vec_dot = x86_vec_dot_q8_0,                      \
                                    .from_float = x86_q8_0_from_float},               \
                [HONE_TYPE_Q4_K] = {.vec_dot = x86_vec_dot_q4_K},                     \
                [HONE_TYPE_Q5_K] = {.vec_dot = x86_vec_dot_q5_K},                     \
                [HONE_TYPE_Q6_K] = {.vec_dot = x86_vec_dot_q6_K},                     \
                [HONE_TYPE_Q8_K] = {.from_float = x86_q8_K_from_float},               \
            },                                                                        \
        .matmul = (matmul_fn), .rmsnorm = x86_rmsnorm, .softmax = x86_softmax,        \
        .silu_mul = x86_silu_mul,                                                     \
    }

#endif
