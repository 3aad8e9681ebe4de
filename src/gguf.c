/* gguf.c — GGUF v2/v3 reader (see gguf.h).
 *
 * Hostile input is the normal case: every count, length, dimension and
 * offset is checked against the bytes that are actually left before it is
 * used, multiplied or allocated for. Allocations grow with the content that
 * was parsed (never with a count the file merely claims), so a 4 KiB file
 * cannot make us allocate more than a few KiB. Everything we hand out points
 * into the mapping; only keys and tensor names are copied (to add the NUL).
 *
 * The rules follow llama.cpp's gguf.cpp (v1 and arrays of arrays rejected,
 * general.alignment must be a u32 power of two, tensor names < 64 bytes,
 * dims non-negative with an int64 element count) plus checks it leaves to
 * later stages: tensor offsets aligned and inside the file, no overlaps.
 */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HONE_GGUF_DEFAULT_ALIGNMENT 32
#define HONE_GGUF_MAX_NAME 64 /* tensor names are < 64 bytes (ggml's GGML_MAX_NAME) */
/* Smallest possible encodings, used to reject counts the file cannot hold:
 * a kv is key length + >= 1 key byte + type + >= 1 value byte; a tensor
 * info is name length + n_dims + type + offset. */
#define MIN_KV_BYTES 14u
#define MIN_TENSOR_BYTES 24u
/* llama.cpp's caps (gguf.cpp): files beyond them do not load there either */
#define MAX_STRING_LEN (1ull << 30)
#define MAX_ARRAY_LEN (1ull << 30)

enum { SRC_MEMORY, SRC_MMAP, SRC_MALLOC };

struct hone_gguf_file {
    char *path;
    const uint8_t *base;
    uint64_t size;
    int src;
    bool locked;
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    hone_gguf_kv *kv;
    uint64_t n_kv, cap_kv;
    hone_gguf_tensor *t;
    uint64_t n_t, cap_t;
    uint64_t *kv_hash; /* open addressing: index + 1, 0 = empty */
    uint64_t kv_hmask;
    uint64_t *t_hash;
    uint64_t t_hmask;
};

/* ------------------------------------------------------------------ */
/* little-endian decoding (works on any host byte order) */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static float f32_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static double f64_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* A key or tensor name for messages: escaped, bounded, one line. */
static const char *safe(const char *s, char buf[80]) { return hone_escape_str(s, buf, 80); }

/* ------------------------------------------------------------------ */
/* value types */

