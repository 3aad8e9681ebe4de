/* isa_check.c — every ISA kernel set of this build that the CPU can run,
 * against the generic set, as a self-contained program (no cmocka: the
 * cross builds run it under qemu-user, see isa_qemu.sh).
 *
 *   hone_isa_check [--require SET]...
 *
 * Converters and quantizers must match generic bit for bit; dot products
 * and matmul within float-reordering bounds (4e-6 of sum |w*a|), on odd
 * sizes and tails, with outputs pre-filled with NaN or a byte pattern so an
 * unwritten element or a write past the end fails; matmul must give each
 * token exactly vec_dot's bits. Also checks the chooser: the default set,
 * forcing by name, and clear errors for unknown / unrunnable names.
 * Prints one line per failure and "N passed, M failed"; exit 0 only when
 * nothing failed and every --require'd set was tested. */
#include "test_util.h"

#if defined(HONE_KERNELS_ARM)
#include "arm/arm.h"
#endif

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_pass, n_fail;

/* Records one case; on failure prints the formatted reason. */
static void check(int ok, const char *fmt, ...)
{
    if (ok) {
        n_pass++;
        return;
    }
    n_fail++;
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

static const uint32_t TYPES[] = {
    HONE_TYPE_F32,  HONE_TYPE_F16,  HONE_TYPE_BF16, HONE_TYPE_Q4_0, HONE_TYPE_Q4_1,
    HONE_TYPE_Q5_0, HONE_TYPE_Q5_1, HONE_TYPE_Q8_0, HONE_TYPE_Q8_1, HONE_TYPE_Q2_K,
    HONE_TYPE_Q3_K, HONE_TYPE_Q4_K, HONE_TYPE_Q5_K, HONE_TYPE_Q6_K, HONE_TYPE_Q8_K,
};
#define N_TYPES (sizeof TYPES / sizeof TYPES[0])

/* Element counts for type t: odd ones for plain types, 1..9 blocks else. */
static int sizes_for(uint32_t t, int *out)
{
    const int bs = (int)hone_type_get(t)->blck_size;
    if (bs == 1) {
        static const int S[] = {1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 100, 257, 1000};
        memcpy(out, S, sizeof S);
        return (int)(sizeof S / sizeof S[0]);
    }
    static const int B[] = {1, 2, 3, 5, 9};
    for (size_t i = 0; i < sizeof B / sizeof B[0]; i++) out[i] = B[i] * bs;
    return (int)(sizeof B / sizeof B[0]);
}

/* Random floats with awkward values: zeros, huge, tiny, a sign-flipped
 * spike, an all-zero block; plus denormals / inf / NaN if specials. */
static float *awkward(int n, uint64_t seed, int specials)
{
    float *x = hone_test_floats(n, seed, 3.0f);
    for (int i = 0; i < n; i++) {
        switch (i % 37) {
        case 5: x[i] = 0.0f; break;
        case 11: x[i] *= 1e4f; break;
        case 19: x[i] *= 1e-6f; break;
        case 23: x[i] = -x[i] * 50.0f; break;
        case 29: if (specials) x[i] = 1e-40f; break;
        case 31: if (specials) x[i] = (i & 1) ? INFINITY : NAN; break;
        default: break;
        }
    }
    if (n >= 64) memset(x + 32, 0, 32 * sizeof(float));
    return x;
}

static void check_from_float(const char *set, const hone_kernels *k, const hone_kernels *g)
{
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (!k->type[t].from_float) continue;
        int sizes[32];
        const int ns = sizes_for(t, sizes);
        for (int si = 0; si < ns; si++) {
            const int n = sizes[si];
            uint64_t bytes = 0;
            if (!hone_row_bytes(t, (uint64_t)n, &bytes)) abort();
            float *x = awkward(n, 1000 + (uint64_t)si, hone_type_get(t)->blck_size == 1);
            if (n >= 512) { /* equal magnitudes, opposite signs: the first one wins */
                x[10] = -1e5f;
                x[200] = 1e5f;
                x[256 + 7] = 2e5f;
                x[256 + 100] = -2e5f;
            }
            uint8_t *a = malloc(bytes + 32), *b = malloc(bytes + 32);
            memset(a, 0xab, bytes + 32);
            memset(b, 0xcd, bytes + 32);
            k->type[t].from_float(x, a, n);
            g->type[t].from_float(x, b, n);
            check(memcmp(a, b, bytes) == 0, "%s %s from_float n=%d differs from generic", set,
                  hone_type_name(t), n);
            int past = 0;
            for (uint64_t i = bytes; i < bytes + 32; i++) past |= a[i] != 0xab;
            check(!past, "%s %s from_float n=%d wrote past the row", set, hone_type_name(t), n);
            free(x);
            free(a);
            free(b);
        }
    }
}

