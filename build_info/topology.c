/* topology.c — cores, SMT, hybrid classes and caches from sysfs; the cgroup
 * CPU quota; the optimal_threads heuristic. Every reader takes its root
 * directory so unit tests can feed synthetic trees. */
#include "bi_internal.h"
#include "build_info.h"

#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CPUS 4096

/* Read a small text file into buf; false if it cannot be read. */
static bool read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
    return true;
}

static bool read_long(const char *path, long *out)
{
    char buf[64], *end;
    if (!read_text(path, buf, sizeof buf) || !buf[0]) return false;
    long v = strtol(buf, &end, 10);
    if (end == buf) return false;
    *out = v;
    return true;
}

/* read_long of dir/file (a cgroup's control file); false also when the
 * path does not fit. */
static bool read_long_in(const char *dir, const char *file, long *out)
{
    char path[PATH_MAX];
    return snprintf(path, sizeof path, "%s/%s", dir, file) < (int)sizeof path && read_long(path, out);
}

/* Parse a sysfs CPU list ("0-3,8,10-11") into a bitmap; false if malformed. */
static bool parse_cpu_list(const char *s, unsigned char *set, int *count)
{
    *count = 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10), b;
        if (end == s || a < 0 || a >= MAX_CPUS) return false;
        s = end;
        b = a;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1 || b < a || b >= MAX_CPUS) return false;
            s = end;
        }
        for (long c = a; c <= b; c++)
            if (!set[c]) {
                set[c] = 1;
                (*count)++;
            }
        if (*s == ',') s++;
        else if (*s) return false;
    }
    return true;
}

/* "32K", "1024K", "32M" -> bytes */
static long parse_size(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s) return 0;
    if (*end == 'K') v *= 1024L;
    else if (*end == 'M') v *= 1024L * 1024L;
    else if (*end == 'G') v *= 1024L * 1024L * 1024L;
    return v;
}

static void read_caches(const char *root, int cpu, hone_topology *t)
{
    char path[PATH_MAX], type[32], size[32];
    for (int i = 0; i < 16; i++) {
        long level;
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cache/index%d/level", root, cpu, i);
        if (!read_long(path, &level)) break;
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cache/index%d/type", root, cpu, i);
        if (!read_text(path, type, sizeof type)) continue;
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cache/index%d/size", root, cpu, i);
        if (!read_text(path, size, sizeof size)) continue;
        long bytes = parse_size(size);
        if (level == 1 && !strcmp(type, "Data")) t->l1d_bytes = bytes;
        else if (level == 2 && strcmp(type, "Instruction")) t->l2_bytes = bytes;
        else if (level == 3 && strcmp(type, "Instruction")) t->l3_bytes = bytes;
    }
}

/* Intel hybrid parts list their P-cores' CPUs in the cpu_core PMU. */
static bool read_intel_pcores(const char *root, unsigned char *pset)
{
    char path[PATH_MAX], buf[4096];
    int n;
    snprintf(path, sizeof path, "%s/devices/cpu_atom/cpus", root);
    if (!read_text(path, buf, sizeof buf) || !buf[0]) return false;
    snprintf(path, sizeof path, "%s/devices/cpu_core/cpus", root);
    if (!read_text(path, buf, sizeof buf)) return false;
    return parse_cpu_list(buf, pset, &n) && n > 0;
}

typedef struct {
    long package, core, capacity;
    int threads;
    bool perf;
} core_rec;

static int find_core(const core_rec *cores, int n, long package, long core)
{
    for (int i = 0; i < n; i++)
        if (cores[i].package == package && cores[i].core == core) return i;
    return -1;
}

