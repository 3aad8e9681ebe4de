/* flash_attn.h — llama.cpp's CPU flash attention (`-fa on`, the default of
 * its tools), for the query rows of one KV head.
 *
 * llama.cpp (ggml-cpu ops.cpp, ggml_compute_forward_flash_attn_ext_f16)
 * runs one of three kernels, chosen per micro-batch, and their roundings
 * differ, so hone chooses the same way (hone_fa_choose) and reproduces
 * each one's order of operations:
 *
 *   VEC    (..._one_chunk): per query row, q rounded to the cache type,
 *          positions in order, an online softmax whose V sum is kept in the
 *          cache type (F16: every step rounds it back to F16), masked
 *          positions skipped; at the end VKQ / S. Used for decode and for
 *          micro-batches of fewer than HONE_FA_TILE_Q tokens.
 *   TILED  (..._tiled): HONE_FA_TILE_Q or more query tokens and head_dim a
 *          multiple of the SIMD lanes: q in F32, K and V converted to F32
 *          64 positions at a time, scores as sequential FMA chains, a
 *          softmax per tile (exponentials by ggml's SIMD expf, summed per
 *          vector in a tree, the vectors in double), the V sum in F32.
 *   SPLIT  (one query token, n_kv >= 512 cached cells): the VEC kernel
 *          over n_threads chunks of the padded cache, partials (M, S,
 *          VKQ) merged in chunk order: results depend on the thread count,
 *          as llama.cpp's do.
 *
 * n_kv is llama.cpp's padded cache length for the pass: the positions
 * used, rounded up to 256 (llama_kv_cache::get_n_kv).
 *
 * Each row's result depends only on its query, the positions it sees and
 * the path, never on how rows are grouped into items or threads, so the
 * forward pass parallelizes freely (and a sequence's results in a
 * multi-sequence pass are the ones it gets alone: hone chooses the path
 * per sequence, from its own token count).
 */
#ifndef HONE_FLASH_ATTN_H
#define HONE_FLASH_ATTN_H

#include "kernels.h"

#include <stddef.h>
#include <stdint.h>

/* ggml-cpu's GGML_FA_TILE_Q / GGML_FA_TILE_KV. */
#define HONE_FA_TILE_Q 64
#define HONE_FA_TILE_KV 64
/* Most rows (heads of one token) the VEC path walks the positions for at
 * once. */
#define HONE_FA_ROWS 16
/* The split path from this many cells of n_kv on (one query token). */
#define HONE_FA_SPLIT_MIN_KV 512

typedef enum { HONE_FA_VEC, HONE_FA_TILED, HONE_FA_SPLIT } hone_fa_path;

/* The path llama.cpp takes for a pass of n_tok query tokens (its ubatch;
 * all of them, even when only the last one's output is wanted) over n_kv
 * padded cells, with set k's SIMD width. */
hone_fa_path hone_fa_choose(const hone_kernels *k, int head_dim, int n_tok, int n_kv);

/* llama.cpp's n_kv for a sequence holding n_used positions after the pass. */
int hone_fa_n_kv(int n_used);

/* The query rows of one KV head. Row i is token i / group, head i % group:
 * its query is q + (i / group) * q_ld + (i % group) * head_dim (F32), it
 * sees positions [0, n_vis0 + i / group), its output goes to
 * out + i * head_dim. K and V rows of position p are at k_rows + p *
 * row_bytes and v_rows + p * row_bytes, in the cache type (F16 or F32). */
typedef struct {
    const hone_kernels *k;
    uint32_t type;          /* cache type: HONE_TYPE_F16 or HONE_TYPE_F32 */
    const uint8_t *k_rows, *v_rows;
    size_t row_bytes;
    int head_dim;
    float scale;            /* applied to q·k (1 when q was scaled before) */
    hone_fa_path path;
    int n_kv;               /* SPLIT: llama.cpp's padded cells */
    int n_chunks;           /* SPLIT: llama.cpp's thread count */
    const float *q;
    size_t q_ld;
    /* VEC / SPLIT: the rows' raw scores q·k (before scale) for every
     * position they see, row r at scores + r * scores_ld, as the kernel
     * set's matmul gives them (vec_dot's bits): one matrix product instead
     * of a dot per position. NULL: vec_dot per position. */
    const float *scores;
    size_t scores_ld;
    int group, rows, n_vis0;
    float *out;
} hone_fa_job;

/* Floats of per-thread scratch hone_fa_run needs for up to `rows` rows. */
size_t hone_fa_scratch_floats(int rows, int head_dim);

/* Compute every row of the job. scratch: hone_fa_scratch_floats floats,
 * 64-byte aligned, owned by the calling thread. */
void hone_fa_run(const hone_fa_job *j, float *scratch);

#endif
