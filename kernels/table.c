/* table.c — completing a set's table from generic's (see table.h).
 * Baseline code, no intrinsics. */
#include "table.h"

#include <pthread.h>

static pthread_mutex_t LOCK = PTHREAD_MUTEX_INITIALIZER;

const hone_kernels *hone_kernels_complete(hone_kernels_slot *slot)
{
    pthread_mutex_lock(&LOCK);
    if (!slot->done) {
        const hone_kernels *own = &slot->own;
        hone_kernels *t = &slot->table;
        *t = *hone_kernels_generic();
        t->name = own->name;
        for (int i = 0; i < HONE_TYPE_COUNT; i++) {
            const hone_type_kernels *o = &own->type[i];
            if (o->vec_dot) t->type[i].vec_dot = o->vec_dot;
            if (o->to_float) t->type[i].to_float = o->to_float;
            if (o->from_float) t->type[i].from_float = o->from_float;
        }
        if (own->matmul) t->matmul = own->matmul;
        if (own->gemm_f16) t->gemm_f16 = own->gemm_f16;
        if (own->rmsnorm) t->rmsnorm = own->rmsnorm;
        if (own->softmax) t->softmax = own->softmax;
        if (own->silu_mul) t->silu_mul = own->silu_mul;
        slot->done = true;
    }
    pthread_mutex_unlock(&LOCK);
    return &slot->table;
}
