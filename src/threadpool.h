/* threadpool.h — one persistent pool of worker threads for the process.
 *
 * hone_threadpool_run(pool, fn, arg) calls fn(arg, ith, nth) once for every
 * ith in [0, nth) — the calling thread runs ith = 0 — and returns when all
 * calls have finished. Workers are created once, at hone_threadpool_create;
 * between jobs they spin briefly, then sleep on a condition variable, so a
 * busy forward pass pays no thread creation and little wake-up latency.
 *
 * A pool runs one job at a time: calls to hone_threadpool_run must not
 * overlap (one context evaluates at a time per pool).
 */
#ifndef HONE_THREADPOOL_H
#define HONE_THREADPOOL_H

#include "hone.h"

typedef struct hone_threadpool hone_threadpool;
typedef void (*hone_task_fn)(void *arg, int ith, int nth);

/* Start n_threads - 1 workers (n_threads >= 1; the caller is thread 0). */
hone_status hone_threadpool_create(int n_threads, hone_threadpool **out,
                                   hone_error *err);
/* Stop and join the workers. NULL is a no-op. */
void hone_threadpool_free(hone_threadpool *pool);
int hone_threadpool_n_threads(const hone_threadpool *pool);
/* Run fn on every thread of the pool and wait for all of them. */
void hone_threadpool_run(hone_threadpool *pool, hone_task_fn fn, void *arg);

#endif
