/* threadpool.c — persistent workers with dynamic chunk claiming
 * (see threadpool.h).
 *
 * One 64-bit atomic word describes the current job: generation (32 bits) |
 * next unclaimed chunk (16) | chunk count (16). A thread claims a chunk by
 * compare-and-swap on that word, so it can only ever claim a chunk of the
 * job that is current at that instant; fn and arg, written before the job
 * is published, stay valid until every chunk is done, which cannot happen
 * before that claimed chunk finishes. A worker that wakes up late finds no
 * chunk left (or a newer generation) and goes back to waiting.
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
    _Atomic uint64_t job;    /* gen << 32 | next << 16 | total */
    atomic_int done;         /* chunks finished in the current job */
    atomic_int n_sleeping;   /* workers in (or entering) cond_wait */
    atomic_bool stop;
    hone_task_fn fn;         /* current job, written before it is published */
    void *arg;
};

typedef struct {
    hone_threadpool *pool;
    int tid;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline uint32_t job_gen(uint64_t w) { return (uint32_t)(w >> 32); }
static inline int job_next(uint64_t w) { return (int)((w >> 16) & 0xFFFF); }
static inline int job_total(uint64_t w) { return (int)(w & 0xFFFF); }

/* Claim and run chunks of generation gen until none is left. */
static void work(hone_threadpool *pool, uint32_t gen, int tid)
{
    uint64_t w = atomic_load_explicit(&pool->job, memory_order_acquire);
    for (;;) {
        if (job_gen(w) != gen || job_next(w) >= job_total(w)) return;
        if (!atomic_compare_exchange_weak_explicit(&pool->job, &w, w + (1u << 16),
                                                   memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        pool->fn(pool->arg, job_next(w), job_total(w), tid);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
        w = atomic_load_explicit(&pool->job, memory_order_acquire);
    }
}

static void *worker_main(void *p)
{
    worker_arg wa = *(worker_arg *)p;
    free(p);
    hone_threadpool *pool = wa.pool;
    uint32_t seen = 0;
    for (;;) {
        uint32_t gen = job_gen(atomic_load_explicit(&pool->job, memory_order_acquire));
        for (int i = 0; gen == seen && i < SPIN_ITERS; i++) {
            cpu_relax();
            gen = job_gen(atomic_load_explicit(&pool->job, memory_order_acquire));
        }
        if (gen == seen) {
            pthread_mutex_lock(&pool->mu);
            atomic_fetch_add(&pool->n_sleeping, 1); /* seq_cst: pairs with run() */
            while ((gen = job_gen(atomic_load(&pool->job))) == seen && !atomic_load(&pool->stop))
                pthread_cond_wait(&pool->cv, &pool->mu);
            atomic_fetch_sub(&pool->n_sleeping, 1);
            pthread_mutex_unlock(&pool->mu);
        }
        if (atomic_load(&pool->stop)) return NULL;
        seen = gen;
        work(pool, gen, wa.tid);
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
    atomic_init(&pool->job, 0);
    atomic_init(&pool->done, 0);
    atomic_init(&pool->n_sleeping, 0);
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
            wa->tid = i;
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
    /* a new generation with no chunks wakes everyone */
    uint64_t w = atomic_load(&pool->job);
    atomic_store(&pool->job, (uint64_t)(job_gen(w) + 1) << 32);
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

void hone_threadpool_run(hone_threadpool *pool, hone_task_fn fn, void *arg, int n_chunks)
{
    if (n_chunks < 1) return;
    if (n_chunks > HONE_MAX_CHUNKS) n_chunks = HONE_MAX_CHUNKS;
    if (!pool || pool->n_threads == 1 || n_chunks == 1) {
        for (int c = 0; c < n_chunks; c++) fn(arg, c, n_chunks, 0);
        return;
    }
    /* the previous job is complete: no thread touches fn/arg/done now */
    pool->fn = fn;
    pool->arg = arg;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    uint32_t gen = job_gen(atomic_load(&pool->job)) + 1;
    atomic_store(&pool->job, (uint64_t)gen << 32 | (uint64_t)n_chunks); /* seq_cst */
    if (atomic_load(&pool->n_sleeping) > 0) {
        pthread_mutex_lock(&pool->mu);
        pthread_cond_broadcast(&pool->cv);
        pthread_mutex_unlock(&pool->mu);
    }
    work(pool, gen, 0);
    for (int i = 0; atomic_load_explicit(&pool->done, memory_order_acquire) < n_chunks; i++) {
        if (i < SPIN_ITERS) cpu_relax();
        else sched_yield();
    }
}