static void check_to_float(const char *set, const hone_kernels *k, const hone_kernels *g)
{
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (t == HONE_TYPE_Q8_K || t == HONE_TYPE_Q8_1) continue; /* via from_float */
        int sizes[32];
        const int ns = sizes_for(t, sizes);
        for (int si = 0; si < ns; si++) {
            const int n = sizes[si];
            hone_test_row w = hone_test_make_row(t, n, 2000 + (uint64_t)si);
            float *a = malloc(sizeof(float) * (size_t)(n + 8)), *b = malloc(sizeof(float) * (size_t)n);
            for (int i = 0; i < n + 8; i++) a[i] = NAN;
            k->type[t].to_float(w.data, a, n);
            g->type[t].to_float(w.data, b, n);
            int bad = -1;
            for (int i = 0; i < n && bad < 0; i++)
                if (memcmp(&a[i], &b[i], sizeof(float)) != 0) bad = i;
            check(bad < 0, "%s %s to_float n=%d [%d]: %g vs generic %g", set, hone_type_name(t), n,
                  bad, bad < 0 ? 0.0 : (double)a[bad], bad < 0 ? 0.0 : (double)b[bad]);
            int past = 0;
            for (int i = n; i < n + 8; i++) past |= !isnan(a[i]);
            check(!past, "%s %s to_float n=%d wrote past the row", set, hone_type_name(t), n);
            free(a);
            free(b);
            free(w.data);
        }
    }
}

/* Sum of |w_i * a_i|: the scale of any summation order's rounding error. */
static double magnitude(const hone_kernels *g, uint32_t t, uint32_t vt, const void *w,
                        const void *a, int n)
{
    float *wf = malloc(sizeof(float) * (size_t)n), *af = malloc(sizeof(float) * (size_t)n);
    g->type[t].to_float(w, wf, n);
    g->type[vt].to_float(a, af, n);
    double mag = 0;
    for (int i = 0; i < n; i++) mag += fabs((double)wf[i] * af[i]);
    free(wf);
    free(af);
    return mag;
}

static void check_vec_dot(const char *set, const hone_kernels *k, const hone_kernels *g)
{
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (!g->type[t].vec_dot) continue;
        const uint32_t vt = hone_vec_dot_type(t);
        check(k->type[t].vec_dot != NULL, "%s %s: no vec_dot", set, hone_type_name(t));
        if (!k->type[t].vec_dot) continue;
        int sizes[32];
        const int ns = sizes_for(t, sizes);
        for (int si = 0; si < ns; si++) {
            for (int rep = 0; rep < 3; rep++) {
                const int n = sizes[si];
                const uint64_t seed = (uint64_t)(si * 7 + rep);
                hone_test_row w = hone_test_make_row(t, n, 3000 + seed);
                float *x = awkward(n, 4000 + seed, 0);
                hone_test_row a = hone_test_quantize(g, vt, x, n);
                float sk = NAN, sg = NAN;
                k->type[t].vec_dot(n, &sk, w.data, a.data);
                g->type[t].vec_dot(n, &sg, w.data, a.data);
                const double mag = magnitude(g, t, vt, w.data, a.data, n);
                check(fabs((double)sk - sg) <= 4e-6 * mag + 1e-30,
                      "%s %s vec_dot n=%d: %.9g vs generic %.9g (mag %g)", set, hone_type_name(t),
                      n, (double)sk, (double)sg, mag);
                free(x);
                free(w.data);
                free(a.data);
            }
        }
    }
}

/* One matmul shape for type t: NaN outside [r0, rows), each token equal to
 * its own vec_dot, close to generic. */
