/* sampler.c — the sampler chain (see sampler.h for the contract).
 *
 * Each step mirrors the semantics of the matching llama.cpp sampler,
 * including where it computes probabilities, in which order it sums them
 * and when the candidate array counts as sorted: those details decide which
 * token a given random draw lands on.
 */
#include "sampler.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct hone_sampler {
    hone_sampler_params p;
    int32_t n_vocab;
    hone_token_cand *cands;  /* n_vocab, reused every sample */
    hone_cand_array cur;
    int32_t *counts;         /* n_vocab: occurrences in the history window */
    int32_t *ring;           /* last repeat_last_n accepted tokens */
    int32_t ring_first, ring_size;
    hone_mt19937 rng;
    uint32_t seed_cur;
};

/* ---------------------------------------------------------------- rng */

void hone_mt19937_seed(hone_mt19937 *r, uint32_t seed)
{
    r->mt[0] = seed;
    for (uint32_t i = 1; i < 624; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + i;
    r->idx = 624;
}

static void mt_twist(hone_mt19937 *r)
{
    for (int i = 0; i < 624; i++) {
        uint32_t y = (r->mt[i] & 0x80000000u) | (r->mt[(i + 1) % 624] & 0x7fffffffu);
        r->mt[i] = r->mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    r->idx = 0;
}

uint32_t hone_mt19937_next(hone_mt19937 *r)
{
    if (r->idx >= 624) mt_twist(r);
    uint32_t y = r->mt[r->idx++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* libstdc++'s generate_canonical<double, 53>: two draws, low word first,
 * summed in double, divided by 2^64, clamped below 1. */
double hone_rng_uniform(hone_mt19937 *r)
{
    double sum = (double)hone_mt19937_next(r);
    sum += (double)hone_mt19937_next(r) * 4294967296.0;
    double u = sum / 18446744073709551616.0;
    if (u >= 1.0) u = nextafter(1.0, 0.0);
    return u;
}

static uint32_t random_seed(void)
{
    uint32_t v;
    if (getrandom(&v, sizeof v, 0) == (ssize_t)sizeof v) return v;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u;
}

/* ------------------------------------------------------------ sorting */

/* Total order: higher logit first, lower id breaks ties. */
static inline bool cand_better(const hone_token_cand *a, const hone_token_cand *b)
{
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static inline void cand_swap(hone_token_cand *a, hone_token_cand *b)
{
    hone_token_cand t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(hone_token_cand *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        hone_token_cand x = a[i];
        size_t j = i;
        for (; j > 0 && cand_better(&x, &a[j - 1]); j--) a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Heap ordered with the *worst* candidate at the root. */
static void sift_down_worst(hone_token_cand *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, w = i;
        if (l < n && cand_better(&h[w], &h[l])) w = l;
        if (l + 1 < n && cand_better(&h[w], &h[l + 1])) w = l + 1;
        if (w == i) return;
        cand_swap(&h[i], &h[w]);
        i = w;
    }
}

static void heap_sort(hone_token_cand *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;) sift_down_worst(a, n, i);
    for (size_t end = n; end > 1; end--) {
        cand_swap(&a[0], &a[end - 1]); /* worst goes last */
        sift_down_worst(a, end - 1, 0);
    }
}

/* Median-of-three Lomuto partition of a[lo..hi); returns the pivot's slot. */
static size_t partition(hone_token_cand *a, size_t lo, size_t hi)
{
    size_t mid = lo + (hi - lo) / 2;
    if (cand_better(&a[mid], &a[lo])) cand_swap(&a[mid], &a[lo]);
    if (cand_better(&a[hi - 1], &a[lo])) cand_swap(&a[hi - 1], &a[lo]);
    if (cand_better(&a[mid], &a[hi - 1])) cand_swap(&a[mid], &a[hi - 1]);
    const hone_token_cand pivot = a[hi - 1];
    size_t store = lo;
    for (size_t i = lo; i < hi - 1; i++)
        if (cand_better(&a[i], &pivot)) cand_swap(&a[i], &a[store++]);
    cand_swap(&a[store], &a[hi - 1]);
    return store;
}

/* Introsort: quicksort, heapsort when a range recurses too deep. */
static void sort_range(hone_token_cand *a, size_t n, int depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            heap_sort(a, n);
            return;
        }
        size_t p = partition(a, 0, n);
        /* recurse into the smaller side, loop on the larger */
        if (p < n - p - 1) {
            sort_range(a, p, depth);
            a += p + 1;
            n -= p + 1;
        } else {
            sort_range(a + p + 1, n - p - 1, depth);
            n = p;
        }
    }
    insertion_sort(a, n);
}

static void sort_cands(hone_token_cand *a, size_t n)
{
    int depth = 0;
    for (size_t m = n; m > 1; m >>= 1) depth += 2;
    sort_range(a, n, depth);
}

/* Quickselect: afterwards a[0..k) hold the k best candidates, unordered. */
static void select_top(hone_token_cand *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 24) {
        size_t store = partition(a, lo, hi);
        if (store == k) return;
        if (store < k) lo = store + 1;
        else hi = store;
    }
    insertion_sort(a + lo, hi - lo);
}

/* Few best of many: one pass against a heap of the k best so far, whose
 * root (the worst of them) rejects almost everything in one comparison. */
static void heap_select_top(hone_token_cand *a, size_t n, size_t k)
{
    for (size_t i = k / 2; i-- > 0;) sift_down_worst(a, k, i);
    for (size_t i = k; i < n; i++) {
        if (cand_better(&a[i], &a[0])) {
            cand_swap(&a[i], &a[0]);
            sift_down_worst(a, k, 0);
        }
    }
}

void hone_cands_partial_sort(hone_cand_array *c, size_t k)
{
    if (k > c->size) k = c->size;
    if (k == 0) return;
    if (k < c->size) {
        if (k <= 512 && k * 16 <= c->size) heap_select_top(c->data, c->size, k);
        else select_top(c->data, c->size, k);
    }
    sort_cands(c->data, k);
}

/* -------------------------------------------------- log-probabilities */

double hone_logsumexp(const float *logits, int32_t n_vocab)
{
    float max_l = -INFINITY;
    for (int32_t i = 0; i < n_vocab; i++)
        if (logits[i] > max_l) max_l = logits[i]; /* NaN compares false */
    if (!isfinite(max_l)) return max_l;
    /* relative to the maximum, so no exp overflows; the sum is >= 1 (the
     * maximum's own term), which keeps every logprob <= 0 */
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; i++)
        if (logits[i] > -INFINITY) sum += (double)expf(logits[i] - max_l);
    return (double)max_l + log(sum);
}

size_t hone_logits_top(const float *logits, int32_t n_vocab, size_t k, hone_token_cand *top)
{
    const size_t n = n_vocab > 0 ? (size_t)n_vocab : 0;
    if (k > n) k = n;
    if (k == 0) return 0;
    for (size_t i = 0; i < k; i++)
        top[i] = (hone_token_cand){ (int32_t)i, isnan(logits[i]) ? -INFINITY : logits[i], 0.0f };
    for (size_t i = k / 2; i-- > 0;) sift_down_worst(top, k, i);
    for (size_t i = k; i < n; i++) {
        const hone_token_cand c = { (int32_t)i, isnan(logits[i]) ? -INFINITY : logits[i], 0.0f };
        if (cand_better(&c, &top[0])) {
            top[0] = c;
            sift_down_worst(top, k, 0);
        }
    }
    sort_cands(top, k);
    return k;
}

/* ------------------------------------------------------------ samplers */

void hone_cands_from_logits(hone_cand_array *c, const float *logits, int32_t n_vocab)
{
    for (int32_t i = 0; i < n_vocab; i++) {
        float l = logits[i];
        /* NaN would break the sort's total order */
        c->data[i] = (hone_token_cand){ i, isnan(l) ? -INFINITY : l, 0.0f };
    }
    c->size = (size_t)n_vocab;
    c->sorted = false;
}

void hone_sample_penalties(hone_cand_array *c, const int32_t *counts,
                           float repeat, float freq, float presence)
{
    for (size_t i = 0; i < c->size; i++) {
        int32_t n = counts[c->data[i].id];
        if (n <= 0) continue;
        float *l = &c->data[i].logit;
        /* multiply negatives: dividing them would make them more likely */
        if (*l <= 0) *l *= repeat;
        else *l /= repeat;
        *l -= (float)n * freq + presence;
    }
    c->sorted = false;
}

void hone_sample_top_k(hone_cand_array *c, int32_t k)
{
    if (k <= 0 || c->size == 0) return;
    size_t kk = (size_t)k < c->size ? (size_t)k : c->size;
    if (!c->sorted) hone_cands_partial_sort(c, kk);
    c->size = kk;
    c->sorted = true;
}

void hone_sample_softmax(hone_cand_array *c)
{
    if (c->size == 0) return;
    float max_l = c->data[0].logit;
    if (!c->sorted)
        for (size_t i = 1; i < c->size; i++)
            if (c->data[i].logit > max_l) max_l = c->data[i].logit;
    float sum = 0.0f;
    for (size_t i = 0; i < c->size; i++) {
        float p = expf(c->data[i].logit - max_l);
        c->data[i].p = p;
        sum += p;
    }
    for (size_t i = 0; i < c->size; i++) c->data[i].p /= sum;
}

void hone_sample_top_p(hone_cand_array *c, float p, size_t min_keep)
{
    if (p >= 1.0f || c->size == 0) return;
    hone_sample_softmax(c); /* summed in the current order, like llama.cpp */
    size_t k = c->size;
    if (!c->sorted) {
        /* the nucleus is usually small: sort a prefix, widen if needed */
        if (c->size > 1024) k = 256;
        hone_cands_partial_sort(c, k);
    }
    float cum = 0.0f;
    size_t last = c->size;
    for (size_t i = 0; i < c->size; i++) {
        cum += c->data[i].p;
        if (cum >= p && i + 1 >= min_keep) {
            last = i + 1;
            break;
        }
        if (i + 1 == k && k < c->size) {
            /* the prefix holds the k best in order: widen it with the
             * next best of the rest */
            size_t more = k * 3 < c->size - k ? k * 3 : c->size - k;
            hone_cand_array rest = { c->data + k, c->size - k, false };
            hone_cands_partial_sort(&rest, more);
            k += more;
        }
    }
    c->size = last;
    c->sorted = true;
}

void hone_sample_min_p(hone_cand_array *c, float p, size_t min_keep)
{
    if (p <= 0.0f || c->size == 0) return;
    if (!c->sorted) {
        /* filter in place, keeping the order, when enough survive */
        float max_l = -FLT_MAX;
        for (size_t i = 0; i < c->size; i++)
            if (c->data[i].logit > max_l) max_l = c->data[i].logit;
        const float min_l = max_l + logf(p);
        size_t n = 0;
        for (size_t i = 0; i < c->size; i++) n += c->data[i].logit >= min_l;
        if (n > 0 && n >= min_keep) {
            size_t j = 0;
            for (size_t i = 0; i < c->size; i++)
                if (c->data[i].logit >= min_l) c->data[j++] = c->data[i];
            c->size = n;
            return;
        }
        hone_cands_partial_sort(c, c->size);
        c->sorted = true;
    }
    const float min_l = c->data[0].logit + logf(p);
    size_t i = 1; /* the best token always stays */
    for (; i < c->size; i++)
        if (c->data[i].logit < min_l && i >= min_keep) break;
    c->size = i;
}

void hone_sample_temp(hone_cand_array *c, float temp)
{
    if (c->size == 0) return;
    if (temp <= 0.0f) {
        /* greedy: keep the first best logit, -inf the rest */
        size_t best = 0;
        for (size_t i = 1; i < c->size; i++) {
            if (c->data[i].logit > c->data[best].logit) {
                c->data[best].logit = -INFINITY;
                best = i;
            } else {
                c->data[i].logit = -INFINITY;
            }
        }
        return;
    }
    for (size_t i = 0; i < c->size; i++) c->data[i].logit /= temp;
}

ptrdiff_t hone_sample_dist(hone_cand_array *c, double u)
{
    if (c->size == 0) return -1;
    if (c->size == 1) {
        c->data[0].p = 1.0f;
        return 0;
    }
    float max_l = c->data[0].logit;
    if (!c->sorted)
        for (size_t i = 1; i < c->size; i++)
            if (c->data[i].logit > max_l) max_l = c->data[i].logit;
    double sum = 0.0;
    for (size_t i = 0; i < c->size; i++) {
        float p = expf(c->data[i].logit - max_l);
        c->data[i].p = p;
        sum += p;
    }
    const double target = sum * u;
    double run = 0.0;
    ptrdiff_t sel = -1;
    for (size_t i = 0; i < c->size; i++) {
        if (sel < 0) {
            run += c->data[i].p;
            if (run >= target) sel = (ptrdiff_t)i;
        }
        c->data[i].p = (float)(c->data[i].p / sum);
    }
    return sel >= 0 ? sel : (ptrdiff_t)c->size - 1;
}

/* ------------------------------------------------------------ the chain */

hone_sampler_params hone_sampler_default_params(void)
{
    return (hone_sampler_params){
        .temp = 0.80f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
        .min_keep = 0, .repeat_penalty = 1.0f, .repeat_last_n = 64,
        .freq_penalty = 0.0f, .presence_penalty = 0.0f,
        .seed = HONE_SEED_RANDOM, .n_order = 0,
    };
}

static const hone_sampler_kind default_order[] = {
    HONE_SAMPLER_PENALTIES, HONE_SAMPLER_TOP_K, HONE_SAMPLER_TOP_P,
    HONE_SAMPLER_MIN_P, HONE_SAMPLER_TEMPERATURE,
};

static const char *const kind_names[HONE_SAMPLER_KIND_COUNT] = {
    [HONE_SAMPLER_PENALTIES] = "penalties",
    [HONE_SAMPLER_TOP_K] = "top_k",
    [HONE_SAMPLER_TOP_P] = "top_p",
    [HONE_SAMPLER_MIN_P] = "min_p",
    [HONE_SAMPLER_TEMPERATURE] = "temperature",
};

static int kind_from_name(const char *s, size_t n)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf) return -1;
    for (size_t i = 0; i < n; i++) buf[i] = s[i] == '-' ? '_' : s[i];
    buf[n] = '\0';
    if (strcmp(buf, "temp") == 0) return HONE_SAMPLER_TEMPERATURE;
    for (int k = 0; k < HONE_SAMPLER_KIND_COUNT; k++)
        if (strcmp(buf, kind_names[k]) == 0) return k;
    return -1;
}

