/* test_gguf.c — the GGUF reader on valid files (all value types, tensors,
 * open modes), on hand-made bad files (each must fail with the right status
 * and a message naming the problem) and on every file in $HONE_SHARED. */
#include "gguf.h"
#include "gguf_writer.h"
#include "load_plan.h"

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ------------------------------------------------------------------ */
/* helpers */

static hone_gguf_file *open_ok(const uint8_t *buf, size_t n)
{
    hone_gguf_file *f = NULL;
    hone_error e = {0};
    hone_status st = hone_gguf_open_memory(buf, n, &f, &e);
    if (st != HONE_OK) print_error("unexpected failure: %s\n", e.msg);
    assert_int_equal(st, HONE_OK);
    assert_non_null(f);
    return f;
}

/* Serializes w, opens it (in an exactly-sized buffer so sanitizers see any
 * over-read) and checks the status and that the message contains `want`. */
static void expect_fail(gguf_writer *w, hone_status want_st, const char *want)
{
    size_t n;
    uint8_t *buf = gw_finish(w, &n);
    hone_gguf_file *f = NULL;
    hone_error e = {0};
    hone_status st = hone_gguf_open_memory(buf, n, &f, &e);
    if (st != want_st || !strstr(e.msg, want))
        print_error("want %s / '%s', got %s / '%s'\n", hone_status_name(want_st), want,
                    hone_status_name(st), e.msg);
    assert_int_equal(st, want_st);
    assert_null(f);
    assert_non_null(strstr(e.msg, want));
    assert_null(strchr(e.msg, '\n'));
    free(buf);
    gw_free(w);
}

static void expect_buf_fail(const uint8_t *buf, size_t n, hone_status want_st, const char *want)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, buf, n);
    hone_gguf_file *f = NULL;
    hone_error e = {0};
    hone_status st = hone_gguf_open_memory(copy, n, &f, &e);
    if (st != want_st || !strstr(e.msg, want))
        print_error("want %s / '%s', got %s / '%s'\n", hone_status_name(want_st), want,
                    hone_status_name(st), e.msg);
    assert_int_equal(st, want_st);
    assert_non_null(strstr(e.msg, want));
    free(copy);
}

static gguf_writer *base_writer(void)
{
    gguf_writer *w = gw_new();
    gw_str(w, "general.architecture", "llama");
    return w;
}

