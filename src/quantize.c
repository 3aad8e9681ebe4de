/* quantize.c — the `hone quantize` driver (see quantize.h): checks, the
 * output's metadata, then each tensor copied or quantized in slabs of
 * rows, streamed into a temporary file renamed over OUT at the end. */
#include "quantize.h"

#include "async_write.h"
#include "gguf_write.h"
#include "kernels.h"
#include "quant_ref.h"
#include "types.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QNT_VERSION 2              /* ggml's GGML_QNT_VERSION */
#define SLAB_BYTES (2u << 20)      /* output bytes quantized per round: small,
                                      so even a small tensor has a few and
                                      writing one overlaps quantizing the next */
#define COPY_BYTES (16u << 20)     /* bytes per write when copying */
#define CHUNK_ELEMS 32768          /* elements per thread-pool chunk */

/* Keys llama-quantize drops (split files become one) or sets anew. */
static bool key_replaced(const char *k)
{
    return !strcmp(k, "general.quantization_version") || !strcmp(k, "general.file_type") ||
           !strcmp(k, "split.no") || !strcmp(k, "split.count") ||
           !strcmp(k, "split.tensors.count");
}

static uint64_t n_rows(const hone_gguf_tensor *t)
{
    return t->ne[0] ? t->n_elements / t->ne[0] : 0;
}

/* --- the threaded part: a slab of rows, converted and quantized ------- */

typedef struct {
    const uint8_t *src;
    size_t src_row;
    hone_to_float_fn to_float;     /* NULL: the source is F32 */
    hone_quantize_row_fn quantize;
    uint8_t *dst;
    size_t dst_row;
    int64_t n_per_row;
    int64_t rows;
    float **scratch;               /* one row of floats per thread */
} slab_job;

static void slab_task(void *arg, int chunk, int n_chunks, int tid)
{
    const slab_job *j = arg;
    const int64_t r0 = j->rows * chunk / n_chunks, r1 = j->rows * (chunk + 1) / n_chunks;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *s = j->src + (size_t)r * j->src_row;
        const float *x = (const float *)(const void *)s;
        if (j->to_float) {
            j->to_float(s, j->scratch[tid], j->n_per_row);
            x = j->scratch[tid];
        }
        j->quantize(x, j->dst + (size_t)r * j->dst_row, j->n_per_row);
    }
}

/* --- checks ------------------------------------------------------------- */

static hone_status check_plan(const hone_gguf_file *f, const hone_quant_plan *plan,
                              const hone_quantize_params *p, const char *in_path, hone_error *err)
{
    const hone_kernels *gen = hone_kernels_generic();
    for (uint64_t k = 0; k < plan->n; k++) {
        const uint64_t i = plan->order[k];
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        const uint32_t to = plan->type[i];
        if (to == t->type) continue;
        if (!hone_quantize_ref(to))
            return hone_fail(err, HONE_ERR_UNSUPPORTED, "tensor %s: hone cannot produce type %s",
                             t->name, hone_type_name(to));
        uint64_t rb;
        if (!hone_row_bytes(to, t->ne[0], &rb))
            return hone_fail(err, HONE_ERR_UNSUPPORTED, "tensor %s: rows of %" PRIu64
                             " cannot be %s", t->name, t->ne[0], hone_type_name(to));
        const hone_type_info *ti = hone_type_get(t->type);
        const bool quantized = ti && ti->blck_size > 1;
        if (quantized && !p->allow_requantize)
            return hone_fail(err, HONE_ERR_ARG,
                             "%s is already quantized (%s is %s): requantizing loses quality;"
                             " pass --allow-requantize to do it anyway, or start from the"
                             " F32/F16/BF16 model", in_path, t->name, hone_type_name(t->type));
        if (t->type != HONE_TYPE_F32 && (t->type >= HONE_TYPE_COUNT || !gen->type[t->type].to_float))
            return hone_fail(err, HONE_ERR_UNSUPPORTED, "tensor %s: hone cannot read type %s",
                             t->name, hone_type_name(t->type));
    }
    return HONE_OK;
}