hone_status hone_sampler_parse_order(const char *spec, hone_sampler_params *p,
                                     hone_error *err)
{
    static const char choices[] = "penalties, top_k, top_p, min_p, temperature";
    int n = 0;
    hone_sampler_kind order[HONE_SAMPLER_MAX_ORDER];
    const char *s = spec ? spec : "";
    while (*s) {
        while (*s == ' ' || *s == ';' || *s == ',') s++;
        if (!*s) break;
        const char *e = s;
        while (*e && *e != ';' && *e != ',' && *e != ' ') e++;
        int k = kind_from_name(s, (size_t)(e - s));
        if (k < 0)
            return hone_fail(err, HONE_ERR_ARG, "unknown sampler '%.*s' (choices: %s)",
                             (int)(e - s), s, choices);
        for (int i = 0; i < n; i++)
            if (order[i] == (hone_sampler_kind)k)
                return hone_fail(err, HONE_ERR_ARG, "sampler '%s' listed twice",
                                 kind_names[k]);
        order[n++] = (hone_sampler_kind)k; /* at most KIND_COUNT < MAX_ORDER */
        s = e;
    }
    if (n == 0)
        return hone_fail(err, HONE_ERR_ARG, "empty sampler list (choices: %s)", choices);
    memcpy(p->order, order, sizeof order[0] * (size_t)n);
    p->n_order = n;
    return HONE_OK;
}

