/* table.h — how each kernel set but generic gets its table (internal to
 * kernels/).
 *
 * A set writes down only what it vectorizes: a hone_kernels whose NULL
 * entries mean "generic's" (no set makes a type uncomputable that generic
 * computes, so NULL is free to mean that). hone_kernels_complete lays it
 * over a copy of the generic table on first use. So every set (x86, neon,
 * power10) builds its table the same way, and a new type needs one entry,
 * generic's, to be computable by all. Generic is the base: its table
 * (generic/ops.c) is written out in full.
 *
 * Why at run time: a static initializer cannot start from another object,
 * and designated initializers that override a spelled-out generic list
 * draw -Woverride-init (an error with -Werror); the copy is a few hundred
 * bytes, once per set. */
#ifndef HONE_KERNELS_TABLE_H
#define HONE_KERNELS_TABLE_H

#include "kernels.h"

typedef struct {
    hone_kernels own;   /* the set's entries; NULL: generic's */
    hone_kernels more;  /* entries laid over own: what a set adds to a list
                           it shares (x86: X86_OWN of body256.h) */
    hone_kernels table; /* own, then more, over generic; filled on first use */
    bool no_blas_f16;   /* the set's own F16 matmul beats BLAS on prompt
                           batches: the table gets no gemm_f16 */
    bool done;
} hone_kernels_slot;

/* The completed table of `slot` (filled on the first call, under a lock;
 * read-only afterwards): valid for the life of the process. */
const hone_kernels *hone_kernels_complete(hone_kernels_slot *slot);

#endif