/* OUT must not be IN (the same inode by any path or link) nor a folder. */
static hone_status check_paths(const char *in_path, const char *out_path, hone_error *err)
{
    struct stat si, so;
    if (stat(in_path, &si) != 0)
        return hone_fail(err, HONE_ERR_IO, "cannot open %s: %s", in_path, strerror(errno));
    if (stat(out_path, &so) == 0) {
        if (si.st_dev == so.st_dev && si.st_ino == so.st_ino)
            return hone_fail(err, HONE_ERR_ARG, "input and output are the same file: %s and %s",
                             in_path, out_path);
        if (S_ISDIR(so.st_mode))
            return hone_fail(err, HONE_ERR_ARG, "output %s is a folder", out_path);
    }
    return HONE_OK;
}

/* Create the temporary file beside OUT (so the final rename stays in one
 * file system): ".NAME.hone-tmp.PID". */
static hone_status open_temp(const char *out_path, char **tmp_out, int *fd_out, hone_error *err)
{
    const char *slash = strrchr(out_path, '/');
    const size_t dir_len = slash ? (size_t)(slash - out_path) + 1 : 0;
    const size_t cap = strlen(out_path) + 64;
    char *tmp = malloc(cap);
    if (!tmp) return hone_fail(err, HONE_ERR_NOMEM, "out of memory");
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, cap, "%.*s.%s.hone-tmp.%ld.%d", (int)dir_len, out_path, out_path + dir_len,
                 (long)getpid(), attempt);
        const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return HONE_OK;
        }
        if (errno != EEXIST) {
            const int e = errno;
            free(tmp);
            return hone_fail(err, HONE_ERR_IO, "cannot write %s: %s", out_path, strerror(e));
        }
    }
    free(tmp);
    return hone_fail(err, HONE_ERR_IO, "cannot write %s: no free temporary name", out_path);
}

static bool cancelled(const hone_quantize_params *p)
{
    return p->cancel && *p->cancel;
}

/* --- writing ------------------------------------------------------------ */

typedef struct {
    const hone_quantize_params *p;
    hone_out_stream *out;
    float **scratch;
    hone_async_out *async;
    uint8_t *slab[2];          /* filled and written in turn */
    size_t slab_cap;
    int n_threads;
} writer;

static hone_status copy_tensor(writer *w, const hone_gguf_tensor *t, hone_error *err)
{
    const uint8_t *s = t->data;
    for (uint64_t off = 0; off < t->size; off += COPY_BYTES) {
        if (cancelled(w->p)) return hone_fail(err, HONE_ERR_IO, "interrupted");
        const uint64_t n = t->size - off < COPY_BYTES ? t->size - off : COPY_BYTES;
        hone_status st = hone_out_write(w->out, s + off, (size_t)n, err);
        if (st != HONE_OK) return st;
    }
    return HONE_OK;
}