static hone_status check_params(const hone_sampler_params *p, int32_t n_vocab,
                                hone_error *err)
{
    if (n_vocab <= 0)
        return hone_fail(err, HONE_ERR_ARG, "sampler: vocabulary size %d must be positive",
                         (int)n_vocab);
    if (!isfinite(p->temp) || !isfinite(p->top_p) || !isfinite(p->min_p))
        return hone_fail(err, HONE_ERR_ARG, "sampler: temp, top_p and min_p must be finite");
    if (!isfinite(p->repeat_penalty) || p->repeat_penalty <= 0.0f ||
        !isfinite(1.0f / p->repeat_penalty))
        return hone_fail(err, HONE_ERR_ARG,
                         "sampler: repeat penalty %g must be finite and greater than 0",
                         (double)p->repeat_penalty);
    if (!isfinite(p->freq_penalty) || !isfinite(p->presence_penalty))
        return hone_fail(err, HONE_ERR_ARG,
                         "sampler: frequency and presence penalties must be finite");
    if (p->repeat_last_n < 0)
        return hone_fail(err, HONE_ERR_ARG,
                         "sampler: repeat_last_n %d must be >= 0 (resolve -1 to the context size)",
                         (int)p->repeat_last_n);
    if (p->min_keep < 0)
        return hone_fail(err, HONE_ERR_ARG, "sampler: min_keep %d must be >= 0",
                         (int)p->min_keep);
    if (p->n_order < 0 || p->n_order > HONE_SAMPLER_MAX_ORDER)
        return hone_fail(err, HONE_ERR_ARG, "sampler: chain length %d out of range 0..%d",
                         p->n_order, HONE_SAMPLER_MAX_ORDER);
    unsigned seen = 0;
    for (int i = 0; i < p->n_order; i++) {
        unsigned k = (unsigned)p->order[i];
        if (k >= HONE_SAMPLER_KIND_COUNT)
            return hone_fail(err, HONE_ERR_ARG, "sampler: unknown sampler kind %u", k);
        if (seen & (1u << k))
            return hone_fail(err, HONE_ERR_ARG, "sampler: '%s' appears twice in the chain",
                             kind_names[k]);
        seen |= 1u << k;
    }
    return HONE_OK;
}