static const char *const TYPE_NAMES[HONE_GGUF_TYPE_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool",
    "string", "array", "u64", "i64", "f64",
};
/* bytes per value of the fixed-size types; 0 for string and array */
static const uint8_t TYPE_SIZES[HONE_GGUF_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

const char *hone_gguf_type_name(hone_gguf_type t)
{
    return (unsigned)t < HONE_GGUF_TYPE_COUNT ? TYPE_NAMES[t] : "?";
}

static bool type_is_int(hone_gguf_type t)
{
    return t == HONE_GGUF_TYPE_UINT8 || t == HONE_GGUF_TYPE_INT8 || t == HONE_GGUF_TYPE_UINT16 ||
           t == HONE_GGUF_TYPE_INT16 || t == HONE_GGUF_TYPE_UINT32 || t == HONE_GGUF_TYPE_INT32 ||
           t == HONE_GGUF_TYPE_UINT64 || t == HONE_GGUF_TYPE_INT64;
}
static bool type_is_signed(hone_gguf_type t)
{
    return t == HONE_GGUF_TYPE_INT8 || t == HONE_GGUF_TYPE_INT16 || t == HONE_GGUF_TYPE_INT32 ||
           t == HONE_GGUF_TYPE_INT64;
}

/* Integer at p of type t: sign-extended into *s for signed types,
 * zero-extended into *u for unsigned ones. */
static void read_int(hone_gguf_type t, const uint8_t *p, int64_t *s, uint64_t *u)
{
    switch (t) {
    case HONE_GGUF_TYPE_UINT8: *u = p[0]; break;
    case HONE_GGUF_TYPE_INT8: *s = (int8_t)p[0]; break;
    case HONE_GGUF_TYPE_UINT16: *u = le16(p); break;
    case HONE_GGUF_TYPE_INT16: *s = (int16_t)le16(p); break;
    case HONE_GGUF_TYPE_UINT32: *u = le32(p); break;
    case HONE_GGUF_TYPE_INT32: *s = (int32_t)le32(p); break;
    case HONE_GGUF_TYPE_UINT64: *u = le64(p); break;
    case HONE_GGUF_TYPE_INT64: *s = (int64_t)le64(p); break;
    default: *s = 0; *u = 0; break;
    }
}

/* ------------------------------------------------------------------ */
/* bounded reader over the file bytes */

typedef struct {
    const uint8_t *p;
    uint64_t size;
    uint64_t pos;
} reader;

static uint64_t left(const reader *r) { return r->size - r->pos; }

static bool rd_u32(reader *r, uint32_t *v)
{
    if (left(r) < 4) return false;
    *v = le32(r->p + r->pos);
    r->pos += 4;
    return true;
}
static bool rd_u64(reader *r, uint64_t *v)
{
    if (left(r) < 8) return false;
    *v = le64(r->p + r->pos);
    r->pos += 8;
    return true;
}

/* "file truncated at byte N while reading <what>" (what: printf format) */
static hone_status truncated(const reader *r, hone_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static hone_status truncated(const reader *r, hone_error *err, const char *fmt, ...)
{
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return hone_fail(err, HONE_ERR_FORMAT, "file truncated at byte %" PRIu64 " while reading %s",
                     r->size, what);
}

/* Which bound a string length broke, for messages. */
static const char *str_limit(const reader *r, uint64_t len, char *buf, size_t cap)
{
    if (len > left(r)) snprintf(buf, cap, "the %" PRIu64 " bytes left in the file", left(r));
    else snprintf(buf, cap, "the 1 GiB limit");
    return buf;
}

/* Reads a length-prefixed name into a fresh NUL-terminated copy. Keys must
 * be non-empty; max_len (0 = none) bounds tensor names as ggml does.
 * Embedded NULs are refused: they would make the name unreachable. */
static hone_status rd_name(reader *r, const char *what, uint64_t idx, char **out,
                           uint64_t max_len, hone_error *err)
{
    uint64_t at = r->pos, len;
    if (!rd_u64(r, &len)) return truncated(r, err, "%s %" PRIu64 " at offset %" PRIu64, what, idx, at);
    if (len > left(r) || len > MAX_STRING_LEN) {
        char lim[64];
        return hone_fail(err, HONE_ERR_FORMAT,
                         "%s %" PRIu64 " at offset %" PRIu64 ": length %" PRIu64 " exceeds %s",
                         what, idx, at, len, str_limit(r, len, lim, sizeof lim));
    }
    if (len == 0 && max_len == 0)
        return hone_fail(err, HONE_ERR_FORMAT, "%s %" PRIu64 " at offset %" PRIu64 " is empty",
                         what, idx, at);
    if (max_len && len >= max_len)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "%s %" PRIu64 " at offset %" PRIu64 " is %" PRIu64
                         " bytes long, the limit is %" PRIu64,
                         what, idx, at, len, max_len - 1);
    const uint8_t *s = r->p + r->pos;
    if (memchr(s, 0, (size_t)len))
        return hone_fail(err, HONE_ERR_FORMAT,
                         "%s %" PRIu64 " at offset %" PRIu64 " contains a NUL byte", what, idx, at);
    char *c = malloc((size_t)len + 1);
    if (!c) return hone_fail(err, HONE_ERR_NOMEM, "out of memory copying %s %" PRIu64, what, idx);
    memcpy(c, s, (size_t)len);
    c[len] = '\0';
    r->pos += len;
    *out = c;
    return HONE_OK;
}

/* ------------------------------------------------------------------ */
/* hash tables for key and tensor name lookup (also find duplicates) */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* Builds the table over n names; on a duplicate returns its two indices. */
static hone_status build_hash(uint64_t n, const char *(*name_of)(const hone_gguf_file *, uint64_t),
                              const hone_gguf_file *f, uint64_t **table, uint64_t *mask,
                              uint64_t *dup_a, uint64_t *dup_b)
{
    uint64_t cap = 16;
    while (cap < 2 * n) cap *= 2; /* n is bounded by the file size */
    uint64_t *h = calloc((size_t)cap, sizeof *h);
    if (!h) return HONE_ERR_NOMEM;
    for (uint64_t i = 0; i < n; i++) {
        const char *s = name_of(f, i);
        uint64_t j = hash_str(s) & (cap - 1);
        for (; h[j]; j = (j + 1) & (cap - 1)) {
            if (strcmp(name_of(f, h[j] - 1), s) == 0) {
                *dup_a = h[j] - 1;
                *dup_b = i;
                free(h);
                return HONE_ERR_FORMAT;
            }
        }
        h[j] = i + 1;
    }
    *table = h;
    *mask = cap - 1;
    return HONE_OK;
}

static const char *kv_name(const hone_gguf_file *f, uint64_t i) { return f->kv[i].key; }
static const char *t_name(const hone_gguf_file *f, uint64_t i) { return f->t[i].name; }

static uint64_t hash_find(const uint64_t *h, uint64_t mask, const char *s,
                          const char *(*name_of)(const hone_gguf_file *, uint64_t),
                          const hone_gguf_file *f)
{
    if (!h) return UINT64_MAX;
    for (uint64_t j = hash_str(s) & mask; h[j]; j = (j + 1) & mask)
        if (strcmp(name_of(f, h[j] - 1), s) == 0) return h[j] - 1;
    return UINT64_MAX;
}

/* ------------------------------------------------------------------ */
/* parsing */

/* Grows an array of elements to hold one more (doubling), so memory tracks
 * what was parsed, not the count the header claims. */
static bool grow(void **arr, uint64_t *cap, uint64_t n, size_t elem)
{
    if (n < *cap) return true;
    uint64_t nc = *cap ? *cap * 2 : 16;
    if (nc > SIZE_MAX / elem) return false;
    void *p = realloc(*arr, (size_t)(nc * elem));
    if (!p) return false;
    *arr = p;
    *cap = nc;
    return true;
}

/* Walks an array of n strings at r (n * 8 <= bytes left already checked);
 * with idx != NULL, records each element's offset from the array start. */
static hone_status walk_strings(reader *r, uint64_t n, uint64_t *idx, const char *key,
                                hone_error *err)
{
    char kb[80], lim[64];
    uint64_t start = r->pos;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t at = r->pos, len;
        if (!rd_u64(r, &len))
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s': file truncated at byte %" PRIu64
                             " in string %" PRIu64 " of %" PRIu64,
                             safe(key, kb), r->size, i, n);
        if (len > left(r) || len > MAX_STRING_LEN)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s': string %" PRIu64 " at offset %" PRIu64 " has length %" PRIu64
                             ", more than %s",
                             safe(key, kb), i, at, len, str_limit(r, len, lim, sizeof lim));
        if (idx) idx[i] = at - start;
        r->pos += len;
    }
    return HONE_OK;
}