static hone_status quantize_tensor(writer *w, const hone_gguf_tensor *t, uint32_t to,
                                   uint64_t *bytes_out, hone_error *err)
{
    uint64_t src_row, dst_row;
    hone_row_bytes(t->type, t->ne[0], &src_row); /* both checked before */
    hone_row_bytes(to, t->ne[0], &dst_row);
    const uint64_t rows = n_rows(t);
    uint64_t slab_rows = SLAB_BYTES / dst_row;
    if (slab_rows < 1) slab_rows = 1;
    if (slab_rows > rows) slab_rows = rows;
    if (slab_rows * dst_row > w->slab_cap) {
        hone_status st = hone_async_out_wait(w->async, err); /* no slab in flight */
        if (st != HONE_OK) return st;
        for (int k = 0; k < 2; k++) {
            uint8_t *b = realloc(w->slab[k], (size_t)(slab_rows * dst_row));
            if (!b) return hone_fail(err, HONE_ERR_NOMEM, "out of memory for tensor %s", t->name);
            w->slab[k] = b;
        }
        w->slab_cap = (size_t)(slab_rows * dst_row);
    }
    slab_job job = {
        .src_row = (size_t)src_row,
        .to_float = t->type == HONE_TYPE_F32 ? NULL : hone_kernels_generic()->type[t->type].to_float,
        .quantize = hone_quantize_ref(to),
        .dst_row = (size_t)dst_row,
        .n_per_row = (int64_t)t->ne[0],
        .scratch = w->scratch,
    };
    int cur = 0;
    for (uint64_t r = 0; r < rows; r += slab_rows, cur ^= 1) {
        if (cancelled(w->p)) return hone_fail(err, HONE_ERR_IO, "interrupted");
        job.dst = w->slab[cur];
        job.rows = (int64_t)(rows - r < slab_rows ? rows - r : slab_rows);
        job.src = (const uint8_t *)t->data + r * src_row;
        /* small chunks (~32K elements, a few ms): a thread the OS
         * preempts (the machine is shared) then holds up little */
        int64_t chunks = job.rows * job.n_per_row / CHUNK_ELEMS;
        if (chunks < 1) chunks = 1;
        if (chunks > job.rows) chunks = job.rows;
        if (chunks > HONE_MAX_CHUNKS) chunks = HONE_MAX_CHUNKS;
        hone_threadpool_run(w->p->pool, slab_task, &job, (int)chunks);
        /* waits for the other slab's write, then queues this one */
        hone_status st = hone_async_out_submit(w->async, w->slab[cur], (size_t)job.rows * dst_row, err);
        if (st != HONE_OK) return st;
    }
    *bytes_out = rows * dst_row;
    return hone_async_out_wait(w->async, err); /* the stream is ours again */
}

static hone_status write_all_tensors(writer *w, const hone_gguf_file *f,
                                     const hone_quant_plan *plan, uint32_t alignment,
                                     hone_quantize_stats *stats, hone_error *err)
{
    for (uint64_t k = 0; k < plan->n; k++) {
        const uint64_t i = plan->order[k];
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        const uint32_t to = plan->type[i];
        hone_quantize_progress pr = {
            .index = k, .count = plan->n, .name = t->name, .type_in = t->type, .type_out = to,
            .n_dims = t->n_dims, .bytes_in = t->size, .fallback = plan->fallback[i] != 0,
        };
        memcpy(pr.ne, t->ne, sizeof pr.ne);
        if (w->p->progress) w->p->progress(w->p->progress_ud, &pr);
        uint64_t out_bytes = t->size;
        hone_status st = to == t->type ? copy_tensor(w, t, err)
                                       : quantize_tensor(w, t, to, &out_bytes, err);
        hone_gguf_drop_pages(f, t->data, t->size); /* read once: keep RSS flat */
        if (st == HONE_OK) st = hone_out_pad(w->out, alignment, err);
        if (st != HONE_OK) return st;
        stats->bytes_in += t->size;
        stats->bytes_out += out_bytes;
        stats->n_elements += t->n_elements;
        pr.bytes_out = out_bytes;
        pr.done = true;
        if (w->p->progress) w->p->progress(w->p->progress_ud, &pr);
    }
    return hone_out_flush(w->out, err);
}

/* The output's metadata: the input's keys in order (less the replaced
 * ones), then the quantization version and file type, as llama-quantize
 * sets them; tensor infos in the plan's order with their new types. */
static hone_status build_meta(const hone_gguf_file *f, const hone_quant_plan *plan,
                              uint8_t **meta, size_t *meta_len, hone_error *err)
{
    hone_gguf_meta m;
    hone_gguf_meta_init(&m, hone_gguf_alignment(f));
    for (uint64_t i = 0; i < hone_gguf_n_kv(f); i++) {
        const hone_gguf_kv *kv = hone_gguf_kv_at(f, i);
        if (!key_replaced(kv->key)) hone_gguf_meta_copy_kv(&m, kv);
    }
    hone_gguf_meta_u32(&m, "general.quantization_version", QNT_VERSION);
    hone_gguf_meta_u32(&m, "general.file_type", plan->ftype);
    for (uint64_t k = 0; k < plan->n; k++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, plan->order[k]);
        const uint32_t to = plan->type[plan->order[k]];
        uint64_t row;
        hone_row_bytes(to, t->ne[0], &row);
        hone_gguf_meta_tensor(&m, t->name, t->n_dims, t->ne, to, row * n_rows(t));
    }
    *meta = hone_gguf_meta_finish(&m, meta_len);
    hone_gguf_meta_free(&m);
    return *meta ? HONE_OK : hone_fail(err, HONE_ERR_NOMEM, "out of memory for the metadata");
}

