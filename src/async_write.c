/* async_write.c — a background writer thread with one buffer in flight
 * (see async_write.h). */
#include "async_write.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct hone_async_out {
    hone_out_stream *out;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const void *buf; /* queued, NULL when idle */
    size_t n;
    bool quit;
    hone_status st;  /* first failure */
    hone_error err;
};

static void *writer_main(void *arg)
{
    hone_async_out *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->buf && !a->quit) pthread_cond_wait(&a->cv, &a->mu);
        if (!a->buf) break; /* quit with nothing queued */
        const void *buf = a->buf;
        const size_t n = a->n;
        const bool ok = a->st == HONE_OK;
        pthread_mutex_unlock(&a->mu);
        hone_error e = {0};
        const hone_status st = ok ? hone_out_write(a->out, buf, n, &e) : HONE_OK;
        pthread_mutex_lock(&a->mu);
        if (st != HONE_OK) {
            a->st = st;
            a->err = e;
        }
        a->buf = NULL;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

hone_status hone_async_out_start(hone_out_stream *out, hone_async_out **ap, hone_error *err)
{
    hone_async_out *a = calloc(1, sizeof *a);
    if (!a) return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    a->out = out;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    if (pthread_create(&a->thread, NULL, writer_main, a) != 0) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        free(a);
        return hone_fail(err, HONE_ERR_INTERNAL, "cannot start the writer thread");
    }
    *ap = a;
    return HONE_OK;
}

/* With the lock held: wait until idle; the status so far. */
static hone_status wait_idle(hone_async_out *a, hone_error *err)
{
    while (a->buf) pthread_cond_wait(&a->cv, &a->mu);
    if (a->st != HONE_OK && err) *err = a->err;
    return a->st;
}

hone_status hone_async_out_submit(hone_async_out *a, const void *buf, size_t n, hone_error *err)
{
    pthread_mutex_lock(&a->mu);
    hone_status st = wait_idle(a, err);
    if (st == HONE_OK && n) {
        a->buf = buf;
        a->n = n;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
    return st;
}

hone_status hone_async_out_wait(hone_async_out *a, hone_error *err)
{
    pthread_mutex_lock(&a->mu);
    const hone_status st = wait_idle(a, err);
    pthread_mutex_unlock(&a->mu);
    return st;
}

void hone_async_out_stop(hone_async_out *a)
{
    if (!a) return;
    pthread_mutex_lock(&a->mu);
    wait_idle(a, NULL);
    a->quit = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