static hone_status parse_value(reader *r, hone_gguf_kv *kv, hone_error *err)
{
    char kb[80];
    const char *key = safe(kv->key, kb);
    uint32_t type;
    if (!rd_u32(r, &type)) return truncated(r, err, "the type of key '%s'", key);
    if (type >= HONE_GGUF_TYPE_COUNT)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "key '%s' at offset %" PRIu64 " has invalid value type %" PRIu32,
                         key, kv->offset, type);
    kv->type = (hone_gguf_type)type;
    kv->arr_type = HONE_GGUF_TYPE_COUNT;
    kv->arr_n = 0;
    if (type == HONE_GGUF_TYPE_ARRAY) {
        uint32_t et;
        if (!rd_u32(r, &et) || !rd_u64(r, &kv->arr_n))
            return truncated(r, err, "the array header of key '%s'", key);
        if (et == HONE_GGUF_TYPE_ARRAY) /* llama.cpp rejects them too */
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s' at offset %" PRIu64 " is an array of arrays (not supported)",
                             key, kv->offset);
        if (et >= HONE_GGUF_TYPE_COUNT)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s' at offset %" PRIu64 " has invalid array element type %" PRIu32,
                             key, kv->offset, et);
        kv->arr_type = (hone_gguf_type)et;
        kv->data = r->p + r->pos;
        uint64_t esz = et == HONE_GGUF_TYPE_STRING ? 8 : TYPE_SIZES[et];
        if (kv->arr_n > left(r) / esz)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s' at offset %" PRIu64 ": array of %" PRIu64 " %s cannot fit in"
                             " the %" PRIu64 " bytes left in the file",
                             key, kv->offset, kv->arr_n, TYPE_NAMES[et], left(r));
        if (kv->arr_n > MAX_ARRAY_LEN)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s' at offset %" PRIu64 ": array of %" PRIu64
                             " elements exceeds the limit of 2^30",
                             key, kv->offset, kv->arr_n);
        if (et != HONE_GGUF_TYPE_STRING) {
            r->pos += kv->arr_n * esz;
            return HONE_OK;
        }
        /* validate first, then index: the index is never larger than the
         * bytes the strings actually occupy */
        uint64_t start = r->pos;
        hone_status st = walk_strings(r, kv->arr_n, NULL, kv->key, err);
        if (st || kv->arr_n == 0) return st;
        uint64_t *idx = malloc((size_t)kv->arr_n * sizeof *idx);
        if (!idx)
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory indexing key '%s'", key);
        kv->str_index = idx;
        r->pos = start;
        return walk_strings(r, kv->arr_n, idx, kv->key, err);
    }
    kv->data = r->p + r->pos;
    if (type == HONE_GGUF_TYPE_STRING) {
        uint64_t len;
        if (!rd_u64(r, &len)) return truncated(r, err, "the string length of key '%s'", key);
        if (len > left(r) || len > MAX_STRING_LEN) {
            char lim[64];
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key '%s' at offset %" PRIu64 ": string length %" PRIu64 " exceeds %s",
                             key, kv->offset, len, str_limit(r, len, lim, sizeof lim));
        }
        r->pos += len;
        return HONE_OK;
    }
    if (left(r) < TYPE_SIZES[type]) return truncated(r, err, "the %s value of key '%s'", TYPE_NAMES[type], key);
    r->pos += TYPE_SIZES[type];
    return HONE_OK;
}

static hone_status parse_kvs(reader *r, hone_gguf_file *f, uint64_t n_kv, hone_error *err)
{
    for (uint64_t i = 0; i < n_kv; i++) {
        if (!grow((void **)&f->kv, &f->cap_kv, f->n_kv, sizeof *f->kv))
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory reading key %" PRIu64, i);
        hone_gguf_kv *kv = &f->kv[f->n_kv];
        memset(kv, 0, sizeof *kv);
        kv->offset = r->pos;
        char *key = NULL;
        hone_status st = rd_name(r, "key", i, &key, 0, err);
        if (st) return st;
        kv->key = key;
        f->n_kv++; /* owned from here on, freed by hone_gguf_close */
        st = parse_value(r, kv, err);
        if (st) return st;
    }
    uint64_t a, b;
    hone_status st = build_hash(f->n_kv, kv_name, f, &f->kv_hash, &f->kv_hmask, &a, &b);
    if (st == HONE_ERR_FORMAT) {
        char kb[80];
        return hone_fail(err, st, "duplicate key '%s' at offsets %" PRIu64 " and %" PRIu64,
                         safe(f->kv[b].key, kb), f->kv[a].offset, f->kv[b].offset);
    }
    if (st) return hone_fail(err, st, "out of memory indexing %" PRIu64 " keys", f->n_kv);

    f->alignment = HONE_GGUF_DEFAULT_ALIGNMENT;
    const hone_gguf_kv *al = hone_gguf_find(f, "general.alignment");
    if (al) {
        if (al->type != HONE_GGUF_TYPE_UINT32)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "key 'general.alignment' at offset %" PRIu64 " is %s, must be u32",
                             al->offset, hone_gguf_type_name(al->type));
        uint32_t v = le32(al->data);
        if (v == 0 || (v & (v - 1)))
            return hone_fail(err, HONE_ERR_FORMAT,
                             "general.alignment is %" PRIu32 ", must be a non-zero power of two", v);
        f->alignment = v;
    }
    return HONE_OK;
}

