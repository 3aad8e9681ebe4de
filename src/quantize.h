/* quantize.h — `hone quantize`: a GGUF model in, the same model with its
 * tensors converted to a quantization kind out, byte for byte what
 * llama.cpp's llama-quantize writes for the kinds hone produces (the
 * per-tensor plan: quant_mix.h; the quantizers: kernels/quant_ref.h).
 *
 * Streaming: tensors are read through the input's mmap and written to the
 * output in order, a slab of rows at a time, the rows of a slab quantized
 * by the thread pool; memory use is a few slabs, whatever the model size.
 * Atomic: the output is written to a temporary file beside OUT and renamed
 * over it only when complete; a failure (a full disk, an unwritable
 * place, a cancel) removes the temporary file and leaves OUT untouched.
 * Nothing is written before every check has passed: the input is a valid
 * GGUF, is not OUT itself (same inode, whatever the path), every tensor's
 * target type can be produced, and no tensor is already quantized unless
 * allow_requantize.
 */
#ifndef HONE_QUANTIZE_H
#define HONE_QUANTIZE_H

#include "quant_mix.h"
#include "status.h"
#include "threadpool.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* One tensor done (or, with done == false, about to start). */
typedef struct {
    uint64_t index, count;   /* 0-based position in the output, tensor count */
    const char *name;
    uint32_t type_in, type_out;
    uint64_t ne[4];
    uint32_t n_dims;
    uint64_t bytes_in, bytes_out;
    bool fallback;           /* the row length forced type_out */
    bool done;
} hone_quantize_progress;

typedef struct {
    hone_quant_mix_opts mix;
    bool allow_requantize;
    hone_threadpool *pool;             /* NULL: the calling thread only */
    volatile sig_atomic_t *cancel;     /* non-zero: stop, remove the temp file */
    void (*progress)(void *ud, const hone_quantize_progress *p); /* may be NULL */
    void *progress_ud;
} hone_quantize_params;

typedef struct {
    uint64_t bytes_in, bytes_out;  /* tensor data, before and after */
    uint64_t n_elements;
    uint64_t n_tensors;
    int n_fallback;
    uint32_t ftype;                /* general.file_type written */
} hone_quantize_stats;

hone_status hone_quantize_file(const char *in_path, const char *out_path,
                               const hone_quantize_params *p, hone_quantize_stats *stats,
                               hone_error *err);

#endif
