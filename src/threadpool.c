/* threadpool.c — persistent worker threads (see threadpool.h).
 *
 * A job is published by bumping `generation` under the mutex; workers notice
 * it either while spinning (cheap, the common case during a forward pass) or
 * after a condition-variable wake-up. Completion is an atomic countdown the
 * caller spins on (then yields), since jobs are short.
 */
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* How long an idle worker spins before sleeping: long enough to bridge the
 * gap between two ops of one forward pass, short enough not to burn a core
 * between tokens typed by a user. */
#define SPIN_ITERS 20000

struct hone_threadpool {
    int n_threads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint generation; /* bumped once per job */
    atomic_int pending;     /* workers still running the current job */
    atomic_bool stop;
    hone_task_fn fn;        /* current job (written before generation bump) */
    void *arg;
};

typedef struct {
    hone_threadpool *pool;
    int ith;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *worker_main(void *p)
{
    worker_arg wa = *(worker_arg *)p;
    free(p);
    hone_threadpool *pool = wa.pool;
    unsigned seen = 0;
    for (;;) {
        unsigned gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        for (int i = 0; gen == seen && i < SPIN_ITERS; i++) {
            cpu_relax();
            gen = atomic_load_explicit(&pool->generation, memory_order_acquire);
        }
        if (gen == seen) {
            pthread_mutex_lock(&pool->mu);
            while ((gen = atomic_load(&pool->generation)) == seen &&
                   !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->cv, &pool->mu);
            pthread_mutex_unlock(&pool->mu);
        }
        if (atomic_load(&pool->stop)) return NULL;
        seen = gen;
        pool->fn(pool->arg, wa.ith, pool->n_threads);
        atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_release);
    }
}

hone_status hone_threadpool_create(int n_threads, hone_threadpool **out,
                                   hone_error *err)
{
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024)
        return hone_fail(err, HONE_ERR_ARG, "thread count %d out of range 1..1024",
                         n_threads);
    hone_threadpool *pool = calloc(1, sizeof *pool);
    if (!pool) return hone_fail(err, HONE_ERR_NOMEM, "out of memory (thread pool)");
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    atomic_init(&pool->generation, 0);
    atomic_init(&pool->pending, 0);
    atomic_init(&pool->stop, false);
    if (n_threads > 1) {
        pool->threads = calloc((size_t)n_threads - 1, sizeof *pool->threads);
        if (!pool->threads) {
            hone_threadpool_free(pool);
            return hone_fail(err, HONE_ERR_NOMEM, "out of memory (thread pool)");
        }
    }
    for (int i = 1; i < n_threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        int rc = wa ? 0 : -1;
        if (wa) {
            wa->pool = pool;
            wa->ith = i;
            rc = pthread_create(&pool->threads[i - 1], NULL, worker_main, wa);
            if (rc != 0) free(wa);
        }
        if (rc != 0) {
            pool->n_threads = i; /* join only the ones that started */
            hone_threadpool_free(pool);
            return hone_fail(err, HONE_ERR_INTERNAL,
                             "cannot start worker thread %d of %d: %s", i,
                             n_threads, rc > 0 ? strerror(rc) : "out of memory");
        }
    }
    *out = pool;
    return HONE_OK;
}

void hone_threadpool_free(hone_threadpool *pool)
{
    if (!pool) return;
    pthread_mutex_lock(&pool->mu);
    atomic_store(&pool->stop, true);
    atomic_fetch_add(&pool->generation, 1);
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 1; i < pool->n_threads; i++)
        pthread_join(pool->threads[i - 1], NULL);
    pthread_cond_destroy(&pool->cv);
    pthread_mutex_destroy(&pool->mu);
    free(pool->threads);
    free(pool);
}

int hone_threadpool_n_threads(const hone_threadpool *pool)
{
    return pool ? pool->n_threads : 1;
}

void hone_threadpool_run(hone_threadpool *pool, hone_task_fn fn, void *arg)
{
    if (!pool || pool->n_threads == 1) {
        fn(arg, 0, 1);
        return;
    }
    pool->fn = fn;
    pool->arg = arg;
    atomic_store_explicit(&pool->pending, pool->n_threads - 1, memory_order_relaxed);
    pthread_mutex_lock(&pool->mu);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);

    fn(arg, 0, pool->n_threads);

    for (int i = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; i++) {
        if (i < SPIN_ITERS) cpu_relax();
        else sched_yield();
    }
}