/* Shape, element count and byte size of tensor t (name already read). */
static hone_status parse_shape(reader *r, hone_gguf_tensor *t, hone_error *err)
{
    char nb[80];
    const char *name = safe(t->name, nb);
    if (!rd_u32(r, &t->n_dims)) return truncated(r, err, "the dimension count of tensor '%s'", name);
    if (t->n_dims > HONE_GGUF_MAX_DIMS)
        return hone_fail(err, HONE_ERR_FORMAT, "tensor '%s' has %" PRIu32 " dimensions, at most %d",
                         name, t->n_dims, HONE_GGUF_MAX_DIMS);
    uint64_t n = 1;
    bool overflow = false, zero = false;
    for (uint32_t j = 0; j < HONE_GGUF_MAX_DIMS; j++) {
        t->ne[j] = 1;
        if (j < t->n_dims && !rd_u64(r, &t->ne[j])) return truncated(r, err, "the dimensions of tensor '%s'", name);
        if (t->ne[j] > (uint64_t)INT64_MAX)
            return hone_fail(err, HONE_ERR_FORMAT, "tensor '%s' dimension %" PRIu32 " is negative (%" PRId64 ")",
                             name, j, (int64_t)t->ne[j]);
        if (t->ne[j] == 0) zero = true;
        else if (n > (uint64_t)INT64_MAX / t->ne[j]) overflow = true;
        else n *= t->ne[j];
    }
    if (overflow && !zero)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tensor '%s' shape [%" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %" PRIu64
                         "] has more than 2^63 elements",
                         name, t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
    t->n_elements = zero ? 0 : n; /* with a zero dimension nothing overflows */

    if (!rd_u32(r, &t->type)) return truncated(r, err, "the type of tensor '%s'", name);
    const hone_type_info *ti = hone_type_get(t->type);
    if (!ti)
        return hone_fail(err, HONE_ERR_FORMAT, "tensor '%s' has unknown type id %" PRIu32,
                         name, t->type);
    if (ti->type_size == 0)
        return hone_fail(err, HONE_ERR_UNSUPPORTED,
                         "tensor '%s' uses removed type %s (id %" PRIu32 "); re-convert the model",
                         name, ti->name, t->type);
    uint64_t row;
    if (t->ne[0] % ti->blck_size == 0 && !hone_row_bytes(t->type, t->ne[0], &row))
        return hone_fail(err, HONE_ERR_FORMAT, "tensor '%s' row byte size overflows", name);
    if (!hone_row_bytes(t->type, t->ne[0], &row))
        return hone_fail(err, HONE_ERR_FORMAT,
                         "tensor '%s' of type %s has rows of %" PRIu64
                         " elements, not a multiple of the block size %" PRIu32,
                         name, ti->name, t->ne[0], ti->blck_size);
    uint64_t rows = t->n_elements ? t->n_elements / t->ne[0] : 0;
    if (rows && row > UINT64_MAX / rows)
        return hone_fail(err, HONE_ERR_FORMAT, "tensor '%s' byte size overflows", name);
    t->size = row * rows;
    if (!rd_u64(r, &t->offset)) return truncated(r, err, "the offset of tensor '%s'", name);
    return HONE_OK;
}

typedef struct {
    uint64_t off, end, idx;
} span;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* The first n tensors, with the data section at data_offset: offsets
 * aligned, data inside the file, tensors disjoint. */
static hone_status place_tensors(hone_gguf_file *f, uint64_t n, uint64_t data_offset, hone_error *err)
{
    char nb[80], nb2[80];
    uint64_t avail = f->size - data_offset;
    for (uint64_t i = 0; i < n; i++) {
        hone_gguf_tensor *t = &f->t[i];
        if (t->offset % f->alignment)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "tensor '%s' offset %" PRIu64 " is not a multiple of the alignment %" PRIu32,
                             safe(t->name, nb), t->offset, f->alignment);
        if (t->offset > avail || t->size > avail - t->offset)
            return hone_fail(err, HONE_ERR_FORMAT,
                             "tensor '%s' (%" PRIu64 " bytes at file offset %" PRIu64 "+%" PRIu64
                             ") extends past the end of the file (%" PRIu64 " bytes)",
                             safe(t->name, nb), t->size, data_offset, t->offset, f->size);
        t->data = f->base + data_offset + t->offset;
    }
    if (n < 2) return HONE_OK;
    span *s = malloc((size_t)n * sizeof *s);
    if (!s) return hone_fail(err, HONE_ERR_NOMEM, "out of memory checking tensor overlaps");
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        if (f->t[i].size) s[m++] = (span){f->t[i].offset, f->t[i].offset + f->t[i].size, i};
    qsort(s, (size_t)m, sizeof *s, span_cmp);
    hone_status st = HONE_OK;
    for (uint64_t i = 1; i < m && !st; i++)
        if (s[i].off < s[i - 1].end)
            st = hone_fail(err, HONE_ERR_FORMAT, "tensors '%s' and '%s' overlap (data offsets %" PRIu64
                           " and %" PRIu64 ")",
                           safe(f->t[s[i - 1].idx].name, nb), safe(f->t[s[i].idx].name, nb2),
                           s[i - 1].off, s[i].off);
    free(s);
    return st;
}

static uint64_t align_up(uint64_t pos, uint32_t alignment)
{
    return pos + (alignment - pos % alignment) % alignment;
}

/* A header that claims more tensors than the file has makes the reader take
 * padding and tensor data for tensor information: the failure it then meets
 * (an absurd dimension count, a nameless tensor overlapping the first one)
 * hides the cause. The count is what is wrong when, for some k < n_t, the
 * first k tensors make a valid file and the information of tensor k runs
 * into what would be its data section, or is nameless (zero padding), and
 * their data ends at the end of the file.
 * info_end[i] is where the information of tensor i ends, reached where
 * reading stopped. Checks the last few k only (a hint, not a search). */
static hone_status count_hint(hone_gguf_file *f, uint64_t n_t, const uint64_t *info_end, uint64_t n_ok,
                              uint64_t reached, hone_status st, hone_error *err)
{
    if (st != HONE_ERR_FORMAT || n_ok == 0) return st;
    for (uint64_t k = n_ok; k >= 1 && k + 4 > n_ok; k--) {
        if (k >= n_t) continue;
        uint64_t data_offset = align_up(info_end[k - 1], f->alignment);
        uint64_t end = k < n_ok ? info_end[k] : reached;
        bool nameless = k < f->n_t && f->t[k].name[0] == '\0';
        if (data_offset > f->size || (end <= data_offset && !nameless)) continue;
        if (place_tensors(f, k, data_offset, NULL) != HONE_OK) continue;
        /* and their data ends where the file does (but for padding):
         * every byte of the file is accounted for without tensor k */
        uint64_t data_end = 0;
        for (uint64_t i = 0; i < k; i++)
            if (f->t[i].offset + f->t[i].size > data_end) data_end = f->t[i].offset + f->t[i].size;
        if (f->size - data_offset - data_end >= f->alignment) continue;
        return hone_fail(err, HONE_ERR_FORMAT,
                         "the header (offset 8) claims %" PRIu64 " tensors but the file holds %" PRIu64
                         ": the tensor count is wrong (tensor %" PRIu64 "'s information would be read"
                         " from the padding and tensor data, which starts at offset %" PRIu64 ")",
                         n_t, k, k, data_offset);
    }
    return st;
}

static hone_status tensors_done(reader *r, hone_gguf_file *f, hone_error *err);

static hone_status parse_tensors(reader *r, hone_gguf_file *f, uint64_t n_t, hone_error *err)
{
    /* where each tensor's information ends, for count_hint; grows with
     * what was parsed, like f->t */
    uint64_t *info_end = NULL, cap_end = 0, n_ok = 0;
    hone_status st = HONE_OK;
    for (uint64_t i = 0; i < n_t && !st; i++) {
        if (!grow((void **)&f->t, &f->cap_t, f->n_t, sizeof *f->t) ||
            !grow((void **)&info_end, &cap_end, i, sizeof *info_end)) {
            st = hone_fail(err, HONE_ERR_NOMEM, "out of memory reading tensor %" PRIu64, i);
            break;
        }
        hone_gguf_tensor *t = &f->t[f->n_t];
        memset(t, 0, sizeof *t);
        char *name = NULL;
        st = rd_name(r, "tensor name", i, &name, HONE_GGUF_MAX_NAME, err);
        if (st) break;
        t->name = name;
        f->n_t++;
        st = parse_shape(r, t, err);
        if (!st) info_end[n_ok++] = r->pos;
    }
    if (!st) st = tensors_done(r, f, err);
    if (st) st = count_hint(f, n_t, info_end, n_ok, r->pos, st, err);
    free(info_end);
    return st;
}

