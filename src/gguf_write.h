/* gguf_write.h — writing GGUF v3 files, streamed: the metadata (key-values
 * and tensor infos) is built in memory first, since it is small and its
 * size fixes where the data starts; tensor data then goes to the file
 * sequentially, in the order the infos were added, each tensor padded to
 * the alignment. Nothing holds a whole tensor or model in memory.
 *
 * The layout is ggml's gguf writer's (the one llama-quantize uses): header,
 * key-values, tensor infos with offsets relative to the data section, zero
 * padding to the alignment, then the data. A tensor's dimension count is
 * written as ggml_n_dims gives it (trailing 1s dropped, at least 1).
 */
#ifndef HONE_GGUF_WRITE_H
#define HONE_GGUF_WRITE_H

#include "gguf.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t len, cap;
    bool oom;
} hone_gguf_buf;

typedef struct {
    hone_gguf_buf kv;       /* serialized key-values */
    hone_gguf_buf info;     /* serialized tensor infos */
    uint64_t n_kv, n_tensors;
    uint32_t alignment;
    uint64_t data_size;     /* data section so far (padded) */
} hone_gguf_meta;

void hone_gguf_meta_init(hone_gguf_meta *m, uint32_t alignment);
void hone_gguf_meta_free(hone_gguf_meta *m);
/* Copy a key-value of an open file as it is (same key, type and value). */
void hone_gguf_meta_copy_kv(hone_gguf_meta *m, const hone_gguf_kv *kv);
void hone_gguf_meta_u32(hone_gguf_meta *m, const char *key, uint32_t v);
/* Add a tensor info; its data (`bytes` long) comes next in the data section. */
void hone_gguf_meta_tensor(hone_gguf_meta *m, const char *name, uint32_t n_dims,
                           const uint64_t *ne, uint32_t type, uint64_t bytes);
/* The serialized metadata, padded to the alignment (the data starts right
 * after it): a malloc'ed buffer of *len bytes, NULL when out of memory. */
uint8_t *hone_gguf_meta_finish(const hone_gguf_meta *m, size_t *len);

/* Sequential output through a buffer, with the errors of write(2). */
typedef struct {
    int fd;
    const char *path;   /* for messages */
    uint8_t *buf;
    size_t len, cap;
    uint64_t written;   /* bytes accepted so far (buffered included) */
} hone_out_stream;

hone_status hone_out_open(hone_out_stream *o, int fd, const char *path, hone_error *err);
hone_status hone_out_write(hone_out_stream *o, const void *p, size_t n, hone_error *err);
/* Zero bytes up to the next multiple of alignment. */
hone_status hone_out_pad(hone_out_stream *o, uint32_t alignment, hone_error *err);
hone_status hone_out_flush(hone_out_stream *o, hone_error *err);
void hone_out_free(hone_out_stream *o); /* does not close fd */

#endif
