/* gguf.h — reader for GGUF v2/v3 files (llama.cpp's model format).
 *
 * The file is mmap'ed read-only (or read into memory with no_mmap) and fully
 * validated by hone_gguf_open: after it succeeds every key, array, string and
 * tensor described here lies inside the file, so callers index without
 * further bounds checks. Pointers returned stay valid until hone_gguf_close.
 * Strings inside the file are NOT NUL-terminated: use hone_gguf_str.
 */
#ifndef HONE_GGUF_H
#define HONE_GGUF_H

#include "status.h"
#include "types.h"

typedef enum {
    HONE_GGUF_TYPE_UINT8 = 0,
    HONE_GGUF_TYPE_INT8 = 1,
    HONE_GGUF_TYPE_UINT16 = 2,
    HONE_GGUF_TYPE_INT16 = 3,
    HONE_GGUF_TYPE_UINT32 = 4,
    HONE_GGUF_TYPE_INT32 = 5,
    HONE_GGUF_TYPE_FLOAT32 = 6,
    HONE_GGUF_TYPE_BOOL = 7,
    HONE_GGUF_TYPE_STRING = 8,
    HONE_GGUF_TYPE_ARRAY = 9,
    HONE_GGUF_TYPE_UINT64 = 10,
    HONE_GGUF_TYPE_INT64 = 11,
    HONE_GGUF_TYPE_FLOAT64 = 12,
    HONE_GGUF_TYPE_COUNT
} hone_gguf_type;

typedef struct {
    const char *ptr; /* into the file; not NUL-terminated */
    uint64_t len;
} hone_gguf_str;

typedef struct {
    const char *key;    /* NUL-terminated copy */
    hone_gguf_type type;     /* value type */
    hone_gguf_type arr_type; /* element type when type == HONE_GGUF_TYPE_ARRAY */
    uint64_t arr_n;     /* element count when type == HONE_GGUF_TYPE_ARRAY */
    const uint8_t *data;/* raw little-endian payload in the file (may be
                           unaligned: read through the accessors). Strings:
                           the u64 length, then the bytes; arrays: the
                           first element (after element type and count) */
    uint64_t offset;    /* byte offset of the key in the file, for messages */
    const uint64_t *str_index; /* internal: string array element offsets
                                  (relative to data), for hone_gguf_arr_str */
} hone_gguf_kv;

#define HONE_GGUF_MAX_DIMS 4

typedef struct {
    const char *name;   /* NUL-terminated copy */
    uint32_t type;      /* hone_type */
    uint32_t n_dims;
    uint64_t ne[HONE_GGUF_MAX_DIMS]; /* ne[0] is the row length; unused dims = 1 */
    uint64_t n_elements;
    uint64_t offset;    /* relative to the start of the data section */
    uint64_t size;      /* bytes, from the type's block layout */
    const void *data;   /* into the mapping, aligned to general.alignment */
} hone_gguf_tensor;

typedef struct hone_gguf_file hone_gguf_file;

typedef struct {
    bool no_mmap; /* read the whole file into memory instead of mmap */
    bool mlock;   /* lock the pages in RAM (fails cleanly if not allowed) */
    bool populate; /* mmap: map every page now (MAP_POPULATE, Linux), as
                      llama.cpp's loader prefetches: one pass in the kernel
                      instead of a fault per page in the first forward pass */
    int read_threads; /* no_mmap: threads reading the file (0 or 1: one) */
} hone_gguf_open_opts;

/* Open and validate path. opts may be NULL (mmap, no mlock). */
hone_status hone_gguf_open(const char *path, const hone_gguf_open_opts *opts,
                      hone_gguf_file **out, hone_error *err);
/* Parse a buffer in memory (the caller keeps it alive until hone_gguf_close);
 * used by tests and the fuzz harness. */
hone_status hone_gguf_open_memory(const void *data, size_t size, hone_gguf_file **out,
                             hone_error *err);
void hone_gguf_close(hone_gguf_file *f);

