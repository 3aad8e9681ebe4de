/* gguf_writer.c — in-memory GGUF writer for tests (see gguf_writer.h). */
#include "gguf_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    uint32_t type, n_dims;
    uint64_t ne[HONE_GGUF_MAX_DIMS];
    uint8_t *data; /* NULL: no layout, nothing stored */
    uint64_t size;
    bool has_offset;
    uint64_t offset; /* override */
} gw_tensor_rec;

struct gguf_writer {
    uint32_t version, alignment;
    bool counts_set;
    uint64_t n_tensors_decl, n_kv_decl;
    uint64_t n_kv;
    gw_buf kv;       /* serialized key-values */
    gw_buf traw;     /* raw bytes appended after the tensor infos */
    gw_tensor_rec *t;
    size_t n_t, cap_t;
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "gguf_writer: out of memory\n");
        abort();
    }
    return p;
}

/* ---- byte buffer ---- */

void gw_buf_put(gw_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->len + n) c *= 2;
        b->data = xrealloc(b->data, c);
        b->cap = c;
    }
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_le(gw_buf *b, uint64_t v, int bytes)
{
    uint8_t tmp[8];
    for (int i = 0; i < bytes; i++) tmp[i] = (uint8_t)(v >> (8 * i));
    gw_buf_put(b, tmp, (size_t)bytes);
}