static void matmul_case(const char *set, const hone_kernels *k, const hone_kernels *g, uint32_t t,
                        int n, int rows, int tok, int r0, uint64_t seed)
{
    const uint32_t vt = hone_vec_dot_type(t);
    const int ldy = rows + 3;
    hone_test_row w = hone_test_make_row(t, (int64_t)n * rows, 5000 + seed);
    float *x = awkward(n * tok, 6000 + seed, 0);
    hone_test_row a = hone_test_quantize(g, vt, x, (int64_t)n * tok);
    const size_t wrb = w.bytes / (size_t)rows, arb = a.bytes / (size_t)tok;
    float *yk = malloc(sizeof(float) * (size_t)(tok * ldy));
    float *yg = malloc(sizeof(float) * (size_t)(tok * ldy));
    for (int i = 0; i < tok * ldy; i++) yk[i] = yg[i] = NAN;
    k->matmul(k, t, w.data, wrb, a.data, arb, n, r0, rows, tok, yk, ldy);
    g->matmul(g, t, w.data, wrb, a.data, arb, n, r0, rows, tok, yg, ldy);
    int outside = 0, batch = 0, far = 0;
    for (int tk = 0; tk < tok; tk++) {
        for (int r = 0; r < ldy; r++) {
            const float vk = yk[tk * ldy + r], vg = yg[tk * ldy + r];
            if (r < r0 || r >= rows) {
                outside += !isnan(vk);
                continue;
            }
            const char *wr = (const char *)w.data + (size_t)r * wrb;
            const char *ar = (const char *)a.data + (size_t)tk * arb;
            float single = NAN;
            k->type[t].vec_dot(n, &single, wr, ar);
            batch += !(vk == single);
            far += !(fabs((double)vk - vg) <= 4e-6 * magnitude(g, t, vt, wr, ar, n) + 1e-30);
        }
    }
    check(!outside && !batch && !far,
          "%s %s matmul n=%d rows=%d tok=%d r0=%d: %d written outside, %d differ from vec_dot, "
          "%d far from generic", set, hone_type_name(t), n, rows, tok, r0, outside, batch, far);
    free(yk);
    free(yg);
    free(x);
    free(w.data);
    free(a.data);
}

static void check_matmul(const char *set, const hone_kernels *k, const hone_kernels *g)
{
    static const int SHAPES[][3] = {{1, 1, 0}, {5, 1, 3}, {16, 4, 9}, {3, 7, 2}, {33, 5, 17}, {8, 8, 0}};
    for (size_t ti = 0; ti < N_TYPES; ti++) {
        const uint32_t t = TYPES[ti];
        if (!g->type[t].vec_dot) continue;
        for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++)
            matmul_case(set, k, g, t, 2 * QK_K, SHAPES[si][0], SHAPES[si][1], SHAPES[si][2],
                        ti * 16 + si);
        matmul_case(set, k, g, t, 20 * QK_K, 3, 2, 1, ti * 16 + 15); /* long rows */
    }
}

static void check_row_ops(const char *set, const hone_kernels *k, const hone_kernels *g)
{
    static const int S[] = {1, 7, 8, 9, 64, 333, 4096, 5, 77, 1000};
    for (size_t si = 0; si < sizeof S / sizeof S[0]; si++) {
        const int n = S[si];
        const float scale = si < 7 ? 6.0f : 100.0f; /* up to exp over/underflow */
        float *x = hone_test_floats(n, 7000 + si, scale), *w = hone_test_floats(n, 7100 + si, 1.5f);
        float *a = malloc(sizeof(float) * (size_t)(n + 4)), *b = malloc(sizeof(float) * (size_t)n);
        int bad = 0, past = 0;
        for (int i = 0; i < n + 4; i++) a[i] = NAN;
        k->rmsnorm(a, x, w, n, 1e-6f);
        g->rmsnorm(b, x, w, n, 1e-6f);
        for (int i = 0; i < n; i++) bad += !(fabsf(a[i] - b[i]) <= 1e-6f * (1 + fabsf(b[i])));
        for (int i = n; i < n + 4; i++) past += !isnan(a[i]);
        check(!bad && !past, "%s rmsnorm n=%d: %d differ, %d written past", set, n, bad, past);
        bad = past = 0;
        for (int i = 0; i < n + 4; i++) a[i] = i < n ? x[i] : NAN;
        memcpy(b, x, sizeof(float) * (size_t)n);
        k->softmax(a, n);
        g->softmax(b, n);
        for (int i = 0; i < n; i++) bad += !(fabsf(a[i] - b[i]) <= 1e-6f * b[i] + 1e-12f);
        for (int i = n; i < n + 4; i++) past += !isnan(a[i]);
        check(!bad && !past, "%s softmax n=%d: %d differ, %d written past", set, n, bad, past);
        bad = past = 0;
        for (int i = 0; i < n + 4; i++) a[i] = NAN;
        k->silu_mul(a, x, w, n);
        g->silu_mul(b, x, w, n);
        for (int i = 0; i < n; i++) bad += !(fabsf(a[i] - b[i]) <= 1e-6f * (1 + fabsf(b[i])));
        for (int i = n; i < n + 4; i++) past += !isnan(a[i]);
        check(!bad && !past, "%s silu_mul n=%d: %d differ, %d written past", set, n, bad, past);
        free(x);
        free(w);
        free(a);
        free(b);
    }
}

