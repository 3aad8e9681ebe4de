/* prefetch.h — the fetch-ahead the x86 tiled products share: a product
 * that packs or reads a strip of rows, then runs every token over it,
 * fetches the next strip into L2 meanwhile, one slice per step, so the
 * fetches spread over the run instead of queueing at once. Used by
 * body256.h's sets (tiles16_vnni.h, rows8_avx2.h, tiles8_k_avx2.h,
 * dec_k_avx512.h) and by ftile_avx512.h. */
#ifndef HONE_X86_PREFETCH_H
#define HONE_X86_PREFETCH_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

/* Slice k of n (k < n) of the bytes [p, p + bytes), into L1, or into L2
 * (into_l2). Always inlined: as a function of its own GCC judged it free
 * of side effects (it only prefetches) and dropped the calls, prefetches
 * and all. */
static inline __attribute__((always_inline)) void x86_prefetch_slice(const char *p, size_t bytes, int k, int n,
                                                                    int into_l2)
{
    for (size_t o = bytes * (size_t)k / (size_t)n & ~(size_t)63, e = bytes * (size_t)(k + 1) / (size_t)n; o < e;
         o += 64) {
        if (into_l2) _mm_prefetch(p + o, _MM_HINT_T1);
        else _mm_prefetch(p + o, _MM_HINT_T0);
    }
}

/* The same into L2. */
static inline __attribute__((always_inline)) void x86_prefetch_l2_slice(const char *p, size_t bytes, int k, int n)
{
    x86_prefetch_slice(p, bytes, k, n, 1);
}

/* The decode kernels that read a group's rows one after the other, a run
 * of memory in order: the bytes `ahead` past [cur, cur + bytes), below lim
 * (the end of what the call reads), into L1, or into L2 (into_l2: the
 * hardware's L1 fetch does the rest; see r16k_avx512.h). */
static inline __attribute__((always_inline)) void x86_prefetch_run(const void *cur, size_t bytes, size_t ahead,
                                                                  const void *lim, int into_l2)
{
    const char *q = (const char *)cur + ahead, *e = q + bytes < (const char *)lim ? q + bytes : (const char *)lim;
    for (const char *o = (const char *)((uintptr_t)q & ~(uintptr_t)63); o < e; o += 64) {
        if (into_l2) _mm_prefetch(o, _MM_HINT_T1);
        else _mm_prefetch(o, _MM_HINT_T0);
    }
}

/* Piece j of n of the same run (the bytes `ahead` past [cur, cur + bytes),
 * below lim): the lines the piece's bytes touch, so a line two pieces
 * share is asked for by both. A decode step that issues one piece before
 * each of its n loads spreads its fetches over the step: on an Intel Xeon
 * a burst of a super-block's 36 lines at once (one x86_prefetch_run)
 * holds the fill buffers the step's own loads then wait for. Asking twice
 * for the shared lines measured better than once (bench-1b Q4_K_M tg64
 * t=2: 1.037x; from memory, one thread, Q5_K 1.12x, Q6_K 1.04x): some
 * fetches seem to be dropped (kernels/README.md, round twenty-one). */
static inline __attribute__((always_inline)) void x86_prefetch_piece(const void *cur, size_t bytes, size_t ahead,
                                                                    const void *lim, int into_l2, int j, int n)
{
    const size_t from = bytes * (size_t)j / (size_t)n, to = bytes * (size_t)(j + 1) / (size_t)n;
    x86_prefetch_run((const char *)cur + from, to - from, ahead, lim, into_l2);
}

#endif