/* After the tensor information: names unique, the data section, placement. */
static hone_status tensors_done(reader *r, hone_gguf_file *f, hone_error *err)
{
    uint64_t a, b;
    hone_status st = build_hash(f->n_t, t_name, f, &f->t_hash, &f->t_hmask, &a, &b);
    if (st == HONE_ERR_FORMAT) {
        char nb[80];
        return hone_fail(err, st, "duplicate tensor name '%s' (tensors %" PRIu64 " and %" PRIu64 ")",
                         safe(f->t[b].name, nb), a, b);
    }
    if (st) return hone_fail(err, st, "out of memory indexing %" PRIu64 " tensors", f->n_t);

    /* the data section starts at the next multiple of the alignment */
    f->data_offset = align_up(r->pos, f->alignment);
    if (f->n_t && f->data_offset > f->size)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "file truncated at byte %" PRIu64 ": the tensor data section would start at %" PRIu64,
                         f->size, f->data_offset);
    if (f->data_offset > f->size) f->data_offset = f->size;
    return place_tensors(f, f->n_t, f->data_offset, err);
}

static hone_status parse(hone_gguf_file *f, hone_error *err)
{
    reader r = {f->base, f->size, 0};
    if (f->size >= 4 && memcmp(f->base, "GGUF", 4) != 0) {
        char m[5];
        for (int i = 0; i < 4; i++) m[i] = (f->base[i] >= 0x20 && f->base[i] < 0x7f) ? (char)f->base[i] : '?';
        m[4] = '\0';
        return hone_fail(err, HONE_ERR_FORMAT, "not a GGUF file: bad magic '%s' (expected 'GGUF')", m);
    }
    if (f->size < 24)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "truncated header: the file has %" PRIu64 " bytes, a GGUF header needs 24",
                         f->size);
    r.pos = 4;
    uint64_t n_t, n_kv;
    rd_u32(&r, &f->version);
    rd_u64(&r, &n_t);
    rd_u64(&r, &n_kv);
    if (f->version == 0)
        return hone_fail(err, HONE_ERR_FORMAT, "bad GGUF version 0");
    if ((f->version & 0xffff) == 0)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "bad GGUF version %" PRIu32 " (0x%08" PRIx32 "): a big-endian file?",
                         f->version, f->version);
    if (f->version == 1)
        return hone_fail(err, HONE_ERR_UNSUPPORTED, "GGUF version 1 is no longer supported (re-convert the model)");
    if (f->version > 3)
        return hone_fail(err, HONE_ERR_UNSUPPORTED, "GGUF version %" PRIu32 " is newer than this reader (2 and 3)",
                         f->version);
    if (n_kv > left(&r) / MIN_KV_BYTES)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "header at offset 16 claims %" PRIu64 " keys, more than the %" PRIu64
                         "-byte file can hold", n_kv, f->size);
    if (n_t > left(&r) / MIN_TENSOR_BYTES)
        return hone_fail(err, HONE_ERR_FORMAT,
                         "header at offset 8 claims %" PRIu64 " tensors, more than the %" PRIu64
                         "-byte file can hold", n_t, f->size);
    hone_status st = parse_kvs(&r, f, n_kv, err);
    if (st) return st;
    return parse_tensors(&r, f, n_t, err);
}

/* ------------------------------------------------------------------ */
/* open / close */

static hone_gguf_file *file_new(const char *path)
{
    hone_gguf_file *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->path = strdup(path ? path : "");
    if (!f->path) {
        free(f);
        return NULL;
    }
    return f;
}

void hone_gguf_close(hone_gguf_file *f)
{
    if (!f) return;
    for (uint64_t i = 0; i < f->n_kv; i++) {
        free((void *)f->kv[i].key);
        free((void *)f->kv[i].str_index);
    }
    for (uint64_t i = 0; i < f->n_t; i++) free((void *)f->t[i].name);
    free(f->kv);
    free(f->t);
    free(f->kv_hash);
    free(f->t_hash);
    if (f->locked) munlock(f->base, (size_t)f->size);
    if (f->src == SRC_MMAP) munmap((void *)f->base, (size_t)f->size);
    else if (f->src == SRC_MALLOC) free((void *)f->base);
    free(f->path);
    free(f);
}

hone_status hone_gguf_open_memory(const void *data, size_t size, hone_gguf_file **out, hone_error *err)
{
    *out = NULL;
    if (!data && size) return hone_fail(err, HONE_ERR_ARG, "hone_gguf_open_memory: NULL buffer");
    hone_gguf_file *f = file_new("");
    if (!f) return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    f->base = data;
    f->size = size;
    f->src = SRC_MEMORY;
    hone_status st = parse(f, err);
    if (st) {
        hone_gguf_close(f);
        return st;
    }
    *out = f;
    return HONE_OK;
}

/* One thread's share of a read: bytes [from, to) of the file. */
typedef struct {
    int fd;
    uint8_t *buf;
    uint64_t from, to;
    int err;     /* errno of a failed pread, or 0 */
    bool shrank; /* the file ended before `to` */
    pthread_t thread;
} read_part;