hone_sampler *hone_sampler_new(const hone_sampler_params *p, int32_t n_vocab,
                               hone_error *err)
{
    if (!p) {
        hone_fail(err, HONE_ERR_ARG, "sampler: no parameters");
        return NULL;
    }
    if (check_params(p, n_vocab, err) != HONE_OK) return NULL;
    hone_sampler *s = calloc(1, sizeof *s);
    if (!s) goto nomem;
    s->p = *p;
    s->n_vocab = n_vocab;
    s->cands = malloc(sizeof *s->cands * (size_t)n_vocab);
    s->counts = calloc((size_t)n_vocab, sizeof *s->counts);
    s->ring = malloc(sizeof *s->ring * (size_t)(p->repeat_last_n > 0 ? p->repeat_last_n : 1));
    if (!s->cands || !s->counts || !s->ring) goto nomem;
    s->cur = (hone_cand_array){ s->cands, 0, false };
    hone_sampler_reset(s);
    return s;
nomem:
    hone_sampler_free(s);
    hone_fail(err, HONE_ERR_NOMEM, "sampler: out of memory for a vocabulary of %d",
              (int)n_vocab);
    return NULL;
}

void hone_sampler_free(hone_sampler *s)
{
    if (!s) return;
    free(s->cands);
    free(s->counts);
    free(s->ring);
    free(s);
}

