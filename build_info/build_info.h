/* build_info.h — what this binary is and what the running CPU can do.
 *
 * Everything in build_info/ is compiled for the architecture baseline (see
 * build_info/CMakeLists.txt): the ISA guard and what it calls must run on a
 * CPU that lacks the features the rest of hone was compiled for.
 */
#ifndef HONE_BUILD_INFO_H
#define HONE_BUILD_INFO_H

#include "status.h"

#include <stdint.h>

#include <cJSON.h>

/* Check the running CPU has every feature this binary was compiled for
 * (and every feature build_info.json's target_isa lists). Compiled for the
 * architecture baseline: safe to call first thing in main. Prints a one-line
 * warning to stderr when build_info.json is missing or malformed. */
hone_status hone_isa_guard(hone_error *err);

/* ---- the running CPU (cpu_features, plus getauxval where it lags) ---- */

#define HONE_MAX_FEATURES 128
#define HONE_FEATURE_LEN 24

typedef struct {
    char arch[16];   /* "x86_64", "aarch64", "ppc64le" */
    char model[128]; /* brand string, or "implementer 0x41 part 0xd0c" */
    int n_flags;
    char flags[HONE_MAX_FEATURES][HONE_FEATURE_LEN]; /* cpu_features names */
} hone_cpu_info;

void hone_cpu_detect(hone_cpu_info *out);
bool hone_cpu_has(const hone_cpu_info *cpu, const char *feature);
/* True if name is a feature hone_cpu_detect can report on this arch. */
bool hone_cpu_feature_known(const char *name);

/* ---- topology (sysfs) and the thread heuristic ---- */

typedef struct {
    int logical_cpus;      /* online CPUs */
    int physical_cores;    /* distinct (package, core) pairs */
    int smt_per_core;      /* most hardware threads seen on one core */
    int performance_cores; /* hybrid: cores of the fastest class; else all */
    bool hybrid;
    long l1d_bytes, l2_bytes, l3_bytes; /* of cpu0; 0 if unknown */
} hone_topology;

/* Cache sizes from the CPU itself (CPUID leaves 4 / 0x8000001D through
 * cpu_features; x86 only), for machines whose sysfs has no cache folders
 * (some VMs): sets only the fields that are 0 and that the CPU reports. */
void hone_cpu_cache_fill(hone_topology *t);

/* Read the topology under sysfs_root (normally "/sys"; tests pass a fake
 * tree). Fails only if no online CPU can be read. */
hone_status hone_topology_read(const char *sysfs_root, hone_topology *out,
                               hone_error *err);

/* The CPU quota of this process's cgroup (v2 cpu.max or v1 cfs quota),
 * as a number of CPUs, the tightest along the hierarchy; 0 = unlimited.
 * self_cgroup is normally "/proc/self/cgroup", cgroup_root
 * "/sys/fs/cgroup". */
double hone_cgroup_cpu_limit(const char *self_cgroup, const char *cgroup_root);
/* The room under this process's cgroup memory limit, in bytes: the limit
 * less what is charged and cannot be reclaimed (page cache can be), the
 * tightest along the hierarchy (v2 memory.max / memory.current /
 * memory.stat file, or v1 memory.limit_in_bytes / usage_in_bytes /
 * total_cache); at least 1 where there is a limit, 0 = unlimited. A
 * container's MemAvailable is the host's: this is what it may still use. */
uint64_t hone_cgroup_memory_room(const char *self_cgroup, const char *cgroup_root);

/* The rules (README "Threads"): physical cores, not SMT siblings; on hybrid
 * CPUs performance cores only; on <= 4 cores N-1 (min 1); then at most the
 * cgroup quota (floor, min 1; cgroup_cpus 0 = none) and at most the number of
 * CPUs in the affinity mask (affinity_cpus 0 = unknown). Always >= 1. */
int hone_optimal_threads(const hone_topology *topo, double cgroup_cpus,
                         int affinity_cpus);
/* The same, on this machine (/sys, /proc/self/cgroup, sched_getaffinity). */
int hone_detect_optimal_threads(void);
/* Threads for a HONE_THREAD_MODE: "auto" (hone_detect_optimal_threads),
 * "all" (every CPU this process may use), "cores" (physical cores, no N-1),
 * "performance" (performance cores on hybrid CPUs, else physical ones);
 * the last two capped at hone_cpu_limit(). -1 for an unknown mode. */
int hone_threads_for_mode(const char *mode);
/* Number of CPUs in this process's affinity mask (0 if unknown). */
int hone_affinity_cpus(void);

/* Directory of the running binary (/proc/self/exe), "" if unknown. */
void hone_exe_dir(char *out, size_t cap);

/* ---- build_info.json ---- */

/* This build's compiled-in target ISA (cpu_features names), n entries. */
const char *const *hone_target_isa(int *n);

/* The JSON document describing this build and the running host: the
 * build_info.json contract (schema: build_info/build_info.schema.json).
 * NULL only if out of memory. Free with cJSON_Delete. */
cJSON *hone_build_info_generate(void);

/* Write the generated document to path atomically (temp file + rename). */
hone_status hone_build_info_write(const char *path, hone_error *err);

/* Find and parse build_info.json: $HONE_BUILD_INFO, then
 * <dir of the binary>/../lib/hone/build_info.json, then <dir of the
 * binary>/build_info.json (the build tree). If HONE_BUILD_INFO is set but
 * empty, no file is looked for. Returns the document (free with
 * cJSON_Delete) and its path in path_out (may be NULL); NULL with
 * HONE_ERR_IO if none exists (path_out empty), or HONE_ERR_FORMAT if the file
 * found is malformed (path_out names it). */
cJSON *hone_build_info_load(char *path_out, size_t path_cap, hone_error *err);

/* The CPUs this process may use now: the affinity mask's count, capped by
 * the cgroup quota (floor, min 1). 0 when neither is known. */
int hone_cpu_limit(void);

/* How many threads to use, and why (README "Threads"). Resolved once, by
 * a front-end, on the machine that runs the binary: build_info.json's
 * optimal_threads is the build host's, a record, never used here. */
typedef struct {
    int n;              /* >= 1 */
    const char *source; /* "-t", "HONE_THREADS", "OMP_NUM_THREADS",
                           "HONE_THREAD_MODE", "detected" */
    int limit;          /* hone_cpu_limit() */
    bool over_limit;    /* an explicit -t above the limit (obeyed) */
    char warning[160];  /* e.g. an ignored HONE_THREADS value; "" if none */
} hone_thread_choice;

/* cli_threads > 0 (-t) wins and is obeyed even above the limit; else
 * HONE_THREADS, then OMP_NUM_THREADS (positive integers; others are
 * ignored with a warning), capped at the live limit; else
 * HONE_THREAD_MODE (hone_threads_for_mode; unknown: warned, auto); else
 * hone_detect_optimal_threads(). */
hone_thread_choice hone_choose_threads(int cli_threads);
/* hone_choose_threads(cli_threads).n */
int hone_resolve_threads(int cli_threads);

#endif