static void *read_part_run(void *arg)
{
    read_part *p = arg;
    for (uint64_t at = p->from; at < p->to;) {
        const size_t chunk = p->to - at > (1u << 30) ? (1u << 30) : (size_t)(p->to - at);
        const ssize_t n = pread(p->fd, p->buf + at, chunk, (off_t)at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return p->err = errno, NULL;
        if (n == 0) return p->shrank = true, NULL;
        at += (uint64_t)n;
    }
    return NULL;
}

/* The file into buf, split between up to `threads` threads: the copy out
 * of the page cache and the first touch of the (huge) pages are the load's
 * cost, and each core does its share (a 1.1 GB file: 190 ms with one
 * thread, 85 with two). Parts under 32 MiB are not worth a thread. */
static hone_status read_all(int fd, uint8_t *buf, uint64_t size, int threads, const char *path,
                            hone_error *err)
{
    enum { MAX_PARTS = 16, MIN_PART = 32 << 20 };
    int np = threads < 1 ? 1 : threads > MAX_PARTS ? MAX_PARTS : threads;
    if ((uint64_t)np > size / MIN_PART) np = size / MIN_PART > 1 ? (int)(size / MIN_PART) : 1;
    read_part parts[MAX_PARTS];
    int started = 1;
    for (int i = 0; i < np; i++)
        parts[i] = (read_part){.fd = fd, .buf = buf, .from = size / (uint64_t)np * (uint64_t)i,
                               .to = i == np - 1 ? size : size / (uint64_t)np * (uint64_t)(i + 1)};
    /* part 0 on this thread; a thread that cannot start leaves its part to it */
    for (int i = 1; i < np; i++, started++)
        if (pthread_create(&parts[i].thread, NULL, read_part_run, &parts[i]) != 0) break;
    for (int i = started; i < np; i++) read_part_run(&parts[i]);
    read_part_run(&parts[0]);
    for (int i = 1; i < started; i++) pthread_join(parts[i].thread, NULL);
    for (int i = 0; i < np; i++) {
        if (parts[i].err)
            return hone_fail(err, HONE_ERR_IO, "%s: read failed: %s", path, strerror(parts[i].err));
        if (parts[i].shrank) return hone_fail(err, HONE_ERR_IO, "%s: file shrank while reading it", path);
    }
    return HONE_OK;
}

/* The buffer a no_mmap load reads the file into: 2 MiB aligned and marked
 * for transparent huge pages (Linux, where THP is "madvise" or "always";
 * elsewhere a plain allocation). Decode streams every weight once per
 * token, and with 4 KiB pages each core's stream stalls on page walks and
 * on its prefetchers stopping at every page: bench_kernels --few from
 * memory, one thread, Zen 5, Q4_0 30 -> 36 GB/s, Q4_K 32 -> 36, Q8_0 35 ->
 * 39. Freed with free(). */
static void *model_buffer(size_t size)
{
#ifdef MADV_HUGEPAGE
    enum { HUGE = 2u << 20 };
    void *p = NULL;
    if (size >= HUGE && posix_memalign(&p, HUGE, size) == 0) {
        madvise(p, size, MADV_HUGEPAGE); /* a hint: an error only means 4 KiB pages */
        return p;
    }
#endif
    return malloc(size);
}

/* Maps or reads the file into f->base. */
static hone_status load(hone_gguf_file *f, int fd, const hone_gguf_open_opts *o, hone_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return hone_fail(err, HONE_ERR_IO, "%s: %s", f->path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return hone_fail(err, HONE_ERR_IO, "%s: is %s, not a regular file (a model is a GGUF file)",
                         f->path, S_ISDIR(sb.st_mode) ? "a directory" : S_ISFIFO(sb.st_mode) ? "a FIFO"
                         : S_ISCHR(sb.st_mode) ? "a character device" : S_ISBLK(sb.st_mode) ? "a block device"
                         : S_ISSOCK(sb.st_mode) ? "a socket" : "a special file");
    if ((uint64_t)sb.st_size > SIZE_MAX)
        return hone_fail(err, HONE_ERR_NOMEM, "%s: file too large for this address space", f->path);
    f->size = (uint64_t)sb.st_size;
    if (f->size == 0) return HONE_OK; /* parse reports the empty file */
    if (o->no_mmap) {
        uint8_t *buf = model_buffer((size_t)f->size);
        if (!buf)
            return hone_fail(err, HONE_ERR_NOMEM, "%s: cannot allocate %" PRIu64 " bytes to read it",
                             f->path, f->size);
        f->base = buf;
        f->src = SRC_MALLOC;
        hone_status st = read_all(fd, buf, f->size, o->read_threads, f->path, err);
        if (st) return st;
    } else {
        int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
        if (o->populate) flags |= MAP_POPULATE;
#endif
        void *p = mmap(NULL, (size_t)f->size, PROT_READ, flags, fd, 0);
        if (p == MAP_FAILED)
            return hone_fail(err, HONE_ERR_IO, "%s: mmap failed: %s", f->path, strerror(errno));
        f->base = p;
        f->src = SRC_MMAP;
    }
    if (o->mlock) {
        if (mlock(f->base, (size_t)f->size) != 0)
            return hone_fail(err, HONE_ERR_IO,
                             "%s: cannot lock its %" PRIu64 " MiB in RAM (mlock: %s); raise the "
                             "locked-memory limit (ulimit -l) or run without mlock",
                             f->path, f->size >> 20, strerror(errno));
        f->locked = true;
    }
    return HONE_OK;
}

hone_status hone_gguf_open(const char *path, const hone_gguf_open_opts *opts, hone_gguf_file **out,
                      hone_error *err)
{
    *out = NULL;
    if (!path) return hone_fail(err, HONE_ERR_ARG, "hone_gguf_open: no path");
    hone_gguf_open_opts o = {0};
    if (opts) o = *opts;
    /* O_NONBLOCK: opening a FIFO would wait for a writer forever; load()
     * then refuses anything but a regular file (where the flag does nothing) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return hone_fail(err, HONE_ERR_IO, "%s: %s", path, strerror(errno));
    hone_gguf_file *f = file_new(path);
    if (!f) {
        close(fd);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    }
    hone_status st = load(f, fd, &o, err);
    close(fd);
    if (!st) {
        st = parse(f, err);
        if (st) hone_fail_wrap(err, "%s", path);
    }
    if (st) {
        hone_gguf_close(f);
        return st;
    }
    *out = f;
    return HONE_OK;
}

/* ------------------------------------------------------------------ */
/* accessors */

uint32_t hone_gguf_version(const hone_gguf_file *f) { return f->version; }
uint32_t hone_gguf_alignment(const hone_gguf_file *f) { return f->alignment; }
uint64_t hone_gguf_file_size(const hone_gguf_file *f) { return f->size; }
const char *hone_gguf_path(const hone_gguf_file *f) { return f->path; }
uint64_t hone_gguf_data_offset(const hone_gguf_file *f) { return f->data_offset; }

uint64_t hone_gguf_n_kv(const hone_gguf_file *f) { return f->n_kv; }
const hone_gguf_kv *hone_gguf_kv_at(const hone_gguf_file *f, uint64_t i) { return i < f->n_kv ? &f->kv[i] : NULL; }

const hone_gguf_kv *hone_gguf_find(const hone_gguf_file *f, const char *key)
{
    uint64_t i = hash_find(f->kv_hash, f->kv_hmask, key, kv_name, f);
    return i == UINT64_MAX ? NULL : &f->kv[i];
}

uint64_t hone_gguf_n_tensors(const hone_gguf_file *f) { return f->n_t; }
const hone_gguf_tensor *hone_gguf_tensor_at(const hone_gguf_file *f, uint64_t i)
{
    return i < f->n_t ? &f->t[i] : NULL;
}
const hone_gguf_tensor *hone_gguf_find_tensor(const hone_gguf_file *f, const char *name)
{
    uint64_t i = hash_find(f->t_hash, f->t_hmask, name, t_name, f);
    return i == UINT64_MAX ? NULL : &f->t[i];
}

/* ------------------------------------------------------------------ */
/* typed getters */

static hone_status lookup(const hone_gguf_file *f, const char *key, const hone_gguf_kv **kv, hone_error *err)
{
    *kv = hone_gguf_find(f, key);
    if (!*kv) return hone_fail(err, HONE_ERR_FORMAT, "missing key '%s'", key);
    return HONE_OK;
}

static hone_status mismatch(const hone_gguf_kv *kv, const char *want, hone_error *err)
{
    char kb[80];
    if (kv->type == HONE_GGUF_TYPE_ARRAY)
        return hone_fail(err, HONE_ERR_FORMAT, "key '%s' is an array of %s, expected %s",
                         safe(kv->key, kb), hone_gguf_type_name(kv->arr_type), want);
    return hone_fail(err, HONE_ERR_FORMAT, "key '%s' is %s, expected %s", safe(kv->key, kb),
                     hone_gguf_type_name(kv->type), want);
}

/* Integer value of kv within [lo, hi] (as signed or unsigned 64-bit). */
static hone_status get_int(const hone_gguf_file *f, const char *key, const char *want, int64_t lo,
                           uint64_t hi, int64_t *sv, uint64_t *uv, hone_error *err)
{
    const hone_gguf_kv *kv;
    hone_status st = lookup(f, key, &kv, err);
    if (st) return st;
    if (!type_is_int(kv->type)) return mismatch(kv, want, err);
    int64_t s = 0;
    uint64_t u = 0;
    read_int(kv->type, kv->data, &s, &u);
    char kb[80];
    if (type_is_signed(kv->type)) {
        if (s < lo || (s > 0 && (uint64_t)s > hi))
            return hone_fail(err, HONE_ERR_FORMAT, "key '%s' value %" PRId64 " does not fit in %s",
                             safe(kv->key, kb), s, want);
        *sv = s;
        *uv = (uint64_t)s;
    } else {
        if (u > hi)
            return hone_fail(err, HONE_ERR_FORMAT, "key '%s' value %" PRIu64 " does not fit in %s",
                             safe(kv->key, kb), u, want);
        *uv = u;
        *sv = (int64_t)u;
    }
    return HONE_OK;
}

hone_status hone_gguf_get_u32(const hone_gguf_file *f, const char *key, uint32_t *out, hone_error *err)
{
    int64_t s = 0;
    uint64_t u = 0;
    hone_status st = get_int(f, key, "u32", 0, UINT32_MAX, &s, &u, err);
    if (!st) *out = (uint32_t)u;
    return st;
}

hone_status hone_gguf_get_i32(const hone_gguf_file *f, const char *key, int32_t *out, hone_error *err)
{
    int64_t s = 0;
    uint64_t u = 0;
    hone_status st = get_int(f, key, "i32", INT32_MIN, INT32_MAX, &s, &u, err);
    if (!st) *out = (int32_t)s;
    return st;
}

hone_status hone_gguf_get_u64(const hone_gguf_file *f, const char *key, uint64_t *out, hone_error *err)
{
    int64_t s = 0;
    uint64_t u = 0;
    hone_status st = get_int(f, key, "u64", 0, UINT64_MAX, &s, &u, err);
    if (!st) *out = u;
    return st;
}

hone_status hone_gguf_get_f32(const hone_gguf_file *f, const char *key, float *out, hone_error *err)
{
    const hone_gguf_kv *kv;
    hone_status st = lookup(f, key, &kv, err);
    if (st) return st;
    if (kv->type == HONE_GGUF_TYPE_FLOAT32) *out = f32_bits(le32(kv->data));
    else if (kv->type == HONE_GGUF_TYPE_FLOAT64) *out = (float)f64_bits(le64(kv->data));
    else return mismatch(kv, "f32", err);
    return HONE_OK;
}

hone_status hone_gguf_get_bool(const hone_gguf_file *f, const char *key, bool *out, hone_error *err)
{
    const hone_gguf_kv *kv;
    hone_status st = lookup(f, key, &kv, err);
    if (st) return st;
    if (kv->type != HONE_GGUF_TYPE_BOOL) return mismatch(kv, "bool", err);
    *out = kv->data[0] != 0;
    return HONE_OK;
}

hone_status hone_gguf_get_str(const hone_gguf_file *f, const char *key, hone_gguf_str *out, hone_error *err)
{
    const hone_gguf_kv *kv;
    hone_status st = lookup(f, key, &kv, err);
    if (st) return st;
    if (kv->type != HONE_GGUF_TYPE_STRING) return mismatch(kv, "string", err);
    out->len = le64(kv->data);
    out->ptr = (const char *)kv->data + 8;
    return HONE_OK;
}

hone_status hone_gguf_get_arr(const hone_gguf_file *f, const char *key, hone_gguf_type elem, const hone_gguf_kv **out,
                         hone_error *err)
{
    const hone_gguf_kv *kv;
    hone_status st = lookup(f, key, &kv, err);
    if (st) return st;
    char want[32];
    snprintf(want, sizeof want, "an array of %s", elem == HONE_GGUF_TYPE_COUNT ? "any" : hone_gguf_type_name(elem));
    if (kv->type != HONE_GGUF_TYPE_ARRAY || (elem != HONE_GGUF_TYPE_COUNT && kv->arr_type != elem))
        return mismatch(kv, want, err);
    *out = kv;
    return HONE_OK;
}

/* ------------------------------------------------------------------ */
/* array elements */

hone_gguf_str hone_gguf_arr_str(const hone_gguf_kv *kv, uint64_t i)
{
    hone_gguf_str s = {"", 0};
    if (kv->type != HONE_GGUF_TYPE_ARRAY || kv->arr_type != HONE_GGUF_TYPE_STRING || i >= kv->arr_n ||
        !kv->str_index)
        return s;
    const uint8_t *p = kv->data + kv->str_index[i];
    s.len = le64(p);
    s.ptr = (const char *)p + 8;
    return s;
}

/* Numeric element i as double (0 if not numeric or out of range). */
static double arr_num(const hone_gguf_kv *kv, uint64_t i)
{
    if (kv->type != HONE_GGUF_TYPE_ARRAY || i >= kv->arr_n) return 0;
    hone_gguf_type t = kv->arr_type;
    if (t == HONE_GGUF_TYPE_STRING || t >= HONE_GGUF_TYPE_COUNT) return 0;
    const uint8_t *p = kv->data + i * TYPE_SIZES[t];
    if (t == HONE_GGUF_TYPE_FLOAT32) return f32_bits(le32(p));
    if (t == HONE_GGUF_TYPE_FLOAT64) return f64_bits(le64(p));
    if (t == HONE_GGUF_TYPE_BOOL) return p[0] != 0;
    int64_t s = 0;
    uint64_t u = 0;
    read_int(t, p, &s, &u);
    return type_is_signed(t) ? (double)s : (double)u;
}

float hone_gguf_arr_f32(const hone_gguf_kv *kv, uint64_t i)
{
    if (kv->type == HONE_GGUF_TYPE_ARRAY && kv->arr_type == HONE_GGUF_TYPE_FLOAT32 && i < kv->arr_n)
        return f32_bits(le32(kv->data + 4 * i));
    return (float)arr_num(kv, i);
}

int32_t hone_gguf_arr_i32(const hone_gguf_kv *kv, uint64_t i)
{
    if (kv->type == HONE_GGUF_TYPE_ARRAY && kv->arr_type == HONE_GGUF_TYPE_INT32 && i < kv->arr_n)
        return (int32_t)le32(kv->data + 4 * i);
    double d = arr_num(kv, i);
    return d >= INT32_MIN && d <= INT32_MAX ? (int32_t)d : 0;
}

uint32_t hone_gguf_arr_u32(const hone_gguf_kv *kv, uint64_t i)
{
    if (kv->type == HONE_GGUF_TYPE_ARRAY && kv->arr_type == HONE_GGUF_TYPE_UINT32 && i < kv->arr_n)
        return le32(kv->data + 4 * i);
    double d = arr_num(kv, i);
    return d >= 0 && d <= UINT32_MAX ? (uint32_t)d : 0;
}

/* ------------------------------------------------------------------ */
/* formatting and strings */

void hone_gguf_kv_format(const hone_gguf_kv *kv, char *buf, size_t bufsize)
{
    if (!bufsize) return;
    buf[0] = '\0';
    if (kv->type == HONE_GGUF_TYPE_ARRAY) {
        if (kv->arr_type == HONE_GGUF_TYPE_STRING)
            snprintf(buf, bufsize, "[%" PRIu64 " strings]", kv->arr_n);
        else
            snprintf(buf, bufsize, "[%" PRIu64 " %s values]", kv->arr_n, hone_gguf_type_name(kv->arr_type));
        return;
    }
    if (type_is_int(kv->type)) {
        int64_t s = 0;
        uint64_t u = 0;
        read_int(kv->type, kv->data, &s, &u);
        if (type_is_signed(kv->type)) snprintf(buf, bufsize, "%" PRId64, s);
        else snprintf(buf, bufsize, "%" PRIu64, u);
    } else if (kv->type == HONE_GGUF_TYPE_FLOAT32) {
        snprintf(buf, bufsize, "%g", (double)f32_bits(le32(kv->data)));
    } else if (kv->type == HONE_GGUF_TYPE_FLOAT64) {
        snprintf(buf, bufsize, "%g", f64_bits(le64(kv->data)));
    } else if (kv->type == HONE_GGUF_TYPE_BOOL) {
        snprintf(buf, bufsize, "%s", kv->data[0] ? "true" : "false");
    } else if (kv->type == HONE_GGUF_TYPE_STRING) {
        /* one line, control bytes escaped */
        uint64_t len = le64(kv->data);
        hone_escape((const char *)kv->data + 8, len > SIZE_MAX ? SIZE_MAX : (size_t)len, buf, bufsize);
    }
}

char *hone_gguf_str_dup(hone_gguf_str s)
{
    if (s.len >= SIZE_MAX) return NULL;
    char *c = malloc((size_t)s.len + 1);
    if (!c) return NULL;
    if (s.len) memcpy(c, s.ptr, (size_t)s.len);
    c[s.len] = '\0';
    return c;
}

bool hone_gguf_str_eq(hone_gguf_str s, const char *cstr)
{
    size_t n = strlen(cstr);
    return s.len == n && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

void hone_gguf_drop_pages(const hone_gguf_file *f, const void *p, uint64_t n)
{
    if (f->src != SRC_MMAP || !n) return;
    /* whole pages inside the range only: a page shared with a neighbour
     * would come back from the file anyway (the mapping is read-only and
     * private, so dropping a page loses nothing), but there is no need */
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    const uintptr_t a = ((uintptr_t)p + page - 1) / page * page;
    const uintptr_t b = ((uintptr_t)p + (uintptr_t)n) / page * page;
    if (b > a) madvise((void *)a, (size_t)(b - a), MADV_DONTNEED);
}
