/* quant_mix.h — what `hone quantize` makes of each tensor: llama.cpp's
 * llama-quantize rules (src/llama-quant.cpp), so that hone writes the same
 * file for the same request.
 *
 * A quantization kind ("Q4_K_M") is a file type (llama_ftype, the value of
 * general.file_type) with a default tensor type (Q4_K). Tensors that may
 * be quantized (2-D or more, named *weight, not norms, not a list of small
 * special ones) get the default type, adjusted per tensor by the mix: the
 * output (and tied token embeddings) to Q6_K, attn_v / ffn_down of the
 * layers use_more_bits picks to Q6_K in _M mixes, and so on; then a type
 * whose block does not divide the row length falls back to one that does.
 * The rest keep their type. llama.cpp walks the tensors in its own order
 * (layer number, then name) and the mix counts attn_v / ffn_down in that
 * order, so the plan keeps that order, which is also the output file's.
 */
#ifndef HONE_QUANT_MIX_H
#define HONE_QUANT_MIX_H

#include "gguf.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HONE_FTYPE_GUESSED 1024u /* llama_ftype flag: not from the file's key */

typedef struct {
    const char *name;  /* "Q4_K_M", llama-quantize's spelling */
    uint32_t ftype;    /* llama_ftype */
    uint32_t type;     /* default tensor type; HONE_TYPE_COUNT for COPY */
    const char *desc;
} hone_quant_kind;

/* The kinds hone produces, in llama-quantize's order. */
const hone_quant_kind *hone_quant_kinds(size_t *n);
/* By name (case-insensitive) or by ftype number, as llama-quantize reads
 * its TYPE argument; NULL if unknown. */
const hone_quant_kind *hone_quant_kind_find(const char *name);
bool hone_quant_kind_is_copy(const hone_quant_kind *k);
/* A tensor type by its ggml name ("q6_K", any case); HONE_TYPE_COUNT if none. */
uint32_t hone_type_from_name(const char *name);

typedef struct {
    const hone_quant_kind *kind;
    bool pure;               /* --pure: the default type everywhere */
    bool leave_output;       /* --leave-output-tensor */
    uint32_t output_type;    /* --output-tensor-type; HONE_TYPE_COUNT: unset */
    uint32_t token_embd_type;/* --token-embedding-type; HONE_TYPE_COUNT: unset */
} hone_quant_mix_opts;

typedef struct {
    uint64_t n;
    uint64_t *order;     /* file tensor indices in llama.cpp's order */
    uint32_t *type;      /* target type, by file tensor index */
    uint8_t *fallback;   /* 1 where the row length forced a fallback type */
    int n_fallback;
    uint32_t ftype;      /* general.file_type of the output */
} hone_quant_plan;

hone_status hone_quant_plan_make(const hone_gguf_file *f, const hone_quant_mix_opts *o,
                                 hone_quant_plan *p, hone_error *err);
void hone_quant_plan_free(hone_quant_plan *p);

#endif