uint32_t hone_gguf_version(const hone_gguf_file *f);
uint32_t hone_gguf_alignment(const hone_gguf_file *f);
uint64_t hone_gguf_file_size(const hone_gguf_file *f);
const char *hone_gguf_path(const hone_gguf_file *f); /* "" for memory buffers */
const char *hone_gguf_type_name(hone_gguf_type t);   /* "u32", "string", "array"... */
/* Byte offset of the (aligned) tensor data section; tensor offsets are
 * relative to it. */
uint64_t hone_gguf_data_offset(const hone_gguf_file *f);

/* ---- metadata ---- */
uint64_t hone_gguf_n_kv(const hone_gguf_file *f);
const hone_gguf_kv *hone_gguf_kv_at(const hone_gguf_file *f, uint64_t i);
const hone_gguf_kv *hone_gguf_find(const hone_gguf_file *f, const char *key); /* NULL if absent */

/* Typed getters. A missing key or a type mismatch is HONE_ERR_FORMAT naming
 * the key and both types. Integer getters accept any integer-typed value
 * that fits the target type (files differ in which width they use);
 * hone_gguf_get_f32 accepts f32 and f64; hone_gguf_get_bool only bool. */
hone_status hone_gguf_get_u32(const hone_gguf_file *f, const char *key, uint32_t *out, hone_error *err);
hone_status hone_gguf_get_i32(const hone_gguf_file *f, const char *key, int32_t *out, hone_error *err);
hone_status hone_gguf_get_u64(const hone_gguf_file *f, const char *key, uint64_t *out, hone_error *err);
hone_status hone_gguf_get_f32(const hone_gguf_file *f, const char *key, float *out, hone_error *err);
hone_status hone_gguf_get_bool(const hone_gguf_file *f, const char *key, bool *out, hone_error *err);
hone_status hone_gguf_get_str(const hone_gguf_file *f, const char *key, hone_gguf_str *out, hone_error *err);
/* Array with elements of type elem (HONE_GGUF_TYPE_COUNT = any element type). */
hone_status hone_gguf_get_arr(const hone_gguf_file *f, const char *key, hone_gguf_type elem,
                         const hone_gguf_kv **out, hone_error *err);

/* Element access for array kvs (i < kv->arr_n, element type as named).
 * Pass the pointer hone_gguf_find/hone_gguf_kv_at/hone_gguf_get_arr returned (not a copy
 * made after hone_gguf_close). Out of range i or a non-numeric element type
 * gives 0 / an empty string, never a crash; numeric elements of another
 * width are converted. */
hone_gguf_str hone_gguf_arr_str(const hone_gguf_kv *kv, uint64_t i);
float hone_gguf_arr_f32(const hone_gguf_kv *kv, uint64_t i);
int32_t hone_gguf_arr_i32(const hone_gguf_kv *kv, uint64_t i);
uint32_t hone_gguf_arr_u32(const hone_gguf_kv *kv, uint64_t i);
/* Scalar value as text, for `hone info` ("[512 strings]" for arrays). */
void hone_gguf_kv_format(const hone_gguf_kv *kv, char *buf, size_t bufsize);

/* A hint that [p, p + n) of this file's tensor data will not be read again
 * (a single pass over the model, as `hone quantize` makes): an mmap'ed
 * file gives those pages back, so the pass does not grow resident memory
 * by the model's size. A later read still works (it faults the pages in
 * from the file again). A no-op for files read into memory. */
void hone_gguf_drop_pages(const hone_gguf_file *f, const void *p, uint64_t n);

/* Copy a hone_gguf_str into a NUL-terminated malloc'ed string (NULL on OOM). */
char *hone_gguf_str_dup(hone_gguf_str s);
bool hone_gguf_str_eq(hone_gguf_str s, const char *cstr);

/* ---- tensors ---- */
uint64_t hone_gguf_n_tensors(const hone_gguf_file *f);
const hone_gguf_tensor *hone_gguf_tensor_at(const hone_gguf_file *f, uint64_t i);
const hone_gguf_tensor *hone_gguf_find_tensor(const hone_gguf_file *f, const char *name); /* NULL if absent */

#endif