static void put_u64_at(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------------ */
/* valid files */

static void test_all_value_types(void **state)
{
    (void)state;
    gguf_writer *w = base_writer();
    gw_u8(w, "u8", 200);
    gw_i8(w, "i8", -100);
    gw_u16(w, "u16", 60000);
    gw_i16(w, "i16", -30000);
    gw_u32(w, "u32", 4000000000u);
    gw_i32(w, "i32", -2000000000);
    gw_u64(w, "u64", 0x123456789abcdefull);
    gw_i64(w, "i64", -5);
    gw_f32(w, "f32", 1.5f);
    gw_f64(w, "f64", 0.25);
    gw_bool(w, "bool", true);
    gw_str(w, "str", "hello\nworld");
    gw_str(w, "empty", "");
    const char *toks[] = {"<s>", "", "hello", "\xe2\x96\x81world"};
    gw_arr_str(w, "toks", toks, 4);
    float fa[] = {1.0f, -2.5f, 3.25f};
    gw_arr(w, "fa", HONE_GGUF_TYPE_FLOAT32, fa, 3);
    int32_t ia[] = {-1, 2, INT32_MAX};
    gw_arr(w, "ia", HONE_GGUF_TYPE_INT32, ia, 3);
    uint32_t ua[] = {7, 8};
    gw_arr(w, "ua", HONE_GGUF_TYPE_UINT32, ua, 2);
    int8_t i8a[] = {-3, 4};
    gw_arr(w, "i8a", HONE_GGUF_TYPE_INT8, i8a, 2);
    uint64_t u64a[] = {1, 2, 3};
    gw_arr(w, "u64a", HONE_GGUF_TYPE_UINT64, u64a, 3);
    double f64a[] = {0.5, -0.75};
    gw_arr(w, "f64a", HONE_GGUF_TYPE_FLOAT64, f64a, 2);
    bool ba[] = {true, false, true};
    gw_arr(w, "ba", HONE_GGUF_TYPE_BOOL, ba, 3);
    gw_arr(w, "none", HONE_GGUF_TYPE_UINT16, NULL, 0);
    gw_arr_str(w, "nostr", NULL, 0);
    size_t n;
    uint8_t *buf = gw_finish(w, &n);
    gw_free(w);

    hone_gguf_file *f = open_ok(buf, n);
    hone_error e = {0};
    assert_int_equal(hone_gguf_version(f), 3);
    assert_int_equal(hone_gguf_alignment(f), 32);
    assert_int_equal(hone_gguf_n_kv(f), 24);
    assert_int_equal(hone_gguf_n_tensors(f), 0);
    assert_int_equal(hone_gguf_file_size(f), n);
    assert_string_equal(hone_gguf_path(f), "");

    uint32_t u32;
    int32_t i32;
    uint64_t u64;
    float f32;
    bool b;
    hone_gguf_str s;
    assert_int_equal(hone_gguf_get_u32(f, "u8", &u32, &e), HONE_OK);
    assert_int_equal(u32, 200);
    assert_int_equal(hone_gguf_get_i32(f, "i8", &i32, &e), HONE_OK);
    assert_int_equal(i32, -100);
    assert_int_equal(hone_gguf_get_u32(f, "u16", &u32, &e), HONE_OK);
    assert_int_equal(u32, 60000);
    assert_int_equal(hone_gguf_get_i32(f, "i16", &i32, &e), HONE_OK);
    assert_int_equal(i32, -30000);
    assert_int_equal(hone_gguf_get_u32(f, "u32", &u32, &e), HONE_OK);
    assert_int_equal(u32, 4000000000u);
    assert_int_equal(hone_gguf_get_u64(f, "u32", &u64, &e), HONE_OK);
    assert_int_equal(u64, 4000000000u);
    assert_int_equal(hone_gguf_get_i32(f, "i32", &i32, &e), HONE_OK);
    assert_int_equal(i32, -2000000000);
    assert_int_equal(hone_gguf_get_u64(f, "u64", &u64, &e), HONE_OK);
    assert_true(u64 == 0x123456789abcdefull);
    assert_int_equal(hone_gguf_get_i32(f, "i64", &i32, &e), HONE_OK);
    assert_int_equal(i32, -5);
    assert_int_equal(hone_gguf_get_f32(f, "f32", &f32, &e), HONE_OK);
    assert_true(f32 == 1.5f);
    assert_int_equal(hone_gguf_get_f32(f, "f64", &f32, &e), HONE_OK);
    assert_true(f32 == 0.25f);
    assert_int_equal(hone_gguf_get_bool(f, "bool", &b, &e), HONE_OK);
    assert_true(b);
    assert_int_equal(hone_gguf_get_str(f, "str", &s, &e), HONE_OK);
    assert_int_equal(s.len, 11);
    assert_true(hone_gguf_str_eq(s, "hello\nworld"));
    assert_false(hone_gguf_str_eq(s, "hello"));
    char *dup = hone_gguf_str_dup(s);
    assert_string_equal(dup, "hello\nworld");
    free(dup);
    assert_int_equal(hone_gguf_get_str(f, "empty", &s, &e), HONE_OK);
    assert_int_equal(s.len, 0);
    assert_true(hone_gguf_str_eq(s, ""));

    /* out-of-range conversions fail cleanly, naming the key */
    assert_int_equal(hone_gguf_get_i32(f, "u32", &i32, &e), HONE_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "'u32'"));
    assert_non_null(strstr(e.msg, "does not fit"));
    assert_int_equal(hone_gguf_get_u32(f, "i8", &u32, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_u64(f, "i64", &u64, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_u32(f, "u64", &u32, &e), HONE_ERR_FORMAT);

    /* arrays */
    const hone_gguf_kv *kv;
    assert_int_equal(hone_gguf_get_arr(f, "toks", HONE_GGUF_TYPE_STRING, &kv, &e), HONE_OK);
    assert_int_equal(kv->arr_n, 4);
    for (int i = 0; i < 4; i++) assert_true(hone_gguf_str_eq(hone_gguf_arr_str(kv, (uint64_t)i), toks[i]));
    assert_int_equal(hone_gguf_arr_str(kv, 4).len, 0); /* out of range: empty, no crash */
    assert_int_equal(hone_gguf_get_arr(f, "fa", HONE_GGUF_TYPE_FLOAT32, &kv, &e), HONE_OK);
    for (int i = 0; i < 3; i++) assert_true(hone_gguf_arr_f32(kv, (uint64_t)i) == fa[i]);
    assert_int_equal(hone_gguf_get_arr(f, "ia", HONE_GGUF_TYPE_COUNT, &kv, &e), HONE_OK);
    for (int i = 0; i < 3; i++) assert_int_equal(hone_gguf_arr_i32(kv, (uint64_t)i), ia[i]);
    assert_int_equal(hone_gguf_get_arr(f, "ua", HONE_GGUF_TYPE_UINT32, &kv, &e), HONE_OK);
    assert_int_equal(hone_gguf_arr_u32(kv, 1), 8);
    assert_int_equal(hone_gguf_get_arr(f, "i8a", HONE_GGUF_TYPE_INT8, &kv, &e), HONE_OK);
    assert_int_equal(hone_gguf_arr_i32(kv, 0), -3); /* widened */
    assert_int_equal(hone_gguf_get_arr(f, "u64a", HONE_GGUF_TYPE_UINT64, &kv, &e), HONE_OK);
    assert_int_equal(hone_gguf_arr_u32(kv, 2), 3);
    assert_int_equal(hone_gguf_get_arr(f, "f64a", HONE_GGUF_TYPE_FLOAT64, &kv, &e), HONE_OK);
    assert_true(hone_gguf_arr_f32(kv, 1) == -0.75f);
    assert_int_equal(hone_gguf_get_arr(f, "ba", HONE_GGUF_TYPE_BOOL, &kv, &e), HONE_OK);
    assert_int_equal(hone_gguf_arr_u32(kv, 0), 1);
    assert_int_equal(hone_gguf_arr_u32(kv, 1), 0);
    assert_int_equal(hone_gguf_get_arr(f, "none", HONE_GGUF_TYPE_UINT16, &kv, &e), HONE_OK);
    assert_int_equal(kv->arr_n, 0);
    assert_int_equal(hone_gguf_get_arr(f, "nostr", HONE_GGUF_TYPE_STRING, &kv, &e), HONE_OK);
    assert_int_equal(kv->arr_n, 0);
    assert_int_equal(hone_gguf_arr_str(kv, 0).len, 0);

    /* type mismatches name the key and both types */
    assert_int_equal(hone_gguf_get_u32(f, "str", &u32, &e), HONE_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "'str'"));
    assert_non_null(strstr(e.msg, "string"));
    assert_non_null(strstr(e.msg, "u32"));
    assert_int_equal(hone_gguf_get_str(f, "u8", &s, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_bool(f, "u8", &b, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_f32(f, "u8", &f32, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_arr(f, "fa", HONE_GGUF_TYPE_STRING, &kv, &e), HONE_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "array of f32"));
    assert_int_equal(hone_gguf_get_arr(f, "u8", HONE_GGUF_TYPE_COUNT, &kv, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_u32(f, "toks", &u32, &e), HONE_ERR_FORMAT);
    assert_int_equal(hone_gguf_get_u32(f, "no.such.key", &u32, &e), HONE_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "missing key 'no.such.key'"));
    assert_null(hone_gguf_find(f, "no.such.key"));

    /* lookup order and formatting */
    assert_string_equal(hone_gguf_kv_at(f, 0)->key, "general.architecture");
    assert_null(hone_gguf_kv_at(f, 24));
    char txt[64];
    hone_gguf_kv_format(hone_gguf_find(f, "i8"), txt, sizeof txt);
    assert_string_equal(txt, "-100");
    hone_gguf_kv_format(hone_gguf_find(f, "u64"), txt, sizeof txt);
    assert_string_equal(txt, "81985529216486895");
    hone_gguf_kv_format(hone_gguf_find(f, "f32"), txt, sizeof txt);
    assert_string_equal(txt, "1.5");
    hone_gguf_kv_format(hone_gguf_find(f, "bool"), txt, sizeof txt);
    assert_string_equal(txt, "true");
    hone_gguf_kv_format(hone_gguf_find(f, "str"), txt, sizeof txt);
    assert_string_equal(txt, "hello\\nworld");
    hone_gguf_kv_format(hone_gguf_find(f, "toks"), txt, sizeof txt);
    assert_string_equal(txt, "[4 strings]");
    hone_gguf_kv_format(hone_gguf_find(f, "fa"), txt, sizeof txt);
    assert_string_equal(txt, "[3 f32 values]");
    hone_gguf_kv_format(hone_gguf_find(f, "str"), txt, 4); /* truncates, stays terminated */
    assert_true(strlen(txt) < 4);
    assert_string_equal(hone_gguf_type_name(HONE_GGUF_TYPE_STRING), "string");
    assert_string_equal(hone_gguf_type_name(HONE_GGUF_TYPE_FLOAT64), "f64");
    hone_gguf_close(f);
    free(buf);
}

/* Tensors of several types: shapes, sizes, offsets and data views. */
static void test_tensors(void **state)
{
    (void)state;
    gguf_writer *w = base_writer();
    float emb[4 * 3];
    for (int i = 0; i < 12; i++) emb[i] = (float)i * 0.5f;
    uint64_t ne_emb[2] = {4, 3};
    gw_tensor(w, "token_embd.weight", HONE_TYPE_F32, 2, ne_emb, emb);
    uint64_t ne_q[2] = {64, 5}; /* 2 blocks of 18 bytes per row */
    uint8_t q[5 * 36];
    for (int i = 0; i < 180; i++) q[i] = (uint8_t)i;
    gw_tensor(w, "blk.0.attn_q.weight", HONE_TYPE_Q4_0, 2, ne_q, q);
    uint64_t ne_k[3] = {256, 2, 3};
    gw_tensor(w, "k", HONE_TYPE_Q4_K, 3, ne_k, NULL);
    uint64_t ne_v[1] = {7};
    gw_tensor(w, "norm", HONE_TYPE_F16, 1, ne_v, NULL);
    uint64_t ne_z[2] = {0, 5};
    gw_tensor(w, "empty", HONE_TYPE_F32, 2, ne_z, NULL);
    gw_tensor(w, "scalar", HONE_TYPE_F32, 0, NULL, NULL);
    size_t n;
    uint8_t *buf = gw_finish(w, &n);
    gw_free(w);

    hone_gguf_file *f = open_ok(buf, n);
    assert_int_equal(hone_gguf_n_tensors(f), 6);
    assert_int_equal(hone_gguf_data_offset(f) % 32, 0);
    const hone_gguf_tensor *t = hone_gguf_find_tensor(f, "token_embd.weight");
    assert_non_null(t);
    assert_ptr_equal(t, hone_gguf_tensor_at(f, 0));
    assert_int_equal(t->type, HONE_TYPE_F32);
    assert_int_equal(t->n_dims, 2);
    assert_int_equal(t->ne[0], 4);
    assert_int_equal(t->ne[1], 3);
    assert_int_equal(t->ne[2], 1);
    assert_int_equal(t->n_elements, 12);
    assert_int_equal(t->size, 48);
    assert_int_equal(t->offset, 0);
    assert_ptr_equal(t->data, buf + hone_gguf_data_offset(f));
    assert_memory_equal(t->data, emb, sizeof emb); /* a view, no copy */

    t = hone_gguf_find_tensor(f, "blk.0.attn_q.weight");
    assert_int_equal(t->size, 5 * 36);
    assert_int_equal(t->offset, 64);
    assert_int_equal(t->offset % 32, 0);
    assert_memory_equal(t->data, q, sizeof q);
    t = hone_gguf_find_tensor(f, "k");
    assert_int_equal(t->n_elements, 256 * 6);
    assert_int_equal(t->size, 6 * 144);
    t = hone_gguf_find_tensor(f, "norm");
    assert_int_equal(t->size, 14);
    t = hone_gguf_find_tensor(f, "empty");
    assert_int_equal(t->n_elements, 0);
    assert_int_equal(t->size, 0);
    t = hone_gguf_find_tensor(f, "scalar");
    assert_int_equal(t->n_dims, 0);
    assert_int_equal(t->n_elements, 1);
    assert_int_equal(t->size, 4);
    assert_null(hone_gguf_find_tensor(f, "nope"));
    assert_null(hone_gguf_tensor_at(f, 6));
    hone_gguf_close(f);
    free(buf);
}

static void test_version2_and_alignment(void **state)
{
    (void)state;
    gguf_writer *w = base_writer();
    gw_set_version(w, 2);
    gw_set_alignment(w, 256);
    uint64_t ne[1] = {10};
    gw_tensor(w, "a", HONE_TYPE_F32, 1, ne, NULL);
    gw_tensor(w, "b", HONE_TYPE_F32, 1, ne, NULL);
    size_t n;
    uint8_t *buf = gw_finish(w, &n);
    gw_free(w);
    hone_gguf_file *f = open_ok(buf, n);
    assert_int_equal(hone_gguf_version(f), 2);
    assert_int_equal(hone_gguf_alignment(f), 256);
    assert_int_equal(hone_gguf_data_offset(f) % 256, 0);
    assert_int_equal(hone_gguf_find_tensor(f, "b")->offset, 256);
    hone_gguf_close(f);
    free(buf);
}

/* The flags line of /proc/self/smaps for the mapping holding p: whether
 * the kernel may back it with huge pages ("THPeligible: 1"); -1 if not
 * found (not Linux). */
static int thp_eligible(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    bool in = false;
    int r = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2) in = (uintptr_t)p >= a && (uintptr_t)p < b;
        else if (in && sscanf(line, "THPeligible: %d", &r) == 1) break;
    }
    fclose(f);
    return r;
}

/* A read (no_mmap) file of 2 MiB or more lands in a 2 MiB-aligned buffer
 * marked for transparent huge pages (decode streams it: load_plan.h), and
 * reads back exactly, also when threads read it in parts (66 MiB: two
 * parts of at least 32 MiB). */
static void test_read_huge_pages(void **state)
{
    (void)state;
    char path[] = "/tmp/hone_test_gguf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    enum { N = 33 << 19 }; /* 66 MiB of F32 */
    float *v = malloc(sizeof(float) * N);
    assert_non_null(v);
    for (int i = 0; i < N; i++) v[i] = (float)(i % 1009);
    gguf_writer *w = base_writer();
    uint64_t ne[2] = {1024, N / 1024};
    gw_tensor(w, "t", HONE_TYPE_F32, 2, ne, v);
    assert_true(gw_save(w, path));
    gw_free(w);
    for (int threads = 1; threads <= 4; threads += 3) {
        const hone_gguf_open_opts o = {.no_mmap = true, .read_threads = threads};
        hone_gguf_file *f = NULL;
        hone_error e = {0};
        assert_int_equal(hone_gguf_open(path, &o, &f, &e), HONE_OK);
        const hone_gguf_tensor *t = hone_gguf_find_tensor(f, "t");
        assert_true(memcmp(t->data, v, sizeof(float) * N) == 0);
        hone_gguf_close(f);
    }
    const hone_gguf_open_opts o = {.no_mmap = true};
    hone_gguf_file *f = NULL;
    hone_error e = {0};
    assert_int_equal(hone_gguf_open(path, &o, &f, &e), HONE_OK);
    const hone_gguf_tensor *t = hone_gguf_find_tensor(f, "t");
    const uint8_t *base = (const uint8_t *)t->data - hone_gguf_data_offset(f) - t->offset;
    assert_int_equal((uintptr_t)base % (2u << 20), 0);
    char thp[128] = "", mode[16];
    FILE *fp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (fp) {
        if (!fgets(thp, sizeof thp, fp)) thp[0] = '\0';
        fclose(fp);
    }
    if (hone_load_thp_mode(thp, mode, sizeof mode) && strcmp(mode, "never") != 0)
        assert_int_equal(thp_eligible(t->data), 1);
    hone_gguf_close(f);
    free(v);
    unlink(path);
}

static void test_open_file_modes(void **state)
{
    (void)state;
    char path[] = "/tmp/hone_test_gguf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    gguf_writer *w = base_writer();
    uint64_t ne[2] = {32, 2};
    float v[64];
    for (int i = 0; i < 64; i++) v[i] = (float)i;
    gw_tensor(w, "t", HONE_TYPE_F32, 2, ne, v);
    assert_true(gw_save(w, path));
    gw_free(w);

    /* mmap, read, mmap + mlock, mmap with every page mapped at once */
    const hone_gguf_open_opts modes[4] = {{.no_mmap = false}, {.no_mmap = true}, {.mlock = true},
                                          {.populate = true}};
    for (int m = 0; m < 4; m++) {
        hone_gguf_file *f = NULL;
        hone_error e = {0};
        hone_status st = hone_gguf_open(path, &modes[m], &f, &e);
        if (m == 2 && st != HONE_OK) {
            /* mlock may be refused by the limits here: must be clean */
            assert_int_equal(st, HONE_ERR_IO);
            assert_non_null(strstr(e.msg, "mlock"));
            continue;
        }
        assert_int_equal(st, HONE_OK);
        assert_string_equal(hone_gguf_path(f), path);
        const hone_gguf_tensor *t = hone_gguf_find_tensor(f, "t");
        assert_memory_equal(t->data, v, sizeof v);
        hone_gguf_close(f);
    }
    hone_gguf_file *f = NULL;
    hone_error e = {0};
    assert_int_equal(hone_gguf_open(path, NULL, &f, &e), HONE_OK);
    hone_gguf_close(f);

    /* errors from files carry the path */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite("GGUF\x03\0\0\0", 1, 8, fp);
    fclose(fp);
    assert_int_equal(hone_gguf_open(path, NULL, &f, &e), HONE_ERR_FORMAT);
    assert_null(f);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(strstr(e.msg, "truncated header"));
    fp = fopen(path, "wb");
    fclose(fp);
    assert_int_equal(hone_gguf_open(path, NULL, &f, &e), HONE_ERR_FORMAT); /* empty */
    assert_non_null(strstr(e.msg, "has 0 bytes"));
    unlink(path);
    assert_int_equal(hone_gguf_open(path, NULL, &f, &e), HONE_ERR_IO);
    assert_non_null(strstr(e.msg, "No such file"));
    assert_int_equal(hone_gguf_open("/tmp", NULL, &f, &e), HONE_ERR_IO);
    assert_non_null(strstr(e.msg, "not a regular file"));
}

/* ------------------------------------------------------------------ */
/* bad files */

static void test_bad_header(void **state)
{
    (void)state;
    gguf_writer *w = base_writer();
    size_t n;
    uint8_t *good = gw_finish(w, &n);
    gw_free(w);
    uint8_t *b = malloc(n);
    assert_non_null(b);

    memcpy(b, good, n);
    b[0] = 'X';
    expect_buf_fail(b, n, HONE_ERR_FORMAT, "bad magic 'XGUF'");
    expect_buf_fail(b, 0, HONE_ERR_FORMAT, "truncated header");
    expect_buf_fail(good, 3, HONE_ERR_FORMAT, "truncated header");
    expect_buf_fail(good, 23, HONE_ERR_FORMAT, "truncated header");

    static const struct {
        uint32_t v;
        hone_status st;
        const char *msg;
    } versions[] = {
        {0, HONE_ERR_FORMAT, "version 0"},
        {1, HONE_ERR_UNSUPPORTED, "version 1"},
        {4, HONE_ERR_UNSUPPORTED, "version 4"},
        {0x03000000, HONE_ERR_FORMAT, "big-endian"},
    };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        memcpy(b, good, n);
        for (int k = 0; k < 4; k++) b[4 + k] = (uint8_t)(versions[i].v >> (8 * k));
        expect_buf_fail(b, n, versions[i].st, versions[i].msg);
    }
    memcpy(b, good, n);
    put_u64_at(b + 8, UINT64_MAX); /* tensor count */
    expect_buf_fail(b, n, HONE_ERR_FORMAT, "claims 18446744073709551615 tensors");
    memcpy(b, good, n);
    put_u64_at(b + 16, 1ull << 40); /* kv count */
    expect_buf_fail(b, n, HONE_ERR_FORMAT, "claims 1099511627776 keys");
    memcpy(b, good, n);
    put_u64_at(b + 16, 2); /* one more kv than present: runs into EOF */
    expect_buf_fail(b, n, HONE_ERR_FORMAT, "truncated");
    free(b);
    free(good);
}

