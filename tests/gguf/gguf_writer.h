/* gguf_writer.h — a small in-memory GGUF writer for tests.
 *
 * Builds valid GGUF v2/v3 files (every value type, arrays, tensors of any
 * ggml type) and, through the override hooks, deliberately broken ones.
 * Values are written little-endian whatever the host. Allocation failure
 * aborts: this is test support code, not library code.
 *
 *   gguf_writer *w = gw_new();
 *   gw_str(w, "general.architecture", "llama");
 *   gw_u32(w, "llama.block_count", 1);
 *   uint64_t ne[2] = {64, 8};
 *   gw_tensor(w, "token_embd.weight", HONE_TYPE_F32, 2, ne, floats);
 *   size_t n; uint8_t *buf = gw_finish(w, &n);   (or gw_save(w, path))
 *   gw_free(w);
 *
 * Link with the hone_gguf_writer library (tests/gguf/CMakeLists.txt).
 */
#ifndef HONE_TESTS_GGUF_WRITER_H
#define HONE_TESTS_GGUF_WRITER_H

#include "gguf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gguf_writer gguf_writer;

gguf_writer *gw_new(void); /* GGUF v3, alignment 32 */
void gw_free(gguf_writer *w);

/* Header fields (defaults: version 3, counts from the content). */
void gw_set_version(gguf_writer *w, uint32_t version);
/* Adds the general.alignment u32 key and lays the data out with it. */
void gw_set_alignment(gguf_writer *w, uint32_t alignment);
/* Hostile files: declare these counts instead of the real ones. */
void gw_set_counts(gguf_writer *w, uint64_t n_tensors, uint64_t n_kv);

/* Scalar key-values. */
void gw_u8(gguf_writer *w, const char *key, uint8_t v);
void gw_i8(gguf_writer *w, const char *key, int8_t v);
void gw_u16(gguf_writer *w, const char *key, uint16_t v);
void gw_i16(gguf_writer *w, const char *key, int16_t v);
void gw_u32(gguf_writer *w, const char *key, uint32_t v);
void gw_i32(gguf_writer *w, const char *key, int32_t v);
void gw_u64(gguf_writer *w, const char *key, uint64_t v);
void gw_i64(gguf_writer *w, const char *key, int64_t v);
void gw_f32(gguf_writer *w, const char *key, float v);
void gw_f64(gguf_writer *w, const char *key, double v);
void gw_bool(gguf_writer *w, const char *key, bool v);
void gw_str(gguf_writer *w, const char *key, const char *v);
void gw_str_n(gguf_writer *w, const char *key, const char *v, uint64_t len);

/* Array of n fixed-size elements; vals is a C array of the matching type
 * (uint8_t, int8_t, ..., float, bool, uint64_t, int64_t, double). */
void gw_arr(gguf_writer *w, const char *key, hone_gguf_type elem, const void *vals, uint64_t n);
void gw_arr_str(gguf_writer *w, const char *key, const char *const *strs, uint64_t n);

/* Hostile files: the key (length-prefixed, klen bytes, may hold NULs), then
 * bytes verbatim (normally a type id and a payload). */
void gw_kv_raw(gguf_writer *w, const char *key, uint64_t klen, const void *bytes, size_t n);

/* A tensor of ggml type `type` with n_dims dims ne[] (row first). data holds
 * its bytes (ggml layout), or NULL for zeros. The byte size comes from
 * hone_row_bytes; a type or shape without one gets no data (for bad files). */
void gw_tensor(gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
               const uint64_t *ne, const void *data);
/* Hostile files: the last tensor's offset field is written as `offset`
 * (its data is still stored at its normal place if it has any). */
void gw_tensor_offset(gguf_writer *w, uint64_t offset);
/* Hostile files: append these bytes to the tensor-info section verbatim. */
void gw_tensor_raw(gguf_writer *w, const void *bytes, size_t n);

/* Serializes the file. Returns a malloc'ed buffer (free it) of *size bytes.
 * The writer stays usable. */
uint8_t *gw_finish(gguf_writer *w, size_t *size);
/* Serializes into a file; false (errno set) if it cannot be written. */
bool gw_save(gguf_writer *w, const char *path);

/* Little-endian byte buffer, for tests that build bytes by hand. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} gw_buf;
void gw_buf_put(gw_buf *b, const void *p, size_t n);
void gw_buf_u32(gw_buf *b, uint32_t v);
void gw_buf_u64(gw_buf *b, uint64_t v);
void gw_buf_str(gw_buf *b, const char *s); /* u64 length + bytes */
void gw_buf_free(gw_buf *b);

#endif