static void check_set(const char *label, const hone_kernels *k)
{
    const hone_kernels *g = hone_kernels_generic();
    const int before = n_fail;
    check_from_float(label, k, g);
    check_to_float(label, k, g);
    check_vec_dot(label, k, g);
    check_matmul(label, k, g);
    check_row_ops(label, k, g);
    printf("%s: %s\n", label, n_fail == before ? "ok" : "FAILED");
}

/* The chooser: the default set is runnable and named; forcing by name
 * works; unknown names are HONE_ERR_ARG and name the choices. */
static void check_chooser(void)
{
    const hone_kernels *k = NULL;
    hone_error err = {0};
    check(hone_kernels_select("auto", &k, &err) == HONE_OK && k && hone_kernels_can_run(k->name),
          "auto selection failed: %s", err.msg);
    if (k) printf("default kernel set here: %s (choices: %s)\n", k->name, hone_kernels_choices());
    check(hone_kernels_select("generic", &k, &err) == HONE_OK && k == hone_kernels_generic(),
          "forcing generic failed");
    memset(&err, 0, sizeof err);
    check(hone_kernels_select("no-such-set", &k, &err) == HONE_ERR_ARG &&
              strstr(err.msg, "no-such-set") && strstr(err.msg, "generic"),
          "unknown set: status %d, message '%s'", (int)err.status, err.msg);
}

int main(int argc, char **argv)
{
    static const char *const SETS[] = {"avx2", "avx512", "neon", "power10"};
    const char *required[8];
    int n_req = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--require") == 0 && i + 1 < argc && n_req < 8) {
            required[n_req++] = argv[++i];
        } else {
            fprintf(stderr, "usage: %s [--require SET]...\n", argv[0]);
            return 2;
        }
    }
    check_chooser();
    int tested[sizeof SETS / sizeof SETS[0]] = {0};
    for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++) {
        const hone_kernels *k = NULL;
        hone_error err = {0};
        if (!strstr(hone_kernels_choices(), SETS[s])) continue;
        if (hone_kernels_select(SETS[s], &k, &err) != HONE_OK) {
            check(err.status == HONE_ERR_CPU && !hone_kernels_can_run(SETS[s]),
                  "%s: unexpected error %s", SETS[s], err.msg);
            printf("SKIP %s: %s\n", SETS[s], err.msg);
            continue;
        }
        check(strcmp(k->name, SETS[s]) == 0, "set %s is named %s", SETS[s], k->name);
#if defined(HONE_KERNELS_ARM)
        if (k == hone_kernels_neon_dotprod()) printf("neon: with dotprod (SDOT)\n");
        if (k == hone_kernels_neon_i8mm()) printf("neon: with dotprod + i8mm (SDOT, SMMLA)\n");
#endif
        check_set(SETS[s], k);
        tested[s] = 1;
    }
#if defined(HONE_KERNELS_ARM)
    /* the other builds of "neon" (the default picks the best this CPU has;
     * the caller runs this on a CPU with all of them, e.g. qemu -cpu max) */
    const hone_kernels *dflt = NULL;
    hone_error e = {0};
    if (hone_kernels_select("neon", &dflt, &e) == HONE_OK) {
        if (dflt != hone_kernels_neon()) check_set("neon (no dotprod)", hone_kernels_neon());
        if (dflt == hone_kernels_neon_i8mm())
            check_set("neon (dotprod, no i8mm)", hone_kernels_neon_dotprod());
    }
#endif
    for (int r = 0; r < n_req; r++) {
        int ok = 0;
        for (size_t s = 0; s < sizeof SETS / sizeof SETS[0]; s++)
            ok |= tested[s] && strcmp(SETS[s], required[r]) == 0;
        check(ok, "required set %s was not tested (not built or not runnable here)", required[r]);
    }
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