hone_status hone_quantize_file(const char *in_path, const char *out_path,
                               const hone_quantize_params *p, hone_quantize_stats *stats,
                               hone_error *err)
{
    memset(stats, 0, sizeof *stats);
    hone_status st = check_paths(in_path, out_path, err);
    if (st != HONE_OK) return st;
    hone_gguf_file *f = NULL;
    if ((st = hone_gguf_open(in_path, NULL, &f, err)) != HONE_OK)
        return st; /* the reader's message names the file */

    hone_quant_plan plan;
    uint8_t *meta = NULL;
    size_t meta_len = 0;
    char *tmp = NULL;
    int fd = -1;
    float **scratch = NULL;
    writer w = {.p = p, .n_threads = p->pool ? hone_threadpool_n_threads(p->pool) : 1};
    hone_out_stream out = {0};

    if ((st = hone_quant_plan_make(f, &p->mix, &plan, err)) != HONE_OK) {
        hone_gguf_close(f);
        return hone_fail_wrap(err, "%s", in_path);
    }
    if ((st = check_plan(f, &plan, p, in_path, err)) != HONE_OK) goto done;
    if ((st = build_meta(f, &plan, &meta, &meta_len, err)) != HONE_OK) goto done;

    uint64_t max_row = 1;
    for (uint64_t i = 0; i < plan.n; i++) {
        const hone_gguf_tensor *t = hone_gguf_tensor_at(f, i);
        if (t->ne[0] > max_row) max_row = t->ne[0];
    }
    scratch = calloc((size_t)w.n_threads, sizeof *scratch);
    if (!scratch) {
        st = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < w.n_threads; i++) {
        if (!(scratch[i] = malloc((size_t)max_row * sizeof(float)))) {
            st = hone_fail(err, HONE_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    w.scratch = scratch;

    if ((st = open_temp(out_path, &tmp, &fd, err)) != HONE_OK) goto done;
    if ((st = hone_out_open(&out, fd, out_path, err)) != HONE_OK) goto done;
    w.out = &out;
    if ((st = hone_async_out_start(&out, &w.async, err)) != HONE_OK) goto done;
    if ((st = hone_out_write(&out, meta, meta_len, err)) != HONE_OK) goto done;
    stats->n_tensors = plan.n;
    stats->n_fallback = plan.n_fallback;
    stats->ftype = plan.ftype;
    if ((st = write_all_tensors(&w, f, &plan, hone_gguf_alignment(f), stats, err)) != HONE_OK)
        goto done;
    if (close(fd) != 0) {
        fd = -1;
        st = hone_fail(err, HONE_ERR_IO, "writing %s: %s", out_path, strerror(errno));
        goto done;
    }
    fd = -1;
    /* no fsync: a crash of hone leaves no OUT either way; only a power
     * loss right after the rename could, and llama-quantize does not
     * sync either (it would cost seconds on a large model) */
    if (rename(tmp, out_path) != 0)
        st = hone_fail(err, HONE_ERR_IO, "cannot write %s: %s", out_path, strerror(errno));

done:
    hone_async_out_stop(w.async); /* first: it may still be writing to fd */
    if (fd >= 0) close(fd);
    if (tmp && st != HONE_OK) unlink(tmp);
    free(tmp);
    hone_out_free(&out);
    if (scratch)
        for (int i = 0; i < w.n_threads; i++) free(scratch[i]);
    free(scratch);
    free(w.slab[0]);
    free(w.slab[1]);
    free(meta);
    hone_quant_plan_free(&plan);
    hone_gguf_close(f);
    return st;
}
