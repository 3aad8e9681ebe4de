/* server_sched.c — the scheduler of `hone serve`: slots, the queue and the
 * continuous-batching loop (see server.h). */
#include "server.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

srv_task *srv_task_new(void)
{
    srv_task *t = calloc(1, sizeof *t);
    if (t) {
        t->refs = 2; /* the HTTP side and the scheduler */
        t->slot = -1;
        t->n_probs = -1;
        t->t_start = cli_now_ms();
    }
    return t;
}

static void task_free(srv_task *t)
{
    free(t->prompt);
    for (int i = 0; i < t->n_stop; i++) free(t->stop[i]);
    free(t->text);
    free(t->probs);
    free(t->alts);
    free(t);
}

/* under s->lock */
static void task_unref(srv_task *t)
{
    if (--t->refs == 0) task_free(t);
}

void srv_task_release(srv *s, srv_task *t)
{
    pthread_mutex_lock(&s->lock);
    t->cancelled = t->state != TASK_DONE;
    task_unref(t);
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
}

bool srv_submit(srv *s, srv_task *t)
{
    pthread_mutex_lock(&s->lock);
    bool ok = !s->stopping && s->n_queue < s->queue_cap;
    if (ok) {
        s->queue[s->n_queue++] = t;
        s->n_requests++;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

/* Bytes of a trailing incomplete UTF-8 sequence of text[0..len). */
static size_t utf8_tail(const char *text, size_t len)
{
    size_t i = len, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)text[i - 1] & 0xC0) == 0x80) i--, back++;
    if (i == 0) return 0;
    const unsigned char lead = (unsigned char)text[i - 1];
    const size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > back + 1 ? back + 1 : 0;
}

/* Append a token's text; cut at a stop string (true: finished). Under lock. */
static bool task_append(srv_task *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *q = realloc(t->text, cap);
        if (!q) return true;
        t->text = q;
        t->cap = cap;
    }
    memcpy(t->text + t->len, p, n);
    t->len += n;
    t->text[t->len] = '\0';
    /* a stop string ends the text (it is not part of it) */
    size_t hold = 0;
    for (int i = 0; i < t->n_stop; i++) {
        const char *hit = strstr(t->text, t->stop[i]);
        if (hit) {
            t->len = (size_t)(hit - t->text);
            t->text[t->len] = '\0';
            t->ready = t->len;
            return true;
        }
        /* hold back a tail that may become a stop string */
        const size_t sl = strlen(t->stop[i]);
        for (size_t k = sl - 1; k > hold && k > 0; k--)
            if (k <= t->len && !memcmp(t->text + t->len - k, t->stop[i], k)) {
                hold = k;
                break;
            }
    }
    const size_t tail = utf8_tail(t->text, t->len);
    t->ready = t->len - (hold > tail ? hold : tail);
    return false;
}

/* A log-probability as JSON can carry it: -inf (a token the model rules
 * out) becomes the lowest float, as llama-server does. */
static float finite_logprob(double lp) { return lp > -FLT_MAX ? (float)lp : -FLT_MAX; }

/* Record the log-probabilities of the token about to be appended (its
 * piece is len bytes) and of the n_probs best tokens. They are the
 * log-softmax of the model's raw logits, before penalties, ignore_eos,
 * temperature and the truncating samplers: what llama-server reports by
 * default (its post_sampling_probs off), so the sampled token has one even
 * when the sampler chain would have cut it. The best n_probs come from a
 * partial selection (hone_logits_top), not a sort of the vocabulary. Under
 * lock. */
static void task_logprobs(srv_task *t, const float *logits, int n_vocab, int32_t tok, size_t len)
{
    const size_t k = (size_t)t->n_probs;
    if (t->n_tp == t->cap_tp) {
        const int cap = t->cap_tp ? t->cap_tp * 2 : 64;
        srv_tokprob *p = realloc(t->probs, sizeof *p * (size_t)cap);
        if (p) t->probs = p;
        srv_alt *a = k ? realloc(t->alts, sizeof *a * k * (size_t)cap) : t->alts;
        if (a) t->alts = a;
        if (!p || (k && !a)) return; /* out of memory: this token goes unreported */
        t->cap_tp = cap;
    }
    const double lse = hone_logsumexp(logits, n_vocab);
    hone_token_cand top[SRV_MAX_PROBS];
    const size_t n = hone_logits_top(logits, n_vocab, k, top);
    srv_alt *a = t->alts + k * (size_t)t->n_tp;
    for (size_t i = 0; i < n; i++)
        a[i] = (srv_alt){top[i].id, finite_logprob((double)top[i].logit - lse)};
    t->probs[t->n_tp++] = (srv_tokprob){tok, finite_logprob((double)logits[tok] - lse), t->len, len};
}

