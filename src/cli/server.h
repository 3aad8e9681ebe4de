/* server.h — `hone serve`: the pieces shared by the HTTP side
 * (server_http.c) and the scheduler (server_sched.c).
 *
 * Threads: libmicrohttpd runs one thread per connection; a request becomes
 * a task, queued for the scheduler. The scheduler thread owns the engine:
 * it gives queued tasks free slots (sequences of one context), and every
 * step evaluates the tokens of all busy slots — prompt chunks and one
 * decode token each — as one batch (continuous batching), samples each
 * slot's next token and appends its text to the task. The connection
 * thread waits on the task for text and sends it (all at the end, or as
 * server-sent events). A task is freed by whichever side lets go of it
 * last; a client that disconnects marks it cancelled and the scheduler
 * frees its slot at the next step.
 */
#ifndef HONE_SERVER_H
#define HONE_SERVER_H

#include "cli_args.h"
#include "hone.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define SRV_MAX_STOP 4
#define SRV_MAX_PROBS 20   /* alternatives per token: OpenAI's top_logprobs cap */
#define SRV_PING_MS 2000   /* a stream waiting this long gets a ": ping" comment */
#define SRV_POLL_MS 200    /* how often a waiting answer checks that its client is still there */

/* A generated token's log-probability and where its text is. */
typedef struct {
    int32_t id;
    float logprob;
    size_t off, len;          /* its piece: text[off..off+len) as appended
                                 (a stop string may cut the text inside it) */
} srv_tokprob;

typedef struct {
    int32_t id;
    float logprob;
} srv_alt;

typedef enum { TASK_QUEUED, TASK_RUNNING, TASK_DONE } task_state;

typedef struct srv_task {
    /* the request (read-only once queued) */
    int32_t *prompt;
    int n_prompt;
    hone_sampler_params sp;
    int n_predict;            /* < 0: until the context is full */
    bool ignore_eos;
    bool cache_prompt;
    char *stop[SRV_MAX_STOP];
    int n_stop;
    int n_probs;              /* < 0: no log-probabilities; else the best
                                 alternatives to report per token */
    /* progress, under srv->lock */
    task_state state;
    char *text;               /* generated so far (stop strings removed) */
    size_t len, cap;
    size_t ready;             /* bytes of text safe to send: no partial stop
                                 string, no partial UTF-8 character */
    int n_gen, n_cached;      /* tokens generated; prompt tokens reused */
    srv_tokprob *probs;       /* n_probs >= 0: one per generated token */
    srv_alt *alts;            /* n_probs per entry of probs */
    int n_tp, cap_tp;
    const char *finish;       /* "stop" or "length" once done */
    char error[520];          /* set when it failed in the engine */
    bool cancelled;           /* the client went away */
    int refs;                 /* HTTP side + scheduler */
    int slot;
    double t_start, t_first;  /* queued, first token (ms) */
} srv_task;

typedef struct srv_slot {
    srv_task *task;
    hone_sampler *smp;
    int32_t *cache;           /* the tokens in this slot's KV cache */
    int n_cache;
    int n_done;               /* prompt tokens evaluated for the task */
    int32_t last;             /* the token to feed next (decode) */
} srv_slot;

typedef struct {
    /* settings */
    const char *alias;
    char **api_keys;
    int n_api_keys;
    int queue_cap;
    size_t body_cap;
    bool metrics;
    int timeout_s;
    /* engine (the scheduler's) */
    cli_engine eng;
    hone_chat_template tmpl;
    int n_slots;
    srv_slot *slots;
    char fingerprint[96];
    /* shared, under lock */
    pthread_mutex_t lock;
    pthread_cond_t work;      /* the scheduler waits for tasks */
    pthread_cond_t progress;  /* connections wait for text */
    srv_task **queue;
    int n_queue;
    bool loaded, stopping;
    /* counters (/metrics) */
    long long n_requests, n_prompt_tokens, n_gen_tokens;
    double gen_ms;
    pthread_t thread;
} srv;

/* The scheduler: start its thread, queue a task (false: the queue is full),
 * drop the HTTP side's reference, stop it. */
int srv_sched_start(srv *s);
bool srv_submit(srv *s, srv_task *t);
void srv_task_release(srv *s, srv_task *t);
void srv_sched_stop(srv *s);
srv_task *srv_task_new(void);

/* The HTTP side: start listening (NULL: failed, printed); stop accepting,
 * let the open answers finish and close. */
void *srv_http_start(srv *s, const char *host, int port);
void srv_http_stop(void *daemon);

#endif
