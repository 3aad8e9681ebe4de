/* kv_cache.h — the attention keys and values of every past position.
 *
 * Per layer, K is stored head by head, a row per position
 * ([n_head_kv][n_ctx][head_dim]): attention works on one KV head at a
 * time, and its K rows are then contiguous, read as one stream (llama.cpp
 * keeps a position's heads together, [n_ctx][kv_dim], so a head's rows
 * are 128 bytes every kv_dim elements, a pattern the hardware prefetcher
 * does not follow: same values, another order in memory). V is stored
 * transposed ([kv_dim][n_ctx]) without flash attention, as llama.cpp does,
 * so both attention products are plain dot products over contiguous rows
 * (K·q over head_dim, V·p over positions) that go through the kernel
 * table; with flash attention (v_trans false) V is stored like K, a row
 * per position and head, which the running sum V·p walks position by
 * position (llama.cpp's v_trans = false).
 * Elements are F16 (default, like llama.cpp) or F32. V rows are padded to
 * a multiple of HONE_KV_PAD positions: attention sums p·V over a padded
 * length (masked weights are 0), so each row's result does not depend on
 * how tokens were batched (llama.cpp pads its cache to 256 cells too).
 *
 * The buffers are allocated once; positions [0, n_past) are valid. Writing
 * past n_ctx is refused by the engine before it reaches the cache.
 */
#ifndef HONE_KV_CACHE_H
#define HONE_KV_CACHE_H

#include "status.h"

#define HONE_KV_PAD 256

typedef struct {
    uint32_t type;      /* HONE_TYPE_F16 or HONE_TYPE_F32 */
    int n_layer;
    int n_ctx;
    int kv_dim;         /* n_head_kv * head_dim */
    int head_dim;
    int v_stride;       /* v_trans: n_ctx rounded up to HONE_KV_PAD */
    bool v_trans;       /* V transposed (without flash attention) */
    size_t elt;         /* bytes per element */
    uint8_t *k;         /* [n_layer][n_head_kv][n_ctx][head_dim] */
    uint8_t *v;         /* v_trans: [n_layer][kv_dim][v_stride], else as k */
    int n_past;         /* positions holding valid keys/values */
} hone_kv_cache;

/* type must be F16 or F32. Memory is zeroed lazily (calloc). */
hone_status hone_kv_cache_init(hone_kv_cache *c, uint32_t type, int n_layer,
                               int n_ctx, int kv_dim, int head_dim, bool v_trans, hone_error *err);
void hone_kv_cache_free(hone_kv_cache *c);
size_t hone_kv_cache_bytes(const hone_kv_cache *c);

/* Offset of KV head h's row of position pos in a layer (head-major). */
static inline size_t hone_kv_row_off(const hone_kv_cache *c, int layer, int h, int pos)
{
    return ((size_t)layer * (size_t)c->n_ctx * (size_t)c->kv_dim +
            ((size_t)h * (size_t)c->n_ctx + (size_t)pos) * (size_t)c->head_dim) * c->elt;
}
/* Key row of KV head h at position pos (head_dim elements; the rows of one
 * head are consecutive). */
static inline void *hone_kv_k(const hone_kv_cache *c, int layer, int h, int pos)
{
    return c->k + hone_kv_row_off(c, layer, h, pos);
}
/* v_trans: value row of dimension d (v_stride elements, one per position). */
static inline void *hone_kv_v(const hone_kv_cache *c, int layer, int d)
{
    return c->v + (((size_t)layer * (size_t)c->kv_dim + (size_t)d) * (size_t)c->v_stride) * c->elt;
}
/* !v_trans: value row of KV head h at position pos (as hone_kv_k). */
static inline void *hone_kv_v_row(const hone_kv_cache *c, int layer, int h, int pos)
{
    return c->v + hone_kv_row_off(c, layer, h, pos);
}

#endif