static void task_finish(srv *s, srv_slot *sl, const char *why)
{
    srv_task *t = sl->task;
    t->state = TASK_DONE;
    t->finish = why;
    t->ready = t->len;
    sl->task = NULL;
    task_unref(t);
    (void)s;
}

/* Longest common prefix of the slot's cache and the prompt. */
static int common_prefix(const srv_slot *sl, const srv_task *t)
{
    int n = 0;
    while (n < sl->n_cache && n < t->n_prompt && sl->cache[n] == t->prompt[n]) n++;
    return n;
}

/* Give queued tasks idle slots (the one whose cache shares most of the
 * prompt). Under lock. */
static void assign(srv *s)
{
    for (int q = 0; q < s->n_queue;) {
        srv_task *t = s->queue[q];
        if (t->cancelled) {
            memmove(s->queue + q, s->queue + q + 1, sizeof *s->queue * (size_t)(s->n_queue - q - 1));
            s->n_queue--;
            t->state = TASK_DONE;
            task_unref(t);
            continue;
        }
        int best = -1, best_n = -1;
        for (int i = 0; i < s->n_slots; i++) {
            if (s->slots[i].task) continue;
            const int n = t->cache_prompt ? common_prefix(&s->slots[i], t) : 0;
            if (n > best_n) best = i, best_n = n;
        }
        if (best < 0) break;
        srv_slot *sl = &s->slots[best];
        hone_error err = {0};
        hone_sampler_free(sl->smp);
        sl->smp = hone_sampler_new(&t->sp, hone_n_vocab(s->eng.ctx), &err);
        memmove(s->queue + q, s->queue + q + 1, sizeof *s->queue * (size_t)(s->n_queue - q - 1));
        s->n_queue--;
        if (!sl->smp) {
            snprintf(t->error, sizeof t->error, "%s", err.msg);
            t->state = TASK_DONE;
            task_unref(t);
            continue;
        }
        /* reuse the common prefix (at least one prompt token is evaluated
         * again, for its logits) */
        int keep = best_n < t->n_prompt ? best_n : t->n_prompt - 1;
        hone_seq_rewind(s->eng.ctx, best, keep);
        keep = hone_seq_n_past(s->eng.ctx, best) < keep ? hone_seq_n_past(s->eng.ctx, best) : keep;
        sl->n_cache = keep;
        sl->n_done = keep;
        t->n_cached = keep;
        for (int i = 0; i < keep; i++) hone_sampler_accept(sl->smp, t->prompt[i]);
        t->state = TASK_RUNNING;
        t->slot = best;
        sl->task = t;
    }
}

