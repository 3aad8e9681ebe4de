/* cli_load.c — the facts hone_load_plan decides on (load_plan.h), read off
 * this machine: the transparent huge page setting and the memory
 * available (MemAvailable, or less under a cgroup limit). Linux files;
 * elsewhere both are unknown and auto maps. */
#include "cli_args.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first line of a small file into buf; false if it cannot be read. */
static bool first_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    const bool ok = fgets(buf, (int)cap, f) != NULL;
    fclose(f);
    return ok;
}

/* MemAvailable in bytes, 0 if unknown. */
static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    uint64_t kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kib) == 1) break;
    fclose(f);
    return kib * 1024;
}

/* A number from the first line of a file, false if there is none ("max"). */
static bool read_u64(const char *path, uint64_t *v)
{
    char line[64];
    return first_line(path, line, sizeof line) && sscanf(line, "%" SCNu64, v) == 1;
}

/* The value of key in a "key value" file (memory.stat), 0 if absent. */
static uint64_t stat_value(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    uint64_t v = 0;
    const size_t n = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, n) && line[n] == ' ' && sscanf(line + n + 1, "%" SCNu64, &v) == 1) break;
    fclose(f);
    return v;
}

/* Room left under this process's cgroup memory limit: the limit less what
 * is charged and cannot be reclaimed (page cache can be); UINT64_MAX if
 * there is no limit. A container's MemAvailable is the host's, so a pod
 * whose limit is below the model would be killed for reading it (the
 * image's Kubernetes manifest sets 4 GiB). cgroup v2 (memory.max,
 * memory.current, memory.stat's file) and v1 (memory.limit_in_bytes,
 * memory.usage_in_bytes, memory.stat's total_cache); the group is found in
 * /proc/self/cgroup, or at the mount's root (a container's namespace). */
static uint64_t cgroup_room(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r");
    if (!f) return UINT64_MAX;
    char line[512], dir[640];
    uint64_t room = UINT64_MAX;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const bool v2 = !strncmp(line, "0::", 3);
        const char *v1 = strstr(line, ":memory:");
        if (!v2 && !v1) continue;
        const char *rel = v2 ? line + 3 : v1 + 8;
        const char *root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
        const char *lim = v2 ? "memory.max" : "memory.limit_in_bytes";
        char p[700];
        uint64_t limit, used;
        snprintf(dir, sizeof dir, "%s%s", root, rel);
        snprintf(p, sizeof p, "%s/%s", dir, lim);
        if (access(p, R_OK) != 0) snprintf(dir, sizeof dir, "%s", root);
        snprintf(p, sizeof p, "%s/%s", dir, lim);
        if (!read_u64(p, &limit)) continue; /* "max": none */
        snprintf(p, sizeof p, "%s/%s", dir, v2 ? "memory.current" : "memory.usage_in_bytes");
        if (!read_u64(p, &used)) continue;
        snprintf(p, sizeof p, "%s/memory.stat", dir);
        const uint64_t cache = stat_value(p, v2 ? "file" : "total_cache");
        const uint64_t pinned = used > cache ? used - cache : 0;
        const uint64_t r = limit > pinned ? limit - pinned : 0;
        if (r < room) room = r;
    }
    fclose(f);
    return room;
}

/* The facts: the THP setting line (false if unknown) and the memory
 * available, the tighter of MemAvailable and the cgroup's room (0 if
 * unknown). */
static bool load_facts(char *thp, size_t cap, uint64_t *avail)
{
    *avail = mem_available();
    const uint64_t room = cgroup_room();
    if (room < *avail) *avail = room;
    return first_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, cap);
}

bool cli_load_read(int load_mode, const char *path, char *why, size_t cap)
{
    char thp[256];
    uint64_t avail = 0;
    const bool have_thp = load_mode == HONE_LOAD_AUTO && load_facts(thp, sizeof thp, &avail);
    struct stat sb;
    const uint64_t size = stat(path, &sb) == 0 && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
    return hone_load_plan((hone_load_mode)load_mode, have_thp ? thp : NULL, size, avail, why, cap);
}

void cli_load_describe(char *out, size_t cap)
{
    char thp[256], mode[16];
    uint64_t avail = 0;
    const bool have = load_facts(thp, sizeof thp, &avail) && hone_load_thp_mode(thp, mode, sizeof mode);
    /* the plan for the smallest file auto may read says whether it reads any */
    if (!hone_load_plan(HONE_LOAD_AUTO, have ? thp : NULL, HONE_LOAD_READ_MIN, avail, NULL, 0))
        snprintf(out, cap, "-lm auto maps models (%s)",
                 !have ? "no transparent huge pages here" : avail == 0 ? "memory available unknown" : mode);
    else
        snprintf(out, cap, "-lm auto reads models of 2 to %" PRIu64 " MiB into huge pages ('%s'; %" PRIu64
                 " MiB available), maps larger ones", hone_load_read_max(avail) >> 20, mode, avail >> 20);
}
