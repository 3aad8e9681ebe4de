/* test_gguf_corrupt.c — corrupt-corpus replay: starting from valid files
 * (one the writer makes with every value type, and the smallest model in
 * $HONE_SHARED/models), generate truncations, byte flips and inflated
 * count/length fields, and open each one. Every variant must either open
 * (and then be fully walkable) or fail with a one-line error — never crash
 * or read out of bounds. Each variant lives in an exactly-sized heap buffer
 * so that AddressSanitizer (the debug preset) sees any over-read. */
#include "gguf.h"
#include "gguf_writer.h"

#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

typedef struct {
    uint64_t opened, failed;
} tally;

/* Touches every byte the reader says is valid. */
static uint64_t walk(const hone_gguf_file *f)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < hone_gguf_n_kv(f); i++) {
        const hone_gguf_kv *kv = hone_gguf_kv_at(f, i);
        char buf[128];
        hone_gguf_kv_format(kv, buf, sizeof buf);
        sum += strlen(buf) + strlen(kv->key);
        if (kv->type != HONE_GGUF_TYPE_ARRAY) continue;
        for (uint64_t j = 0; j < kv->arr_n; j++) {
            if (kv->arr_type == HONE_GGUF_TYPE_STRING) {
                hone_gguf_str s = hone_gguf_arr_str(kv, j);
                if (s.len) sum += (uint8_t)s.ptr[0] + (uint8_t)s.ptr[s.len - 1];
            } else {
                sum += (uint64_t)hone_gguf_arr_u32(kv, j) + (uint64_t)hone_gguf_arr_i32(kv, j);
                sum += (uint64_t)(hone_gguf_arr_f32(kv, j) != 0);
            }
        }
    }
    for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        assert_true(hone_gguf_data_offset(f) + t->offset + t->size <= hone_gguf_file_size(f));
        if (t->size) sum += ((const uint8_t *)t->data)[0] + ((const uint8_t *)t->data)[t->size - 1];
        assert_ptr_equal(hone_gguf_find_tensor(f, t->name), t);
    }
    return sum;
}

static void try_open(const uint8_t *buf, size_t n, tally *tl)
{
    hone_gguf_file *f = NULL;
    hone_error e = {.msg = ""};
    hone_status st = hone_gguf_open_memory(buf, n, &f, &e);
    if (st == HONE_OK) {
        assert_non_null(f);
        walk(f);
        hone_gguf_close(f);
        tl->opened++;
        return;
    }
    assert_null(f);
    if (st != HONE_ERR_FORMAT && st != HONE_ERR_UNSUPPORTED)
        print_error("unexpected status %s: %s\n", hone_status_name(st), e.msg);
    assert_true(st == HONE_ERR_FORMAT || st == HONE_ERR_UNSUPPORTED);
    assert_true(strlen(e.msg) > 10);
    assert_null(strchr(e.msg, '\n'));
    tl->failed++;
}

/* Offsets and widths of the count/length/type fields of a valid file. */
typedef struct {
    size_t pos;
    int width;
} field;

typedef struct {
    field *v;
    size_t n, cap;
} fields;

static void add_field(fields *fs, size_t pos, int width)
{
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? 2 * fs->cap : 256;
        fs->v = realloc(fs->v, fs->cap * sizeof *fs->v);
        assert_non_null(fs->v);
    }
    fs->v[fs->n++] = (field){pos, width};
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd64((const uint8_t[8]){p[0], p[1], p[2], p[3]}); }

