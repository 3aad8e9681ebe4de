/* gguf_write.c — GGUF metadata serialization and a sequential file stream
 * (see gguf_write.h). Values are written little-endian whatever the host. */
#include "gguf_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_BUF_BYTES (4u << 20) /* big writes: few syscalls, little memory */

static void buf_put(hone_gguf_buf *b, const void *p, size_t n)
{
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            b->oom = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_le(hone_gguf_buf *b, uint64_t v, int bytes)
{
    uint8_t le[8];
    for (int i = 0; i < bytes; i++) le[i] = (uint8_t)(v >> (8 * i));
    buf_put(b, le, (size_t)bytes);
}

static void buf_str(hone_gguf_buf *b, const char *s, uint64_t len)
{
    buf_le(b, len, 8);
    buf_put(b, s, (size_t)len);
}

static uint64_t rd_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Bytes of one scalar of type t (0 for strings and arrays). */
static size_t scalar_size(hone_gguf_type t)
{
    switch (t) {
    case HONE_GGUF_TYPE_UINT8: case HONE_GGUF_TYPE_INT8: case HONE_GGUF_TYPE_BOOL: return 1;
    case HONE_GGUF_TYPE_UINT16: case HONE_GGUF_TYPE_INT16: return 2;
    case HONE_GGUF_TYPE_UINT32: case HONE_GGUF_TYPE_INT32: case HONE_GGUF_TYPE_FLOAT32: return 4;
    case HONE_GGUF_TYPE_UINT64: case HONE_GGUF_TYPE_INT64: case HONE_GGUF_TYPE_FLOAT64: return 8;
    default: return 0;
    }
}

void hone_gguf_meta_init(hone_gguf_meta *m, uint32_t alignment)
{
    memset(m, 0, sizeof *m);
    m->alignment = alignment ? alignment : 32;
}

void hone_gguf_meta_free(hone_gguf_meta *m)
{
    free(m->kv.data);
    free(m->info.data);
    memset(m, 0, sizeof *m);
}

void hone_gguf_meta_copy_kv(hone_gguf_meta *m, const hone_gguf_kv *kv)
{
    hone_gguf_buf *b = &m->kv;
    buf_str(b, kv->key, strlen(kv->key));
    buf_le(b, (uint64_t)kv->type, 4);
    if (kv->type == HONE_GGUF_TYPE_STRING) {
        /* the u64 length, then the bytes, as in the file */
        buf_put(b, kv->data, 8 + (size_t)rd_le(kv->data, 8));
    } else if (kv->type == HONE_GGUF_TYPE_ARRAY) {
        buf_le(b, (uint64_t)kv->arr_type, 4);
        buf_le(b, kv->arr_n, 8);
        if (kv->arr_type == HONE_GGUF_TYPE_STRING) {
            /* elements lie end to end; the last one's end closes the span */
            size_t span = 0;
            if (kv->arr_n) {
                hone_gguf_str last = hone_gguf_arr_str(kv, kv->arr_n - 1);
                span = (size_t)((const uint8_t *)last.ptr + last.len - kv->data);
            }
            buf_put(b, kv->data, span);
        } else {
            buf_put(b, kv->data, (size_t)kv->arr_n * scalar_size(kv->arr_type));
        }
    } else {
        buf_put(b, kv->data, scalar_size(kv->type));
    }
    m->n_kv++;
}

void hone_gguf_meta_u32(hone_gguf_meta *m, const char *key, uint32_t v)
{
    buf_str(&m->kv, key, strlen(key));
    buf_le(&m->kv, HONE_GGUF_TYPE_UINT32, 4);
    buf_le(&m->kv, v, 4);
    m->n_kv++;
}

void hone_gguf_meta_tensor(hone_gguf_meta *m, const char *name, uint32_t n_dims,
                           const uint64_t *ne, uint32_t type, uint64_t bytes)
{
    /* ggml_n_dims: the last dimension above 1 counts, trailing 1s do not */
    uint32_t nd = 1;
    for (uint32_t d = 0; d < n_dims && d < HONE_GGUF_MAX_DIMS; d++)
        if (ne[d] > 1) nd = d + 1;
    buf_str(&m->info, name, strlen(name));
    buf_le(&m->info, nd, 4);
    for (uint32_t d = 0; d < nd; d++) buf_le(&m->info, ne[d], 8);
    buf_le(&m->info, type, 4);
    buf_le(&m->info, m->data_size, 8);
    const uint64_t a = m->alignment;
    m->data_size += (bytes + a - 1) / a * a;
    m->n_tensors++;
}

uint8_t *hone_gguf_meta_finish(const hone_gguf_meta *m, size_t *len)
{
    if (m->kv.oom || m->info.oom) return NULL;
    hone_gguf_buf b = {0};
    buf_put(&b, "GGUF", 4);
    buf_le(&b, 3, 4);
    buf_le(&b, m->n_tensors, 8);
    buf_le(&b, m->n_kv, 8);
    buf_put(&b, m->kv.data, m->kv.len);
    buf_put(&b, m->info.data, m->info.len);
    static const uint8_t zeros[256];
    size_t pad = (m->alignment - b.len % m->alignment) % m->alignment;
    while (pad) {
        const size_t k = pad < sizeof zeros ? pad : sizeof zeros;
        buf_put(&b, zeros, k);
        pad -= k;
    }
    if (b.oom) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

/* --- output stream ------------------------------------------------------- */

hone_status hone_out_open(hone_out_stream *o, int fd, const char *path, hone_error *err)
{
    memset(o, 0, sizeof *o);
    o->fd = fd;
    o->path = path;
    o->buf = malloc(OUT_BUF_BYTES);
    if (!o->buf) return hone_fail(err, HONE_ERR_NOMEM, "out of memory for the output buffer");
    o->cap = OUT_BUF_BYTES;
    return HONE_OK;
}

static hone_status write_all(hone_out_stream *o, const uint8_t *p, size_t n, hone_error *err)
{
    while (n) {
        const ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return hone_fail(err, HONE_ERR_IO, "writing %s: %s", o->path, strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return HONE_OK;
}

hone_status hone_out_flush(hone_out_stream *o, hone_error *err)
{
    const size_t n = o->len;
    o->len = 0;
    return write_all(o, o->buf, n, err);
}

hone_status hone_out_write(hone_out_stream *o, const void *p, size_t n, hone_error *err)
{
    o->written += n;
    if (o->len + n <= o->cap) {
        memcpy(o->buf + o->len, p, n);
        o->len += n;
        return HONE_OK;
    }
    hone_status st = hone_out_flush(o, err);
    if (st != HONE_OK) return st;
    if (n >= o->cap) return write_all(o, p, n, err); /* large: no copy */
    memcpy(o->buf, p, n);
    o->len = n;
    return HONE_OK;
}

hone_status hone_out_pad(hone_out_stream *o, uint32_t alignment, hone_error *err)
{
    static const uint8_t zeros[256];
    size_t pad = (size_t)((alignment - o->written % alignment) % alignment);
    while (pad) {
        const size_t k = pad < sizeof zeros ? pad : sizeof zeros;
        hone_status st = hone_out_write(o, zeros, k, err);
        if (st != HONE_OK) return st;
        pad -= k;
    }
    return HONE_OK;
}

void hone_out_free(hone_out_stream *o)
{
    free(o->buf);
    o->buf = NULL;
}
