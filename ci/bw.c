/* bw.c — read-bandwidth probe for CPUs without AVX-512, where
 * ../shared/tools/bw.c does not compile: the same method (XOR-reduce a
 * 256 MiB buffer, 8 independent streams per thread, best of 8 passes),
 * in plain C that -O3 -march=native vectorizes to the widest loads the
 * CPU has. Prints the same line, so ci/bench-native.sh parses either.
 *   gcc -O3 -march=native -fopenmp -o bw ci/bw.c && ./bw 2 */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const size_t n = (size_t)1 << 28;
    const int threads = argc > 1 ? atoi(argv[1]) : 2;
    uint64_t *a = aligned_alloc(64, n);
    if (!a || threads < 1) return 1;
    const size_t words = n / sizeof(uint64_t);
#pragma omp parallel for num_threads(threads)
    for (size_t i = 0; i < words; i++) a[i] = i * 0x9e3779b97f4a7c15u;
    double best = 1e9;
    uint64_t sink = 0;
    for (int pass = 0; pass < 8; pass++) {
        const double t0 = omp_get_wtime();
        uint64_t total = 0;
#pragma omp parallel num_threads(threads) reduction(^ : total)
        {
            uint64_t s[64] = {0}; /* 8 streams of 64 bytes */
#pragma omp for schedule(static)
            for (size_t i = 0; i < words; i += 64)
                for (int k = 0; k < 64; k++) s[k] ^= a[i + k];
            for (int k = 0; k < 64; k++) total ^= s[k];
        }
        const double dt = omp_get_wtime() - t0;
        if (dt < best) best = dt;
        sink ^= total;
    }
    printf("threads %d read bandwidth %.1f GB/s (checksum %llu)\n", threads, n / best / 1e9,
           (unsigned long long)sink);
    free(a);
    return 0;
}