void gw_buf_u32(gw_buf *b, uint32_t v) { put_le(b, v, 4); }
void gw_buf_u64(gw_buf *b, uint64_t v) { put_le(b, v, 8); }
void gw_buf_str(gw_buf *b, const char *s)
{
    size_t n = strlen(s);
    gw_buf_u64(b, n);
    gw_buf_put(b, s, n);
}
void gw_buf_free(gw_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

/* ---- writer ---- */

gguf_writer *gw_new(void)
{
    gguf_writer *w = xrealloc(NULL, sizeof *w);
    memset(w, 0, sizeof *w);
    w->version = 3;
    w->alignment = 32;
    return w;
}

void gw_free(gguf_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n_t; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    gw_buf_free(&w->kv);
    gw_buf_free(&w->traw);
    free(w);
}

void gw_set_version(gguf_writer *w, uint32_t version) { w->version = version; }

void gw_set_alignment(gguf_writer *w, uint32_t alignment)
{
    gw_u32(w, "general.alignment", alignment);
    if (alignment && !(alignment & (alignment - 1))) w->alignment = alignment;
}

void gw_set_counts(gguf_writer *w, uint64_t n_tensors, uint64_t n_kv)
{
    w->counts_set = true;
    w->n_tensors_decl = n_tensors;
    w->n_kv_decl = n_kv;
}

static void key_type(gguf_writer *w, const char *key, hone_gguf_type t)
{
    gw_buf_str(&w->kv, key);
    gw_buf_u32(&w->kv, (uint32_t)t);
    w->n_kv++;
}

static uint64_t f32_u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static uint64_t f64_u(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

void gw_u8(gguf_writer *w, const char *k, uint8_t v) { key_type(w, k, HONE_GGUF_TYPE_UINT8); put_le(&w->kv, v, 1); }
void gw_i8(gguf_writer *w, const char *k, int8_t v) { key_type(w, k, HONE_GGUF_TYPE_INT8); put_le(&w->kv, (uint8_t)v, 1); }
void gw_u16(gguf_writer *w, const char *k, uint16_t v) { key_type(w, k, HONE_GGUF_TYPE_UINT16); put_le(&w->kv, v, 2); }
void gw_i16(gguf_writer *w, const char *k, int16_t v) { key_type(w, k, HONE_GGUF_TYPE_INT16); put_le(&w->kv, (uint16_t)v, 2); }
void gw_u32(gguf_writer *w, const char *k, uint32_t v) { key_type(w, k, HONE_GGUF_TYPE_UINT32); put_le(&w->kv, v, 4); }
void gw_i32(gguf_writer *w, const char *k, int32_t v) { key_type(w, k, HONE_GGUF_TYPE_INT32); put_le(&w->kv, (uint32_t)v, 4); }
void gw_u64(gguf_writer *w, const char *k, uint64_t v) { key_type(w, k, HONE_GGUF_TYPE_UINT64); put_le(&w->kv, v, 8); }
void gw_i64(gguf_writer *w, const char *k, int64_t v) { key_type(w, k, HONE_GGUF_TYPE_INT64); put_le(&w->kv, (uint64_t)v, 8); }
void gw_f32(gguf_writer *w, const char *k, float v) { key_type(w, k, HONE_GGUF_TYPE_FLOAT32); put_le(&w->kv, f32_u(v), 4); }
void gw_f64(gguf_writer *w, const char *k, double v) { key_type(w, k, HONE_GGUF_TYPE_FLOAT64); put_le(&w->kv, f64_u(v), 8); }
void gw_bool(gguf_writer *w, const char *k, bool v) { key_type(w, k, HONE_GGUF_TYPE_BOOL); put_le(&w->kv, v ? 1 : 0, 1); }

void gw_str_n(gguf_writer *w, const char *key, const char *v, uint64_t len)
{
    key_type(w, key, HONE_GGUF_TYPE_STRING);
    gw_buf_u64(&w->kv, len);
    gw_buf_put(&w->kv, v, (size_t)len);
}

void gw_str(gguf_writer *w, const char *key, const char *v) { gw_str_n(w, key, v, strlen(v)); }

/* One element of type t from a C array, little-endian. */
static void put_elem(gw_buf *b, hone_gguf_type t, const void *vals, uint64_t i)
{
    switch (t) {
    case HONE_GGUF_TYPE_UINT8: put_le(b, ((const uint8_t *)vals)[i], 1); break;
    case HONE_GGUF_TYPE_INT8: put_le(b, (uint8_t)((const int8_t *)vals)[i], 1); break;
    case HONE_GGUF_TYPE_UINT16: put_le(b, ((const uint16_t *)vals)[i], 2); break;
    case HONE_GGUF_TYPE_INT16: put_le(b, (uint16_t)((const int16_t *)vals)[i], 2); break;
    case HONE_GGUF_TYPE_UINT32: put_le(b, ((const uint32_t *)vals)[i], 4); break;
    case HONE_GGUF_TYPE_INT32: put_le(b, (uint32_t)((const int32_t *)vals)[i], 4); break;
    case HONE_GGUF_TYPE_FLOAT32: put_le(b, f32_u(((const float *)vals)[i]), 4); break;
    case HONE_GGUF_TYPE_BOOL: put_le(b, ((const bool *)vals)[i] ? 1 : 0, 1); break;
    case HONE_GGUF_TYPE_UINT64: put_le(b, ((const uint64_t *)vals)[i], 8); break;
    case HONE_GGUF_TYPE_INT64: put_le(b, (uint64_t)((const int64_t *)vals)[i], 8); break;
    case HONE_GGUF_TYPE_FLOAT64: put_le(b, f64_u(((const double *)vals)[i]), 8); break;
    default:
        fprintf(stderr, "gguf_writer: gw_arr cannot write element type %d\n", (int)t);
        abort();
    }
}

void gw_arr(gguf_writer *w, const char *key, hone_gguf_type elem, const void *vals, uint64_t n)
{
    key_type(w, key, HONE_GGUF_TYPE_ARRAY);
    gw_buf_u32(&w->kv, (uint32_t)elem);
    gw_buf_u64(&w->kv, n);
    for (uint64_t i = 0; i < n; i++) put_elem(&w->kv, elem, vals, i);
}

void gw_arr_str(gguf_writer *w, const char *key, const char *const *strs, uint64_t n)
{
    key_type(w, key, HONE_GGUF_TYPE_ARRAY);
    gw_buf_u32(&w->kv, HONE_GGUF_TYPE_STRING);
    gw_buf_u64(&w->kv, n);
    for (uint64_t i = 0; i < n; i++) gw_buf_str(&w->kv, strs[i]);
}

void gw_kv_raw(gguf_writer *w, const char *key, uint64_t klen, const void *bytes, size_t n)
{
    gw_buf_u64(&w->kv, klen);
    gw_buf_put(&w->kv, key, (size_t)klen);
    gw_buf_put(&w->kv, bytes, n);
    w->n_kv++;
}

void gw_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
               const uint64_t *ne, const void *data)
{
    if (w->n_t == w->cap_t) {
        w->cap_t = w->cap_t ? 2 * w->cap_t : 8;
        w->t = xrealloc(w->t, w->cap_t * sizeof *w->t);
    }
    gw_tensor_rec *t = &w->t[w->n_t++];
    memset(t, 0, sizeof *t);
    size_t nl = strlen(name);
    t->name = xrealloc(NULL, nl + 1);
    memcpy(t->name, name, nl + 1);
    t->type = type;
    t->n_dims = n_dims;
    uint64_t rows = 1;
    bool ok = true;
    for (uint32_t i = 0; i < HONE_GGUF_MAX_DIMS; i++) {
        t->ne[i] = i < n_dims ? ne[i] : 1;
        if (i >= 1) {
            if (t->ne[i] && rows > (UINT64_MAX >> 1) / t->ne[i]) ok = false;
            else rows *= t->ne[i];
        }
    }
    uint64_t row;
    /* only tensors of a sane size get data; hostile shapes are header-only */
    if (ok && hone_row_bytes(type, t->ne[0], &row) && (!rows || row <= (1u << 30) / rows)) {
        t->size = row * rows;
        t->data = xrealloc(NULL, (size_t)t->size);
        if (data) memcpy(t->data, data, (size_t)t->size);
        else memset(t->data, 0, (size_t)t->size);
    }
}

void gw_tensor_offset(gguf_writer *w, uint64_t offset)
{
    if (!w->n_t) return;
    w->t[w->n_t - 1].has_offset = true;
    w->t[w->n_t - 1].offset = offset;
}

void gw_tensor_raw(gguf_writer *w, const void *bytes, size_t n) { gw_buf_put(&w->traw, bytes, n); }

static uint64_t pad_to(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

uint8_t *gw_finish(gguf_writer *w, size_t *size)
{
    gw_buf b = {0};
    gw_buf_put(&b, "GGUF", 4);
    gw_buf_u32(&b, w->version);
    gw_buf_u64(&b, w->counts_set ? w->n_tensors_decl : w->n_t);
    gw_buf_u64(&b, w->counts_set ? w->n_kv_decl : w->n_kv);
    gw_buf_put(&b, w->kv.data, w->kv.len);

    uint64_t *off = xrealloc(NULL, (w->n_t + 1) * sizeof *off);
    uint64_t data_size = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        off[i] = data_size;
        data_size += pad_to(w->t[i].size, w->alignment);
    }
    for (size_t i = 0; i < w->n_t; i++) {
        const gw_tensor_rec *t = &w->t[i];
        gw_buf_str(&b, t->name);
        gw_buf_u32(&b, t->n_dims);
        for (uint32_t j = 0; j < t->n_dims && j < HONE_GGUF_MAX_DIMS; j++) gw_buf_u64(&b, t->ne[j]);
        gw_buf_u32(&b, t->type);
        gw_buf_u64(&b, t->has_offset ? t->offset : off[i]);
    }
    gw_buf_put(&b, w->traw.data, w->traw.len);
    if (w->n_t) {
        static const uint8_t zeros[256];
        size_t start = (size_t)pad_to(b.len, w->alignment);
        while (b.len < start) gw_buf_put(&b, zeros, start - b.len > 256 ? 256 : start - b.len);
        size_t end = start + (size_t)data_size;
        while (b.len < end) gw_buf_put(&b, zeros, end - b.len > 256 ? 256 : end - b.len);
        for (size_t i = 0; i < w->n_t; i++)
            if (w->t[i].data) memcpy(b.data + start + off[i], w->t[i].data, (size_t)w->t[i].size);
    }
    free(off);
    *size = b.len;
    return b.len ? b.data : xrealloc(b.data, 1);
}

bool gw_save(gguf_writer *w, const char *path)
{
    size_t n;
    uint8_t *buf = gw_finish(w, &n);
    FILE *fp = fopen(path, "wb");
    bool ok = fp && fwrite(buf, 1, n, fp) == n;
    if (fp && fclose(fp) != 0) ok = false;
    free(buf);
    return ok;
}
