/* threadpool.h — one persistent pool of worker threads for the process.
 *
 * hone_threadpool_run(pool, fn, arg, n_chunks) calls fn(arg, chunk,
 * n_chunks, tid) once for every chunk in [0, n_chunks) and returns when all
 * calls have finished. Chunks are claimed dynamically by whichever threads
 * are running (the caller is thread 0 and always takes part): a worker the
 * OS has not scheduled yet delays nothing, it simply claims no chunk.
 * `tid` (0 .. n_threads-1) identifies the executing thread, for per-thread
 * scratch buffers; fn must not assume which chunks a tid gets.
 *
 * Workers are created once, at hone_threadpool_create; between jobs they
 * spin briefly, then sleep on a condition variable.
 *
 * A pool runs one job at a time: calls to hone_threadpool_run must not
 * overlap (one context evaluates at a time per pool).
 */
#ifndef HONE_THREADPOOL_H
#define HONE_THREADPOOL_H

#include "status.h"

typedef struct hone_threadpool hone_threadpool;
typedef void (*hone_task_fn)(void *arg, int chunk, int n_chunks, int tid);

#define HONE_MAX_CHUNKS 65535

/* Start n_threads - 1 workers (1 <= n_threads <= 1024; the caller is
 * thread 0). */
hone_status hone_threadpool_create(int n_threads, hone_threadpool **out,
                                   hone_error *err);
/* Stop and join the workers. NULL is a no-op. */
void hone_threadpool_free(hone_threadpool *pool);
int hone_threadpool_n_threads(const hone_threadpool *pool);
/* Run fn on chunks [0, n_chunks) (1 <= n_chunks <= HONE_MAX_CHUNKS) and
 * wait for all of them. pool may be NULL (everything on the caller). */
void hone_threadpool_run(hone_threadpool *pool, hone_task_fn fn, void *arg, int n_chunks);

#endif