hone_status hone_topology_read(const char *root, hone_topology *t, hone_error *err)
{
    memset(t, 0, sizeof *t);
    char path[PATH_MAX], buf[4096];
    unsigned char *online = calloc(MAX_CPUS, 1), *pset = calloc(MAX_CPUS, 1);
    core_rec *cores = calloc(MAX_CPUS, sizeof *cores);
    hone_status st = HONE_OK;
    int n_online = 0, n_cores = 0, first = -1;
    if (!online || !pset || !cores) {
        st = hone_fail(err, HONE_ERR_NOMEM, "topology: out of memory");
        goto done;
    }
    snprintf(path, sizeof path, "%s/devices/system/cpu/online", root);
    if (!read_text(path, buf, sizeof buf) || !parse_cpu_list(buf, online, &n_online) ||
        n_online == 0) {
        st = hone_fail(err, HONE_ERR_IO, "%s: cannot read the online CPU list", path);
        goto done;
    }
    bool intel_hybrid = read_intel_pcores(root, pset);
    for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
        if (!online[cpu]) continue;
        if (first < 0) first = cpu;
        long pkg = 0, core = cpu, cap = 0;
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/topology/physical_package_id", root, cpu);
        read_long(path, &pkg);
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/topology/core_id", root, cpu);
        read_long(path, &core);
        snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%d/cpu_capacity", root, cpu);
        read_long(path, &cap);
        int i = find_core(cores, n_cores, pkg, core);
        if (i < 0) {
            i = n_cores++;
            cores[i] = (core_rec){.package = pkg, .core = core, .capacity = cap};
        }
        cores[i].threads++;
        if (cap > cores[i].capacity) cores[i].capacity = cap;
        if (intel_hybrid && pset[cpu]) cores[i].perf = true;
    }
    /* Hybrid: Intel's cpu_core/cpu_atom PMUs, or differing cpu_capacity
     * (ARM big.LITTLE). Performance cores are those within 80% of the
     * fastest: a few percent of spread (preferred cores) is not hybrid. */
    long max_cap = 0, min_cap = LONG_MAX;
    for (int i = 0; i < n_cores; i++) {
        if (cores[i].capacity > max_cap) max_cap = cores[i].capacity;
        if (cores[i].capacity < min_cap) min_cap = cores[i].capacity;
    }
    bool cap_hybrid = !intel_hybrid && max_cap > 0 && min_cap * 5 < max_cap * 4;
    t->logical_cpus = n_online;
    t->physical_cores = n_cores;
    for (int i = 0; i < n_cores; i++) {
        if (cores[i].threads > t->smt_per_core) t->smt_per_core = cores[i].threads;
        bool perf = intel_hybrid ? cores[i].perf : cap_hybrid ? cores[i].capacity * 5 >= max_cap * 4 : true;
        if (perf) t->performance_cores++;
    }
    t->hybrid = (intel_hybrid || cap_hybrid) && t->performance_cores < n_cores;
    if (t->performance_cores == 0) t->performance_cores = n_cores;
    read_caches(root, first, t);
done:
    free(online);
    free(pset);
    free(cores);
    return st;
}

/* cgroup v2: "max 100000" or "150000 100000" -> CPUs (0 = unlimited). */
static double v2_limit(const char *dir)
{
    char path[PATH_MAX], buf[128];
    if (snprintf(path, sizeof path, "%s/cpu.max", dir) >= (int)sizeof path) return -1;
    if (!read_text(path, buf, sizeof buf)) return -1;
    if (!strncmp(buf, "max", 3)) return 0;
    double quota, period;
    if (sscanf(buf, "%lf %lf", &quota, &period) != 2 || quota <= 0 || period <= 0) return 0;
    return quota / period;
}

/* cgroup v1: cpu.cfs_quota_us (-1 = unlimited) / cpu.cfs_period_us. */
static double v1_limit(const char *dir)
{
    long quota, period;
    if (!read_long_in(dir, "cpu.cfs_quota_us", &quota)) return -1;
    if (quota <= 0 || !read_long_in(dir, "cpu.cfs_period_us", &period) || period <= 0) return 0;
    return (double)quota / (double)period;
}

/* Walk from root/rel up to root, keeping the tightest limit. */
static double walk_limit(const char *root, const char *rel, double (*limit)(const char *))
{
    char dir[PATH_MAX];
    double best = 0;
    bool any = false;
    if (snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] == '/' ? "" : "/", rel) >=
        (int)sizeof dir)
        return -1;
    size_t rootlen = strlen(root);
    for (;;) {
        double v = limit(dir);
        if (v >= 0) any = true;
        if (v > 0 && (best == 0 || v < best)) best = v;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < rootlen) break;
        *slash = '\0';
    }
    return any ? best : -1;
}

/* The tightest limit of controller ctl ("cpu", "memory") over this
 * process's cgroup and its ancestors: v2 (limit_v2 per directory), else
 * the v1 hierarchy whose controller list holds ctl (limit_v1), else
 * cgroup_root/ctl; 0 = unlimited. A limit function returns -1 where its
 * file is missing, 0 for "no limit", else the limit. */
static double cgroup_limit(const char *self_cgroup, const char *cgroup_root, const char *ctl_name,
                           double (*limit_v2)(const char *), double (*limit_v1)(const char *))
{
    char line[1024], v2path[PATH_MAX] = "", v1path[PATH_MAX] = "", v1ctl[64] = "";
    FILE *f = fopen(self_cgroup, "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (!c2) continue;
            *c1 = *c2 = '\0';
            const char *ctl = c1 + 1, *rel = c2 + 1;
            if (!strcmp(line, "0") && !ctl[0]) {
                snprintf(v2path, sizeof v2path, "%s", rel);
            } else {
                /* the v1 hierarchy whose controller list contains ctl_name */
                char ctls[256];
                snprintf(ctls, sizeof ctls, "%s", ctl);
                for (char *tok = strtok(ctls, ","); tok; tok = strtok(NULL, ","))
                    if (!strcmp(tok, ctl_name)) {
                        snprintf(v1path, sizeof v1path, "%s", rel);
                        snprintf(v1ctl, sizeof v1ctl, "%s", ctl);
                    }
            }
        }
        fclose(f);
    }
    double v = walk_limit(cgroup_root, v2path[0] ? v2path : "/", limit_v2);
    if (v >= 0) return v;
    if (v1ctl[0]) {
        char root[PATH_MAX];
        snprintf(root, sizeof root, "%s/%s", cgroup_root, v1ctl);
        v = walk_limit(root, v1path, limit_v1);
        if (v >= 0) return v;
    }
    char root[PATH_MAX];
    snprintf(root, sizeof root, "%s/%s", cgroup_root, ctl_name);
    v = walk_limit(root, v1path[0] ? v1path : "/", limit_v1);
    return v > 0 ? v : 0;
}

