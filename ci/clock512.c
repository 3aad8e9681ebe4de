/* clock512.c — does this CPU slow its clock while it issues 512-bit integer
 * multiply-adds? An imul chain (8 a pass, 3 cycles each: 24 cycles) runs
 * alone, then with four independent vpdpbusd on zmm beside it, then on
 * ymm; the chain bounds each pass, so a pass that takes longer means a
 * slower clock. On an Intel Xeon with AMX the zmm passes ran at 0.92x
 * (kernels/README.md, round twenty-two), which is why Intel's one-token
 * decode runs in 256-bit registers. Needs AVX-512 VNNI.
 *   gcc -O2 -march=native -fopenmp -o clock512 ci/clock512.c && ./clock512 */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* mode 0: the chain alone; 1: with zmm vpdpbusd; 2: with ymm */
__attribute__((noinline)) static uint64_t run(int mode, long iters, __m512i *sink)
{
    uint64_t x = 12345;
    const __m512i a = _mm512_set1_epi32(3), b = _mm512_set1_epi32(5);
    const __m256i ya = _mm256_set1_epi32(7), yb = ya;
    __m512i c0 = a, c1 = b, c2 = a, c3 = b;
    __m256i d0 = ya, d1 = ya, d2 = ya, d3 = ya;
    for (long i = 0; i < iters; i++) {
        for (int j = 0; j < 8; j++) {
            x *= 0x9E3779B97F4A7C15ull;
            __asm__ volatile("" : "+r"(x));
        }
        if (mode == 1) {
            c0 = _mm512_dpbusd_epi32(c0, a, b);
            c1 = _mm512_dpbusd_epi32(c1, a, b);
            c2 = _mm512_dpbusd_epi32(c2, a, b);
            c3 = _mm512_dpbusd_epi32(c3, a, b);
            __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3));
        } else if (mode == 2) {
            d0 = _mm256_dpbusd_epi32(d0, ya, yb);
            d1 = _mm256_dpbusd_epi32(d1, ya, yb);
            d2 = _mm256_dpbusd_epi32(d2, ya, yb);
            d3 = _mm256_dpbusd_epi32(d3, ya, yb);
            __asm__ volatile("" : "+v"(d0), "+v"(d1), "+v"(d2), "+v"(d3));
        }
    }
    const __m256i d = _mm256_add_epi32(_mm256_add_epi32(d0, d1), _mm256_add_epi32(d2, d3));
    *sink = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                             _mm512_castsi256_si512(d));
    return x;
}

int main(void)
{
    const long iters = 20000000;
    static const char *const names[3] = {"chain alone", "with zmm", "with ymm"};
    __m512i sink[64];
    for (int rep = 0; rep < 3; rep++)
        for (int threads = 1; threads <= 2; threads++)
            for (int mode = 0; mode < 3; mode++) {
                uint64_t r = 0;
                const double t0 = now();
#pragma omp parallel num_threads(threads) reduction(+ : r)
                r += run(mode, iters, &sink[omp_get_thread_num() & 63]);
                const double ns = (now() - t0) / (double)iters * 1e9;
                printf("threads %d, %-11s: %.3f ns a pass, %.2f GHz if the chain is all it waits on (%d)\n", threads,
                       names[mode], ns, 24.0 / ns, (int)(r & 1));
            }
    return 0;
}
