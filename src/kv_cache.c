/* kv_cache.c — allocation of the KV cache (layout in kv_cache.h). */
#include "kv_cache.h"

#include "types.h"

#include <stdlib.h>
#include <string.h>

hone_status hone_kv_cache_init(hone_kv_cache *c, uint32_t type, int n_layer,
                               int n_ctx, int kv_dim, int head_dim, bool v_trans, hone_error *err)
{
    memset(c, 0, sizeof *c);
    if (type != HONE_TYPE_F16 && type != HONE_TYPE_F32)
        return hone_fail(err, HONE_ERR_ARG, "KV cache type %s is not supported (use f16 or f32)",
                         hone_type_name(type));
    if (n_layer < 1 || n_ctx < 1 || kv_dim < 1 || head_dim < 1 || kv_dim % head_dim)
        return hone_fail(err, HONE_ERR_ARG, "KV cache of %d layers x %d positions x %d",
                         n_layer, n_ctx, kv_dim);
    if (n_ctx > (1 << 30) || n_layer > (1 << 16) || kv_dim > (1 << 24))
        return hone_fail(err, HONE_ERR_NOMEM, "KV cache of %d layers x %d positions x %d is too large",
                         n_layer, n_ctx, kv_dim);
    size_t elt = type == HONE_TYPE_F16 ? 2 : 4;
    const int v_stride = v_trans ? (n_ctx + HONE_KV_PAD - 1) / HONE_KV_PAD * HONE_KV_PAD : n_ctx;
    size_t n = (size_t)n_layer * (size_t)kv_dim;
    if (n > SIZE_MAX / (size_t)v_stride / elt)
        return hone_fail(err, HONE_ERR_NOMEM, "KV cache size overflows");
    c->k = calloc(n * (size_t)n_ctx, elt);
    c->v = calloc(n * (size_t)v_stride, elt); /* zeros: padding stays finite */
    if (!c->k || !c->v) {
        hone_kv_cache_free(c);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for a KV cache of %zu MiB",
                         n * ((size_t)n_ctx + (size_t)v_stride) * elt >> 20);
    }
    c->type = type;
    c->n_layer = n_layer;
    c->n_ctx = n_ctx;
    c->kv_dim = kv_dim;
    c->head_dim = head_dim;
    c->v_stride = v_stride;
    c->v_trans = v_trans;
    c->elt = elt;
    return HONE_OK;
}

void hone_kv_cache_free(hone_kv_cache *c)
{
    if (!c) return;
    free(c->k);
    free(c->v);
    c->k = c->v = NULL;
}

size_t hone_kv_cache_bytes(const hone_kv_cache *c)
{
    return (size_t)c->n_layer * (size_t)c->kv_dim * ((size_t)c->n_ctx + (size_t)c->v_stride) *
           c->elt;
}