void hone_sampler_reset(hone_sampler *s)
{
    memset(s->counts, 0, sizeof *s->counts * (size_t)s->n_vocab);
    s->ring_first = s->ring_size = 0;
    s->cur.size = 0;
    s->seed_cur = s->p.seed == HONE_SEED_RANDOM ? random_seed() : s->p.seed;
    hone_mt19937_seed(&s->rng, s->seed_cur);
}

uint32_t hone_sampler_seed(const hone_sampler *s) { return s->seed_cur; }

void hone_sampler_accept(hone_sampler *s, int32_t token)
{
    const int32_t cap = s->p.repeat_last_n;
    if (cap == 0 || token < 0 || token >= s->n_vocab) return;
    if (s->ring_size == cap) {
        s->counts[s->ring[s->ring_first]]--;
        s->ring_first = (s->ring_first + 1) % cap;
        s->ring_size--;
    }
    s->ring[(s->ring_first + s->ring_size) % cap] = token;
    s->ring_size++;
    s->counts[token]++;
}

static bool penalties_disabled(const hone_sampler_params *p)
{
    return p->repeat_last_n == 0 ||
           (p->repeat_penalty == 1.0f && p->freq_penalty == 0.0f &&
            p->presence_penalty == 0.0f);
}

int32_t hone_sampler_sample(hone_sampler *s, const float *logits)
{
    const hone_sampler_params *p = &s->p;
    hone_cand_array *c = &s->cur;
    hone_cands_from_logits(c, logits, s->n_vocab);

    const hone_sampler_kind *order = p->n_order > 0 ? p->order : default_order;
    int n_order = p->n_order > 0 ? p->n_order
                                 : (int)(sizeof default_order / sizeof default_order[0]);
    const size_t min_keep = (size_t)p->min_keep;
    for (int i = 0; i < n_order; i++) {
        switch (order[i]) {
        case HONE_SAMPLER_PENALTIES:
            if (!penalties_disabled(p))
                hone_sample_penalties(c, s->counts, p->repeat_penalty,
                                      p->freq_penalty, p->presence_penalty);
            break;
        case HONE_SAMPLER_TOP_K: hone_sample_top_k(c, p->top_k); break;
        case HONE_SAMPLER_TOP_P: hone_sample_top_p(c, p->top_p, min_keep); break;
        case HONE_SAMPLER_MIN_P: hone_sample_min_p(c, p->min_p, min_keep); break;
        case HONE_SAMPLER_TEMPERATURE: hone_sample_temp(c, p->temp); break;
        case HONE_SAMPLER_KIND_COUNT: break;
        }
    }
    /* llama.cpp draws even for a single candidate: keep the streams aligned */
    if (c->size == 0) return 0; /* unreachable: every step keeps >= 1 */
    ptrdiff_t sel = hone_sample_dist(c, hone_rng_uniform(&s->rng));
    return c->data[sel].id;
}

const hone_token_cand *hone_sampler_candidates(const hone_sampler *s, size_t *n)
{
    *n = s->cur.size;
    return s->cur.data;
}

/* ------------------------------------------------------------ stop strings */

hone_stop_kind hone_stop_find(const char *text, size_t len,
                              const char *const *stops, size_t n_stops,
                              size_t *pos)
{
    size_t full = SIZE_MAX, partial = len;
    for (size_t i = 0; i < n_stops; i++) {
        const char *st = stops[i];
        size_t m = st ? strlen(st) : 0;
        if (m == 0) continue;
        const char *hit = memmem(text, len, st, m);
        if (hit && (size_t)(hit - text) < full) full = (size_t)(hit - text);
        /* longest tail of text that is a proper prefix of st */
        for (size_t k = (m - 1 < len ? m - 1 : len); k > 0; k--) {
            if (memcmp(text + len - k, st, k) == 0) {
                if (len - k < partial) partial = len - k;
                break;
            }
        }
    }
    if (full != SIZE_MAX) {
        *pos = full;
        return HONE_STOP_FULL;
    }
    *pos = partial;
    return partial < len ? HONE_STOP_PARTIAL : HONE_STOP_NONE;
}