static void test_bad_kvs(void **state)
{
    (void)state;
    gguf_writer *w;
    uint8_t raw[64];

    /* key length larger than the file */
    w = base_writer();
    gw_str(w, "x", "y");
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    gw_free(w);
    put_u64_at(b + 24, 1ull << 50);
    expect_buf_fail(b, n, HONE_ERR_FORMAT, "key 0 at offset 24: length 1125899906842624 exceeds");
    free(b);

    w = base_writer();
    gw_kv_raw(w, "", 0, "\x04\0\0\0\1\0\0\0", 8);
    expect_fail(w, HONE_ERR_FORMAT, "key 1 at offset");
    w = base_writer();
    gw_kv_raw(w, "", 0, "\x04\0\0\0\1\0\0\0", 8);
    expect_fail(w, HONE_ERR_FORMAT, "is empty");

    w = base_writer();
    gw_kv_raw(w, "a\0b", 3, "\x04\0\0\0\1\0\0\0", 8);
    expect_fail(w, HONE_ERR_FORMAT, "NUL byte");

    w = base_writer(); /* value type 13 does not exist */
    gw_kv_raw(w, "bad.type", 8, "\x0d\0\0\0\1\0\0\0", 8);
    expect_fail(w, HONE_ERR_FORMAT, "key 'bad.type' at offset");
    w = base_writer();
    gw_kv_raw(w, "bad.type", 8, "\xff\xff\xff\xff\1\0\0\0", 8);
    expect_fail(w, HONE_ERR_FORMAT, "invalid value type 4294967295");

    w = base_writer(); /* array of arrays */
    memcpy(raw, "\x09\0\0\0" "\x09\0\0\0" "\1\0\0\0\0\0\0\0" "\x04\0\0\0" "\1\0\0\0\0\0\0\0" "\7\0\0\0", 32);
    gw_kv_raw(w, "nested", 6, raw, 32);
    expect_fail(w, HONE_ERR_FORMAT, "key 'nested' at offset 69 is an array of arrays");

    w = base_writer(); /* bad element type */
    gw_kv_raw(w, "arr", 3, "\x09\0\0\0\x20\0\0\0\0\0\0\0\0\0\0\0", 16);
    expect_fail(w, HONE_ERR_FORMAT, "invalid array element type 32");

    w = base_writer(); /* huge array count */
    memcpy(raw, "\x09\0\0\0\x06\0\0\0", 8);
    put_u64_at(raw + 8, 1ull << 61);
    gw_kv_raw(w, "big", 3, raw, 16);
    expect_fail(w, HONE_ERR_FORMAT, "key 'big' at offset 69: array of 2305843009213693952 f32 cannot fit");

    w = base_writer(); /* huge count of strings: must not allocate for it */
    memcpy(raw, "\x09\0\0\0\x08\0\0\0", 8);
    put_u64_at(raw + 8, UINT64_MAX / 8);
    gw_kv_raw(w, "toks", 4, raw, 16);
    expect_fail(w, HONE_ERR_FORMAT, "array of 2305843009213693951 string cannot fit");

    w = base_writer(); /* huge string length in a scalar */
    memcpy(raw, "\x08\0\0\0", 4);
    put_u64_at(raw + 4, UINT64_MAX);
    gw_kv_raw(w, "s", 1, raw, 12);
    expect_fail(w, HONE_ERR_FORMAT, "key 's' at offset 69: string length 18446744073709551615 exceeds");

    w = base_writer(); /* huge string length inside a string array */
    memcpy(raw, "\x09\0\0\0\x08\0\0\0\x02\0\0\0\0\0\0\0" "\1\0\0\0\0\0\0\0" "a", 25);
    put_u64_at(raw + 25, 1ull << 40);
    gw_kv_raw(w, "toks", 4, raw, 33);
    expect_fail(w, HONE_ERR_FORMAT, "key 'toks': string 1 at offset");

    w = base_writer(); /* value cut short by EOF */
    gw_kv_raw(w, "u64", 3, "\x0a\0\0\0\1\2\3", 7);
    expect_fail(w, HONE_ERR_FORMAT, "truncated");

    w = base_writer();
    gw_u32(w, "dup", 1);
    gw_str(w, "other", "x");
    gw_u32(w, "dup", 2);
    expect_fail(w, HONE_ERR_FORMAT, "duplicate key 'dup' at offsets 69 and");

    w = base_writer();
    gw_set_alignment(w, 0);
    expect_fail(w, HONE_ERR_FORMAT, "general.alignment is 0");
    w = base_writer();
    gw_set_alignment(w, 48);
    expect_fail(w, HONE_ERR_FORMAT, "general.alignment is 48, must be a non-zero power of two");
    w = base_writer();
    gw_u64(w, "general.alignment", 32);
    expect_fail(w, HONE_ERR_FORMAT, "'general.alignment' at offset 69 is u64, must be u32");
}

