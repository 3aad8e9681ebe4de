/* kv_cache.c — allocation of the KV cache (layout in kv_cache.h). */
#include "kv_cache.h"

#include "ggml_types.h"

#include <stdlib.h>
#include <string.h>

hone_status hone_kv_cache_init(hone_kv_cache *c, uint32_t type, int n_layer,
                               int n_ctx, int kv_dim, hone_error *err)
{
    memset(c, 0, sizeof *c);
    if (type != GGML_TYPE_F16 && type != GGML_TYPE_F32)
        return hone_fail(err, HONE_ERR_ARG, "KV cache type %s is not supported (use f16 or f32)",
                         ggml_type_name(type));
    if (n_layer < 1 || n_ctx < 1 || kv_dim < 1)
        return hone_fail(err, HONE_ERR_ARG, "KV cache of %d layers x %d positions x %d",
                         n_layer, n_ctx, kv_dim);
    size_t elt = type == GGML_TYPE_F16 ? 2 : 4;
    size_t n = (size_t)n_layer * (size_t)n_ctx;
    if (n / (size_t)n_ctx != (size_t)n_layer || n > SIZE_MAX / (size_t)kv_dim / elt)
        return hone_fail(err, HONE_ERR_NOMEM, "KV cache size overflows");
    n *= (size_t)kv_dim;
    c->k = calloc(n, elt);
    c->v = calloc(n, elt);
    if (!c->k || !c->v) {
        hone_kv_cache_free(c);
        return hone_fail(err, HONE_ERR_NOMEM, "out of memory for a KV cache of %zu MiB",
                         2 * n * elt >> 20);
    }
    c->type = type;
    c->n_layer = n_layer;
    c->n_ctx = n_ctx;
    c->kv_dim = kv_dim;
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
    return 2 * (size_t)c->n_layer * (size_t)c->n_ctx * (size_t)c->kv_dim * c->elt;
}
