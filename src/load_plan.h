/* load_plan.h — whether a model file is mapped or read into memory.
 *
 * Mapping it (mmap, llama.cpp's default) starts at once and shares the
 * file's pages with every process that maps it. Reading it into a buffer
 * marked for transparent huge pages (gguf.c, no_mmap) costs a copy at load
 * and a private copy of the weights, but decode then streams its weights
 * from 2 MiB pages instead of 4 KiB ones: no page walk every 4 KiB, no
 * hardware prefetcher stopping at every page. bench-1b tg64, t=2, Zen 5:
 * Q4_0 +17-28 %, Q4_K_M +7-12 %, Q8_0 (already at the bandwidth) +-0.
 * A file mapping gets no huge pages from the kernels we meet (ext4 page
 * cache, no read-only file THP).
 *
 * So `auto` (hone's default, as llama.cpp's -lm auto) reads the model
 * when that pays and is safe, else maps it. The front-end gathers the
 * facts (the THP setting, the memory available); this only decides, so
 * every rule is testable. */
#ifndef HONE_LOAD_PLAN_H
#define HONE_LOAD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HONE_LOAD_AUTO, /* read when it pays and fits (hone_load_plan), else map */
    HONE_LOAD_READ, /* read into memory (llama.cpp's -lm none, --no-mmap) */
    HONE_LOAD_MMAP, /* map the file (llama.cpp's -lm mmap) */
} hone_load_mode;

/* The smallest file auto reads: below one huge page reading gains nothing. */
#define HONE_LOAD_READ_MIN ((uint64_t)2 << 20)

/* Whether to read (true) or map (false) a file of file_bytes:
 * - thp: the contents of /sys/kernel/mm/transparent_hugepage/enabled
 *   ("always [madvise] never"), NULL if unknown;
 * - avail_bytes: MemAvailable from /proc/meminfo, 0 if unknown.
 * AUTO reads only if THP is "always" or "madvise", the file is at least
 * HONE_LOAD_READ_MIN and at most 3/4 of the memory available (the page
 * cache holding the file meanwhile is reclaimable; a larger model is
 * mapped, so it still runs when it barely fits). why (cap bytes) gets the
 * reason in a few words, for -v. */
bool hone_load_plan(hone_load_mode mode, const char *thp, uint64_t file_bytes, uint64_t avail_bytes,
                    char *why, size_t cap);

/* The largest file AUTO reads when avail_bytes are available (3/4 of them). */
uint64_t hone_load_read_max(uint64_t avail_bytes);

/* The selected word of a THP setting line ("madvise" from "always [madvise]
 * never") into out (cap bytes); false if there is none. */
bool hone_load_thp_mode(const char *thp, char *out, size_t cap);

#endif