double hone_cgroup_cpu_limit(const char *self_cgroup, const char *cgroup_root)
{
    return cgroup_limit(self_cgroup, cgroup_root, "cpu", v2_limit, v1_limit);
}

/* The value of key in a "key value" file (memory.stat), 0 if absent. */
static double stat_key(const char *dir, const char *key)
{
    char path[PATH_MAX], line[256];
    if (snprintf(path, sizeof path, "%s/memory.stat", dir) >= (int)sizeof path) return 0;
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    const size_t n = strlen(key);
    double v = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ' ' && sscanf(line + n + 1, "%lf", &v) == 1) break;
    fclose(f);
    return v;
}

/* The room under a memory limit: the limit less what is charged and cannot
 * be reclaimed (the page cache can be), at least 1 byte (0 means no
 * limit to walk_limit). */
static double mem_room(double limit, double used, double cache)
{
    const double pinned = used > cache ? used - cache : 0;
    return limit > pinned + 1 ? limit - pinned : 1;
}

/* cgroup v2: memory.max ("max" = none), memory.current, memory.stat's file. */
static double v2_mem_room(const char *dir)
{
    char path[PATH_MAX], buf[64];
    if (snprintf(path, sizeof path, "%s/memory.max", dir) >= (int)sizeof path) return -1;
    if (!read_text(path, buf, sizeof buf)) return -1;
    double limit, used;
    if (sscanf(buf, "%lf", &limit) != 1 || limit <= 0) return 0; /* "max" */
    if (snprintf(path, sizeof path, "%s/memory.current", dir) >= (int)sizeof path ||
        !read_text(path, buf, sizeof buf) || sscanf(buf, "%lf", &used) != 1)
        used = 0;
    return mem_room(limit, used, stat_key(dir, "file"));
}

/* cgroup v1: memory.limit_in_bytes (a page-rounded LONG_MAX = none),
 * memory.usage_in_bytes, memory.stat's total_cache. */
static double v1_mem_room(const char *dir)
{
    long limit, used;
    if (!read_long_in(dir, "memory.limit_in_bytes", &limit)) return -1;
    if (limit <= 0 || limit >= (1L << 62)) return 0;
    if (!read_long_in(dir, "memory.usage_in_bytes", &used)) used = 0;
    return mem_room((double)limit, (double)used, stat_key(dir, "total_cache"));
}

uint64_t hone_cgroup_memory_room(const char *self_cgroup, const char *cgroup_root)
{
    return (uint64_t)cgroup_limit(self_cgroup, cgroup_root, "memory", v2_mem_room, v1_mem_room);
}

int hone_optimal_threads(const hone_topology *topo, double cgroup_cpus, int affinity_cpus)
{
    int n = topo->hybrid ? topo->performance_cores : topo->physical_cores;
    if (n <= 0) n = topo->logical_cpus;
    /* Small machines (<= 4 cores in all): leave one to the OS. A hybrid
     * CPU's efficiency cores already serve the OS. */
    int total = topo->physical_cores > 0 ? topo->physical_cores : topo->logical_cpus;
    if (total <= 4) n = n - 1;
    if (cgroup_cpus > 0 && n > (int)floor(cgroup_cpus)) n = (int)floor(cgroup_cpus);
    if (affinity_cpus > 0 && n > affinity_cpus) n = affinity_cpus;
    return n < 1 ? 1 : n;
}

int hone_affinity_cpus(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}

int hone_cpu_limit(void)
{
    int n = hone_affinity_cpus();
    const double q = hone_cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    if (q > 0) {
        const int qn = q < 1 ? 1 : (int)floor(q);
        if (n <= 0 || qn < n) n = qn;
    }
    return n > 0 ? n : 0;
}

int hone_threads_for_mode(const char *mode)
{
    if (!strcmp(mode, "auto")) return hone_detect_optimal_threads();
    const bool all = !strcmp(mode, "all"), cores = !strcmp(mode, "cores");
    if (!all && !cores && strcmp(mode, "performance")) return -1;
    const int limit = hone_cpu_limit();
    hone_topology t;
    int n = limit;
    if (!all && hone_topology_read("/sys", &t, NULL) == HONE_OK) {
        n = cores || !t.hybrid ? t.physical_cores : t.performance_cores;
        if (limit > 0 && n > limit) n = limit;
    }
    return n > 0 ? n : 1;
}

int hone_detect_optimal_threads(void)
{
    hone_topology t;
    if (hone_topology_read("/sys", &t, NULL) != HONE_OK) {
        /* no sysfs: the affinity mask is all we know */
        int a = hone_affinity_cpus();
        return a > 1 ? a : 1;
    }
    return hone_optimal_threads(&t, hone_cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup"),
                                hone_affinity_cpus());
}
