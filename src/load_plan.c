/* load_plan.c — map or read a model file (see load_plan.h). */
#include "load_plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool hone_load_thp_mode(const char *thp, char *out, size_t cap)
{
    const char *a = thp ? strchr(thp, '[') : NULL;
    const char *b = a ? strchr(a, ']') : NULL;
    if (!b || b == a + 1 || (size_t)(b - a - 1) >= cap) return false;
    memcpy(out, a + 1, (size_t)(b - a - 1));
    out[b - a - 1] = '\0';
    return true;
}

uint64_t hone_load_read_max(uint64_t avail_bytes) { return avail_bytes / 4 * 3; }

bool hone_load_plan(hone_load_mode mode, const char *thp, uint64_t file_bytes, uint64_t avail_bytes,
                    char *why, size_t cap)
{
    char dummy[1];
    if (!why || cap == 0) why = dummy, cap = sizeof dummy;
    if (mode == HONE_LOAD_READ) return snprintf(why, cap, "asked for"), true;
    if (mode == HONE_LOAD_MMAP) return snprintf(why, cap, "asked for"), false;
    char m[16];
    if (!hone_load_thp_mode(thp, m, sizeof m))
        return snprintf(why, cap, "auto: no transparent huge pages here"), false;
    if (strcmp(m, "always") != 0 && strcmp(m, "madvise") != 0)
        return snprintf(why, cap, "auto: transparent huge pages are '%s'", m), false;
    if (file_bytes < HONE_LOAD_READ_MIN)
        return snprintf(why, cap, "auto: the file is under 2 MiB"), false;
    if (avail_bytes == 0) return snprintf(why, cap, "auto: the memory available is unknown"), false;
    const bool fits = file_bytes <= hone_load_read_max(avail_bytes);
    if (!fits)
        return snprintf(why, cap, "auto: %" PRIu64 " MiB is more than 3/4 of the %" PRIu64 " MiB available",
                        file_bytes >> 20, avail_bytes >> 20), false;
    snprintf(why, cap, "auto: %" PRIu64 " MiB of %" PRIu64 " MiB available, huge pages '%s'", file_bytes >> 20,
             avail_bytes >> 20, m);
    return true;
}
