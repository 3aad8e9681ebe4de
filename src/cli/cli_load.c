/* cli_load.c — the facts hone_load_plan decides on (load_plan.h), read off
 * this machine: the transparent huge page setting and the memory
 * available (MemAvailable, or less under a cgroup limit). Linux files;
 * elsewhere both are unknown and auto maps. */
#include "cli_args.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

/* The facts: the THP setting line (false if unknown) and the memory
 * available, the tighter of MemAvailable and the cgroup's room (0 if
 * unknown). */
static bool load_facts(char *thp, size_t cap, uint64_t *avail)
{
    *avail = mem_available();
    /* a container's MemAvailable is the host's; the image's Kubernetes
     * manifest limits the pod to 4 GiB */
    const uint64_t room = hone_cgroup_memory_room("/proc/self/cgroup", "/sys/fs/cgroup");
    if (room > 0 && room < *avail) *avail = room;
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