/* Independent walk over a known-good file, listing its fields. */
static void find_fields(const uint8_t *b, fields *fs)
{
    static const int sizes[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    size_t p = 8;
    uint64_t n_t = rd64(b + p), n_kv = rd64(b + p + 8);
    add_field(fs, 8, 8);
    add_field(fs, 16, 8);
    p = 24;
    for (uint64_t i = 0; i < n_kv; i++) {
        add_field(fs, p, 8);
        p += 8 + rd64(b + p);
        uint32_t type = rd32(b + p);
        add_field(fs, p, 4);
        p += 4;
        uint64_t n = 1;
        if (type == HONE_GGUF_TYPE_ARRAY) {
            type = rd32(b + p);
            add_field(fs, p, 4);
            add_field(fs, p + 4, 8);
            n = rd64(b + p + 4);
            p += 12;
        }
        if (type == HONE_GGUF_TYPE_STRING) {
            for (uint64_t j = 0; j < n; j++) {
                add_field(fs, p, 8);
                p += 8 + rd64(b + p);
            }
        } else {
            p += n * (uint64_t)sizes[type];
        }
    }
    for (uint64_t i = 0; i < n_t; i++) {
        add_field(fs, p, 8);
        p += 8 + rd64(b + p);
        uint32_t nd = rd32(b + p);
        add_field(fs, p, 4);
        p += 4;
        for (uint32_t j = 0; j < nd; j++, p += 8) add_field(fs, p, 8);
        add_field(fs, p, 4); /* type */
        add_field(fs, p + 4, 8); /* offset */
        p += 12;
    }
}

static void corrupt_all(const uint8_t *good, size_t n, const char *what)
{
    tally tl = {0};
    hone_gguf_file *f = NULL;
    hone_error e;
    assert_int_equal(hone_gguf_open_memory(good, n, &f, &e), HONE_OK);
    size_t header = (size_t)hone_gguf_data_offset(f);
    hone_gguf_close(f);
    uint8_t *b = malloc(n);
    assert_non_null(b);

    /* truncations: every length through the header, then strided */
    for (size_t len = 0; len <= n; len = len < header ? len + 1 : len + (n - header) / 64 + 1) {
        uint8_t *t = malloc(len ? len : 1);
        assert_non_null(t);
        memcpy(t, good, len);
        try_open(t, len, &tl);
        free(t);
    }
    try_open(good, n, &tl);

    /* byte flips: every header byte three ways, data bytes strided */
    memcpy(b, good, n);
    static const uint8_t masks[3] = {0xff, 0x80, 0x01};
    for (size_t i = 0; i < n; i = i < header ? i + 1 : i + n / 97 + 1) {
        for (int m = 0; m < 3; m++) {
            b[i] ^= masks[m];
            try_open(b, n, &tl);
            b[i] = good[i];
        }
    }

    /* inflated (and zeroed) counts, lengths, types, dims and offsets */
    fields fs = {0};
    find_fields(good, &fs);
    static const uint64_t vals[] = {0, 1, 0x7fffffffull, 0xffffffffull, 1ull << 32,
                                    1ull << 62, 1ull << 63, UINT64_MAX, UINT64_MAX / 8};
    for (size_t i = 0; i < fs.n; i++) {
        size_t at = fs.v[i].pos;
        int w = fs.v[i].width;
        uint64_t extra[2] = {n, n - at}; /* just past the end */
        for (size_t k = 0; k < sizeof vals / sizeof vals[0] + 2; k++) {
            uint64_t v = k < sizeof vals / sizeof vals[0] ? vals[k] : extra[k - sizeof vals / sizeof vals[0]];
            for (int j = 0; j < w; j++) b[at + (size_t)j] = (uint8_t)(v >> (8 * j));
            try_open(b, n, &tl);
            memcpy(b + at, good + at, (size_t)w);
        }
    }
    free(fs.v);

    /* several random bytes at once (fixed seed: the same variants every run) */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int it = 0; it < 4000; it++) {
        int k = 1 + it % 8;
        size_t pos[8];
        for (int j = 0; j < k; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            pos[j] = (size_t)(x % (header ? header : n));
            b[pos[j]] = (uint8_t)(x >> 32);
        }
        try_open(b, n, &tl);
        for (int j = 0; j < k; j++) b[pos[j]] = good[pos[j]];
    }
    free(b);
    print_message("%s: %zu bytes (header %zu): %" PRIu64 " variants opened, %" PRIu64
                  " rejected cleanly\n", what, n, header, tl.opened, tl.failed);
    assert_true(tl.failed > tl.opened); /* the corruptions did reach the parser */
}

static void test_writer_file(void **state)
{
    (void)state;
    gguf_writer *w = gw_new();
    gw_str(w, "general.architecture", "llama");
    gw_set_alignment(w, 64);
    gw_u8(w, "a.u8", 1);
    gw_i16(w, "a.i16", -2);
    gw_u64(w, "a.u64", 3);
    gw_f64(w, "a.f64", 4.0);
    gw_bool(w, "a.bool", false);
    const char *toks[] = {"<unk>", "<s>", "</s>", "a", "bc", ""};
    gw_arr_str(w, "tokenizer.ggml.tokens", toks, 6);
    float sc[6] = {0, 1, 2, 3, 4, 5};
    gw_arr(w, "tokenizer.ggml.scores", HONE_GGUF_TYPE_FLOAT32, sc, 6);
    int16_t i16[3] = {-1, 0, 1};
    gw_arr(w, "a.i16s", HONE_GGUF_TYPE_INT16, i16, 3);
    uint64_t ne[2] = {32, 2};
    gw_tensor(w, "q", HONE_TYPE_Q8_0, 2, ne, NULL);
    gw_tensor(w, "f", HONE_TYPE_F16, 2, ne, NULL);
    uint64_t nk[1] = {256};
    gw_tensor(w, "k", HONE_TYPE_Q6_K, 1, nk, NULL);
    size_t n;
    uint8_t *buf = gw_finish(w, &n);
    gw_free(w);
    corrupt_all(buf, n, "writer file");
    free(buf);
}

static void test_shared_model(void **state)
{
    (void)state;
    const char *shared = getenv("HONE_SHARED");
    if (!shared) skip();
    char dir[4096], best[8200] = "";
    snprintf(dir, sizeof dir, "%s/models", shared);
    DIR *d = opendir(dir);
    if (!d) skip();
    off_t best_size = 0;
    struct dirent *de;
    while ((de = readdir(d))) { /* the smallest model keeps this quick */
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".gguf")) continue;
        char path[8200];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &sb) == 0 && (best_size == 0 || sb.st_size < best_size)) {
            best_size = sb.st_size;
            snprintf(best, sizeof best, "%s", path);
        }
    }
    closedir(d);
    assert_true(best_size > 0);
    FILE *fp = fopen(best, "rb");
    assert_non_null(fp);
    uint8_t *buf = malloc((size_t)best_size);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)best_size, fp), (size_t)best_size);
    fclose(fp);
    corrupt_all(buf, (size_t)best_size, best);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_file),
        cmocka_unit_test(test_shared_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
