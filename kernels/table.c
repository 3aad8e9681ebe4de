/* table.c — completing a set's table from generic's (see table.h).
 * Baseline code, no intrinsics. */
#include "table.h"

#include <pthread.h>

static pthread_mutex_t LOCK = PTHREAD_MUTEX_INITIALIZER;

/* Every non-NULL (non-zero) entry of o over t. */
static void overlay(hone_kernels *t, const hone_kernels *o)
{
    if (o->name) t->name = o->name;
    for (int i = 0; i < HONE_TYPE_COUNT; i++) {
        const hone_type_kernels *e = &o->type[i];
        if (e->vec_dot) t->type[i].vec_dot = e->vec_dot;
        if (e->to_float) t->type[i].to_float = e->to_float;
        if (e->from_float) t->type[i].from_float = e->from_float;
    }
    if (o->matmul) t->matmul = o->matmul;
    if (o->repack) t->repack = o->repack;
    if (o->gemm_f16) t->gemm_f16 = o->gemm_f16;
    if (o->rmsnorm) t->rmsnorm = o->rmsnorm;
    if (o->softmax) t->softmax = o->softmax;
    if (o->silu_mul) t->silu_mul = o->silu_mul;
    if (o->f16_mad) t->f16_mad = o->f16_mad;
    if (o->f16_scale) t->f16_scale = o->f16_scale;
    if (o->fma_chains) t->fma_chains = o->fma_chains;
    if (o->fa_exp) t->fa_exp = o->fa_exp;
    if (o->expf_n) t->expf_n = o->expf_n;
    if (o->f32_lanes) t->f32_lanes = o->f32_lanes;
}

const hone_kernels *hone_kernels_complete(hone_kernels_slot *slot)
{
    pthread_mutex_lock(&LOCK);
    if (!slot->done) {
        slot->table = *hone_kernels_generic();
        overlay(&slot->table, &slot->own);
        overlay(&slot->table, &slot->more);
        if (slot->no_blas_f16) slot->table.gemm_f16 = NULL;
        slot->done = true;
    }
    pthread_mutex_unlock(&LOCK);
    return &slot->table;
}