static void *sched_main(void *arg)
{
    srv *s = arg;
    const int n_vocab = hone_n_vocab(s->eng.ctx), budget = hone_n_ubatch(s->eng.ctx);
    const int seq_ctx = hone_seq_n_ctx(s->eng.ctx);
    hone_batch_item *items = calloc((size_t)s->n_slots, sizeof *items);
    int *item_slot = calloc((size_t)s->n_slots, sizeof *item_slot);
    float *logits = malloc(sizeof(float) * (size_t)n_vocab);
    size_t piece_cap = 256;
    char *piece = malloc(piece_cap);
    if (!items || !item_slot || !logits || !piece) {
        free(items);
        free(item_slot);
        free(logits);
        free(piece);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    for (;;) {
        /* free the slots of cancelled tasks, give queued tasks slots */
        for (int i = 0; i < s->n_slots; i++)
            if (s->slots[i].task && s->slots[i].task->cancelled) task_finish(s, &s->slots[i], "stop");
        assign(s);
        int n_items = 0, used = 0;
        /* decode tokens first (one each), then prompt chunks in what is left
         * of one forward pass (-ub tokens: longer prompts take several steps) */
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < s->n_slots; i++) {
                srv_slot *sl = &s->slots[i];
                srv_task *t = sl->task;
                if (!t) continue;
                const bool prompt = sl->n_done < t->n_prompt;
                if (prompt != (pass == 1)) continue;
                int n = prompt ? t->n_prompt - sl->n_done : 1;
                if (n > budget - used) n = budget - used;
                if (n <= 0) continue;
                items[n_items] = (hone_batch_item){
                    .seq = i, .tokens = prompt ? t->prompt + sl->n_done : &sl->last, .n = n,
                    .logits = !prompt || sl->n_done + n == t->n_prompt};
                item_slot[n_items++] = i;
                used += n;
            }
        if (n_items == 0) {
            if (s->stopping) break;
            pthread_cond_wait(&s->work, &s->lock);
            continue;
        }
        pthread_mutex_unlock(&s->lock);
        hone_error err = {0};
        const double t0 = cli_now_ms();
        const hone_status st = hone_decode_batch(s->eng.ctx, items, n_items, &err);
        pthread_mutex_lock(&s->lock);
        s->gen_ms += cli_now_ms() - t0;
        for (int k = 0; k < n_items; k++) {
            srv_slot *sl = &s->slots[item_slot[k]];
            srv_task *t = sl->task;
            if (st) {
                snprintf(t->error, sizeof t->error, "%s", err.msg);
                sl->n_cache = 0;
                hone_seq_rewind(s->eng.ctx, item_slot[k], 0);
                task_finish(s, sl, "stop");
                continue;
            }
            /* the cache now holds these tokens */
            for (int j = 0; j < items[k].n && sl->n_cache < seq_ctx; j++)
                sl->cache[sl->n_cache++] = items[k].tokens[j];
            if (sl->n_done < t->n_prompt) {
                for (int j = 0; j < items[k].n; j++) hone_sampler_accept(sl->smp, items[k].tokens[j]);
                sl->n_done += items[k].n;
                s->n_prompt_tokens += items[k].n;
            }
            if (!items[k].logits) continue;
            const float *raw = hone_batch_logits(s->eng.ctx, k);
            memcpy(logits, raw, sizeof(float) * (size_t)n_vocab);
            if (t->ignore_eos)
                for (int v = 0; v < n_vocab; v++)
                    if (hone_tok_is_eog(s->eng.tok, v)) logits[v] = -INFINITY;
            const int32_t tok = hone_sampler_sample(sl->smp, logits);
            hone_sampler_accept(sl->smp, tok);
            if (t->n_gen == 0) t->t_first = cli_now_ms();
            if (hone_tok_is_eog(s->eng.tok, tok)) {
                task_finish(s, sl, "stop");
                continue;
            }
            t->n_gen++;
            s->n_gen_tokens++;
            int32_t len = hone_tok_piece(s->eng.tok, tok, piece, piece_cap, false);
            if (len < 0) { /* a token longer than the buffer: grow it (rare) */
                char *p = realloc(piece, (size_t)-len);
                if (p) {
                    piece = p;
                    piece_cap = (size_t)-len;
                    len = hone_tok_piece(s->eng.tok, tok, piece, piece_cap, false);
                }
            }
            if (t->n_probs >= 0) task_logprobs(t, raw, n_vocab, tok, len > 0 ? (size_t)len : 0);
            const bool stop = len > 0 && task_append(t, piece, (size_t)len);
            sl->last = tok;
            if (stop) task_finish(s, sl, "stop");
            else if ((t->n_predict >= 0 && t->n_gen >= t->n_predict) ||
                     hone_seq_n_past(s->eng.ctx, item_slot[k]) >= seq_ctx)
                task_finish(s, sl, "length");
        }
        pthread_cond_broadcast(&s->progress);
    }
    pthread_mutex_unlock(&s->lock);
    free(items);
    free(item_slot);
    free(logits);
    free(piece);
    return NULL;
}

int srv_sched_start(srv *s)
{
    s->slots = calloc((size_t)s->n_slots, sizeof *s->slots);
    s->queue = calloc((size_t)s->queue_cap, sizeof *s->queue);
    if (!s->slots || !s->queue) return -1;
    for (int i = 0; i < s->n_slots; i++) {
        s->slots[i].cache = malloc(sizeof(int32_t) * (size_t)hone_seq_n_ctx(s->eng.ctx));
        if (!s->slots[i].cache) return -1;
    }
    return pthread_create(&s->thread, NULL, sched_main, s) ? -1 : 0;
}

void srv_sched_stop(srv *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    /* queued work is refused; running tasks end now (their clients get
     * what was generated, finish_reason "stop") */
    for (int q = 0; q < s->n_queue; q++) {
        s->queue[q]->state = TASK_DONE;
        snprintf(s->queue[q]->error, sizeof s->queue[q]->error, "the server is shutting down");
        task_unref(s->queue[q]);
    }
    s->n_queue = 0;
    for (int i = 0; i < s->n_slots; i++)
        if (s->slots[i].task) task_finish(s, &s->slots[i], "stop");
    pthread_cond_broadcast(&s->work);
    pthread_cond_broadcast(&s->progress);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->n_slots; i++) {
        hone_sampler_free(s->slots[i].smp);
        free(s->slots[i].cache);
    }
    free(s->slots);
    free(s->queue);
}