static void test_bad_tensors(void **state)
{
    (void)state;
    gguf_writer *w;
    uint64_t ne2[2] = {32, 2};

    w = base_writer();
    gw_tensor(w, "0123456789012345678901234567890123456789012345678901234567890123", HONE_TYPE_F32, 2,
              ne2, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor name 0 at offset 69 is 64 bytes long, the limit is 63");

    uint64_t ne5[5] = {1, 1, 1, 1, 1};
    w = base_writer();
    gw_tensor(w, "five", HONE_TYPE_F32, 5, ne5, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'five' has 5 dimensions, at most 4");

    uint64_t neg[2] = {32, (uint64_t)-2};
    w = base_writer();
    gw_tensor(w, "neg", HONE_TYPE_F32, 2, neg, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'neg' dimension 1 is negative (-2)");

    uint64_t big[3] = {1ull << 32, 1ull << 31, 2};
    w = base_writer();
    gw_tensor(w, "big", HONE_TYPE_F32, 3, big, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'big' shape [4294967296, 2147483648, 2, 1] has more than 2^63");

    uint64_t bytes[1] = {1ull << 62}; /* 2^62 f64 = 2^65 bytes */
    w = base_writer();
    gw_tensor(w, "huge", HONE_TYPE_F64, 1, bytes, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'huge' row byte size overflows");

    w = base_writer();
    gw_tensor(w, "t40", 40, 2, ne2, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 't40' has unknown type id 40");
    w = base_writer();
    gw_tensor(w, "tbig", 0xffffffffu, 2, ne2, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "unknown type id 4294967295");
    w = base_writer();
    gw_tensor(w, "old", 4, 2, ne2, NULL);
    expect_fail(w, HONE_ERR_UNSUPPORTED, "tensor 'old' uses removed type q4_2 (id 4)");
    w = base_writer();
    gw_tensor(w, "old", 31, 2, ne2, NULL);
    expect_fail(w, HONE_ERR_UNSUPPORTED, "removed type q4_0_4_4 (id 31)");

    uint64_t ragged[2] = {33, 2};
    w = base_writer();
    gw_tensor(w, "ragged", HONE_TYPE_Q4_0, 2, ragged, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'ragged' of type q4_0 has rows of 33 elements, not a multiple of the block size 32");

    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor(w, "b", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor_offset(w, 257);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'b' offset 257 is not a multiple of the alignment 32");

    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor_offset(w, 1ull << 40);
    expect_fail(w, HONE_ERR_FORMAT, "tensor 'a' (256 bytes at file offset");
    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor_offset(w, UINT64_MAX - 31); /* offset + size wraps */
    expect_fail(w, HONE_ERR_FORMAT, "extends past the end of the file");
    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor_offset(w, 32); /* the data is 256 bytes from 0: 32..288 overhangs */
    expect_fail(w, HONE_ERR_FORMAT, "extends past the end");

    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor(w, "b", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor_offset(w, 128);
    expect_fail(w, HONE_ERR_FORMAT, "tensors 'a' and 'b' overlap");

    w = base_writer();
    gw_tensor(w, "w", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor(w, "x", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor(w, "w", HONE_TYPE_F32, 2, ne2, NULL);
    expect_fail(w, HONE_ERR_FORMAT, "duplicate tensor name 'w' (tensors 0 and 2)");

    /* the file ends inside the padding before the data section */
    w = base_writer();
    uint64_t ne0[1] = {0};
    gw_tensor(w, "z", HONE_TYPE_F32, 1, ne0, NULL);
    size_t n;
    uint8_t *b = gw_finish(w, &n);
    gw_free(w);
    hone_gguf_file *f = open_ok(b, n);
    uint64_t end_info = hone_gguf_data_offset(f);
    hone_gguf_close(f);
    expect_buf_fail(b, (size_t)end_info - 1, HONE_ERR_FORMAT, "tensor data section would start at");
    free(b);

    /* a tensor count larger than the infos present */
    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_set_counts(w, 2, 1);
    expect_fail(w, HONE_ERR_FORMAT, "");
    /* one too many, in a file that is otherwise whole: said so, not a
     * tensor read from the data (hostile_count-plus1 has the real models) */
    w = base_writer();
    gw_tensor(w, "a", HONE_TYPE_F32, 2, ne2, NULL);
    gw_tensor(w, "b", HONE_TYPE_F32, 2, ne2, NULL);
    gw_set_counts(w, 3, 1);
    expect_fail(w, HONE_ERR_FORMAT, "claims 3 tensors but the file holds 2: the tensor count is wrong");
}

/* Every ggml type id: a layout opens with the right size, a removed id is
 * UNSUPPORTED by name, ids past the table are unknown. */
static void test_every_type(void **state)
{
    (void)state;
    int n_ok = 0, n_removed = 0;
    for (uint32_t t = 0; t <= HONE_TYPE_COUNT + 1; t++) {
        const hone_type_info *ti = hone_type_get(t);
        uint64_t ne[2] = {ti && ti->blck_size ? 2 * (uint64_t)ti->blck_size : 32, 3};
        gguf_writer *w = base_writer();
        gw_tensor(w, "w", t, 2, ne, NULL);
        if (!ti) {
            assert_true(t >= HONE_TYPE_COUNT);
            expect_fail(w, HONE_ERR_FORMAT, "unknown type id");
            continue;
        }
        assert_non_null(ti->name);
        if (ti->type_size == 0) {
            char want[64];
            snprintf(want, sizeof want, "removed type %s (id %u)", ti->name, t);
            expect_fail(w, HONE_ERR_UNSUPPORTED, want);
            n_removed++;
            continue;
        }
        size_t n;
        uint8_t *buf = gw_finish(w, &n);
        gw_free(w);
        hone_gguf_file *f = open_ok(buf, n);
        const hone_gguf_tensor *x = hone_gguf_find_tensor(f, "w");
        assert_int_equal(x->type, t);
        assert_int_equal(x->size, 6 * (uint64_t)ti->type_size);
        assert_string_equal(hone_type_name(t), ti->name);
        hone_gguf_close(f);
        free(buf);
        n_ok++;
    }
    assert_int_equal(n_ok, 32);     /* ggml's live types */
    assert_int_equal(n_removed, 8); /* 4, 5, 31..33, 36..38 */
}

/* llama.cpp's limits (1 GiB strings, 2^30 array elements) hold even when
 * the file is big enough: checked on sparse files, nothing is read. */
static void test_llama_caps(void **state)
{
    (void)state;
    static const struct {
        uint32_t elem;
        const char *msg;
    } cases[] = {
        {HONE_GGUF_TYPE_UINT8, "array of 1073741825 elements exceeds the limit of 2^30"},
        {HONE_GGUF_TYPE_STRING, "string length 1073741825 exceeds the 1 GiB limit"},
    };
    for (int c = 0; c < 2; c++) {
        char path[] = "/tmp/hone_test_gguf_caps_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        gguf_writer *w = base_writer();
        uint8_t raw[24];
        size_t n = 0;
        if (cases[c].elem == HONE_GGUF_TYPE_UINT8) {
            memcpy(raw, "\x09\0\0\0\0\0\0\0", 8);
            put_u64_at(raw + 8, (1ull << 30) + 1);
            n = 16;
        } else {
            memcpy(raw, "\x08\0\0\0", 4);
            put_u64_at(raw + 4, (1ull << 30) + 1);
            n = 12;
        }
        gw_kv_raw(w, "big", 3, raw, n);
        assert_true(gw_save(w, path));
        gw_free(w);
        if (truncate(path, (1ll << 30) + 4096) != 0) { /* sparse */
            unlink(path);
            skip();
        }
        hone_gguf_file *f = NULL;
        hone_error e = {0};
        hone_status st = hone_gguf_open(path, NULL, &f, &e);
        unlink(path);
        if (!strstr(e.msg, cases[c].msg)) print_error("got '%s'\n", e.msg);
        assert_int_equal(st, HONE_ERR_FORMAT);
        assert_non_null(strstr(e.msg, cases[c].msg));
    }
}

/* ------------------------------------------------------------------ */
/* the shared models and vocabularies */

static int count_blocks(const hone_gguf_file *f)
{
    int n = 0;
    char name[64];
    for (;; n++) {
        snprintf(name, sizeof name, "blk.%d.attn_norm.weight", n);
        if (!hone_gguf_find_tensor(f, name)) return n;
    }
}

static void check_shared_file(const char *path, bool is_model)
{
    hone_gguf_file *f = NULL;
    hone_error e = {0};
    hone_gguf_open_opts o = {.no_mmap = !is_model};
    hone_status st = hone_gguf_open(path, &o, &f, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, HONE_OK);

    hone_gguf_str arch;
    assert_int_equal(hone_gguf_get_str(f, "general.architecture", &arch, &e), HONE_OK);
    assert_true(arch.len > 0 && arch.len < 64);
    char key[128];
    snprintf(key, sizeof key, "%.*s.block_count", (int)arch.len, arch.ptr);

    /* tokens, scores and types describe the same vocabulary */
    const hone_gguf_kv *toks;
    assert_int_equal(hone_gguf_get_arr(f, "tokenizer.ggml.tokens", HONE_GGUF_TYPE_STRING, &toks, &e), HONE_OK);
    assert_true(toks->arr_n > 0);
    uint64_t total = 0;
    for (uint64_t i = 0; i < toks->arr_n; i++) total += hone_gguf_arr_str(toks, i).len;
    assert_true(total < hone_gguf_file_size(f));
    const hone_gguf_kv *kv = hone_gguf_find(f, "tokenizer.ggml.scores");
    if (kv) assert_int_equal(kv->arr_n, toks->arr_n);
    kv = hone_gguf_find(f, "tokenizer.ggml.token_type");
    if (kv) assert_int_equal(kv->arr_n, toks->arr_n);
    hone_gguf_str model;
    assert_int_equal(hone_gguf_get_str(f, "tokenizer.ggml.model", &model, &e), HONE_OK);

    if (is_model) {
        assert_true(hone_gguf_n_tensors(f) > 0);
        const hone_gguf_tensor *emb = hone_gguf_find_tensor(f, "token_embd.weight");
        assert_non_null(emb);
        assert_int_equal(emb->ne[1], toks->arr_n);
        uint32_t n_layer, n_embd;
        assert_int_equal(hone_gguf_get_u32(f, key, &n_layer, &e), HONE_OK);
        assert_int_equal(count_blocks(f), n_layer);
        snprintf(key, sizeof key, "%.*s.embedding_length", (int)arch.len, arch.ptr);
        assert_int_equal(hone_gguf_get_u32(f, key, &n_embd, &e), HONE_OK);
        assert_int_equal(emb->ne[0], n_embd);
        const uint8_t *base = (const uint8_t *)hone_gguf_tensor_at(f, 0)->data - hone_gguf_tensor_at(f, 0)->offset;
        for (uint64_t i = 0; i < hone_gguf_n_tensors(f); i++) {
            const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
            uint64_t row;
            assert_true(hone_row_bytes(t->type, t->ne[0], &row));
            assert_int_equal(t->size, row * (t->n_elements / t->ne[0]));
            assert_int_equal(t->offset % hone_gguf_alignment(f), 0);
            assert_true(hone_gguf_data_offset(f) + t->offset + t->size <= hone_gguf_file_size(f));
            assert_ptr_equal(t->data, base + t->offset);
            volatile uint8_t last = ((const uint8_t *)t->data)[t->size - 1]; /* mapped */
            (void)last;
        }
    }
    hone_gguf_close(f);
}

static int scan_dir(const char *dir, bool is_model)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 5, ".gguf") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        check_shared_file(path, is_model);
        n++;
    }
    closedir(d);
    return n;
}

/* hone_escape: model strings as one printable line, bounded. */
static void test_escape(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(hone_escape("a\x1b[2J\n\r\tb\x7f", 10, b, sizeof b), "a\\x1b[2J\\n\\r\\tb\\x7f");
    assert_string_equal(hone_escape("lla\0ma", 6, b, sizeof b), "lla\\x00ma");
    assert_string_equal(hone_escape("\xc2\x9b" "31m \xc3\xa9", 8, b, sizeof b), "\\xc2\\x9b31m \xc3\xa9");
    assert_string_equal(hone_escape_str("plain", b, sizeof b), "plain");
    /* exactly fits: no "..." */
    assert_string_equal(hone_escape_str("0123456", b, 8), "0123456");
    assert_string_equal(hone_escape_str("01234567", b, 8), "0123...");
    /* an escape is never cut, nor a UTF-8 sequence */
    assert_string_equal(hone_escape_str("012\x1b" "456789", b, 8), "012...");
    assert_string_equal(hone_escape_str("012\xe2\x82\xac" "456789", b, 8), "012...");
    assert_string_equal(hone_escape_str("01\xc3\xa9" "456789", b, 8), "01\xc3\xa9...");
    assert_string_equal(hone_escape_str("abcdef", b, 3), "");
    assert_string_equal(hone_escape(NULL, 5, b, sizeof b), "");
}

static void test_shared_files(void **state)
{
    (void)state;
    const char *shared = getenv("HONE_SHARED");
    if (!shared) {
        print_message("HONE_SHARED not set: skipping\n");
        skip();
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/models", shared);
    int nm = scan_dir(dir, true);
    snprintf(dir, sizeof dir, "%s/vocab", shared);
    int nv = scan_dir(dir, false);
    print_message("checked %d models and %d vocabularies\n", nm, nv);
    assert_true(nm > 0);
    assert_true(nv > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_value_types),
        cmocka_unit_test(test_tensors),
        cmocka_unit_test(test_version2_and_alignment),
        cmocka_unit_test(test_open_file_modes),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_bad_kvs),
        cmocka_unit_test(test_bad_tensors),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_llama_caps),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_shared_files),
        cmocka_unit_test(test_read_huge_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
