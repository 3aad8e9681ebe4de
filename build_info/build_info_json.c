/* build_info_json.c — build_info.json: generate (build constants from the
 * configured header + the host detected now), write atomically, find and
 * load at start, and resolve the thread count. */
#include "bi_internal.h"
#include "build_info.h"
#include "hone_build_config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HONE_HAVE_BLAS
#include <cblas.h>
#endif

#define MAX_JSON_BYTES (1 << 20)

void hone_exe_dir(char *out, size_t cap)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    out[0] = '\0';
    if (n <= 0) return;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) return;
    *slash = '\0';
    snprintf(out, cap, "%s", buf[0] ? buf : "/");
}

static void iso_date(long long epoch, char *out, size_t cap)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, cap, "1970-01-01T00:00:00Z");
}

static cJSON *string_or_null(const char *s)
{
    return s && s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *topology_json(int *optimal)
{
    hone_topology t;
    cJSON *o = cJSON_CreateObject();
    double quota = hone_cgroup_cpu_limit("/proc/self/cgroup", "/sys/fs/cgroup");
    int affinity = hone_affinity_cpus();
    if (hone_topology_read("/sys", &t, NULL) != HONE_OK) {
        memset(&t, 0, sizeof t);
        t.logical_cpus = t.physical_cores = t.performance_cores = affinity > 0 ? affinity : 1;
        t.smt_per_core = 1;
    }
    if (!t.l1d_bytes || !t.l2_bytes || !t.l3_bytes) hone_cpu_cache_fill(&t);
    *optimal = hone_optimal_threads(&t, quota, affinity);
    cJSON_AddNumberToObject(o, "logical_cpus", t.logical_cpus);
    cJSON_AddNumberToObject(o, "physical_cores", t.physical_cores);
    cJSON_AddNumberToObject(o, "smt_per_core", t.smt_per_core);
    cJSON_AddNumberToObject(o, "performance_cores", t.performance_cores);
    cJSON_AddBoolToObject(o, "hybrid", t.hybrid);
    cJSON_AddNumberToObject(o, "l1d_bytes", (double)t.l1d_bytes);
    cJSON_AddNumberToObject(o, "l2_bytes", (double)t.l2_bytes);
    cJSON_AddNumberToObject(o, "l3_bytes", (double)t.l3_bytes);
    if (quota > 0) cJSON_AddNumberToObject(o, "cgroup_cpu_limit", quota);
    else cJSON_AddNullToObject(o, "cgroup_cpu_limit");
    cJSON_AddNumberToObject(o, "affinity_cpus", affinity);
    return o;
}

/* The document; with with_host = false the build host's fields (cpu_model,
 * cpu_flags, optimal_threads, topology) are null / empty. */
static cJSON *generate(bool with_host)
{
    static const char *const isa[] = {HONE_BI_TARGET_ISA NULL};
    bool native = !strcmp(HONE_BI_VARIANT, "native");
    char date[32], host[256] = "";
    iso_date(HONE_BI_REPRODUCIBLE ? HONE_BI_SOURCE_DATE_EPOCH : (long long)time(NULL), date,
             sizeof date);
    if (native && gethostname(host, sizeof host - 1) != 0) host[0] = '\0';

    hone_cpu_info cpu = {0};
    if (with_host) hone_cpu_detect(&cpu);
    int optimal = 1;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    cJSON_AddNumberToObject(o, "schema_version", 1);
    cJSON_AddStringToObject(o, "hone_version", HONE_BI_VERSION);
    cJSON_AddStringToObject(o, "build_type", HONE_BI_VARIANT);
    cJSON_AddStringToObject(o, "arch", HONE_BI_ARCH);
    cJSON *arr = cJSON_AddArrayToObject(o, "target_isa");
    for (int i = 0; isa[i]; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(isa[i]));
    cJSON_AddStringToObject(o, "compiler", HONE_BI_COMPILER);
    cJSON_AddStringToObject(o, "cmake_flags", HONE_BI_CMAKE_FLAGS);
    cJSON_AddStringToObject(o, "c_flags", HONE_BI_C_FLAGS);
    cJSON_AddItemToObject(o, "blas", string_or_null(HONE_BI_BLAS));
#ifdef HONE_HAVE_BLAS
    /* what the linked OpenBLAS reports at run time (kernel set, threads) */
    cJSON_AddItemToObject(o, "blas_config", string_or_null(openblas_get_config()));
#else
    cJSON_AddNullToObject(o, "blas_config");
#endif
    cJSON_AddBoolToObject(o, "openmp", HONE_BI_OPENMP);
    cJSON_AddStringToObject(o, "git_commit", HONE_BI_GIT_COMMIT);
    cJSON_AddStringToObject(o, "date", date);
    cJSON_AddNumberToObject(o, "source_date_epoch", (double)HONE_BI_SOURCE_DATE_EPOCH);
    cJSON_AddBoolToObject(o, "reproducible", HONE_BI_REPRODUCIBLE);
    cJSON_AddItemToObject(o, "hostname", native ? string_or_null(host) : cJSON_CreateNull());
    arr = cJSON_AddArrayToObject(o, "cpu_flags");
    if (!with_host) {
        cJSON_AddNullToObject(o, "cpu_model");
        cJSON_AddNullToObject(o, "optimal_threads");
        cJSON_AddNullToObject(o, "topology");
        return o;
    }
    cJSON_AddStringToObject(o, "cpu_model", cpu.model);
    for (int i = 0; i < cpu.n_flags; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(cpu.flags[i]));
    cJSON *topo = topology_json(&optimal);
    cJSON_AddNumberToObject(o, "optimal_threads", optimal);
    cJSON_AddItemToObject(o, "topology", topo);
    return o;
}

cJSON *hone_build_info_generate(void) { return generate(true); }

hone_status hone_build_info_write(const char *path, hone_error *err)
{
    /* a release artifact records nothing of the machine that built it */
    cJSON *doc = generate(!HONE_BI_RELEASE);
    char *text = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (!text) return hone_fail(err, HONE_ERR_NOMEM, "build_info.json: out of memory");
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    hone_status st = HONE_OK;
    if (!f) {
        st = hone_fail(err, HONE_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    } else {
        bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
        ok = (fflush(f) == 0) && ok;
        ok = (fsync(fileno(f)) == 0) && ok;
        ok = (fclose(f) == 0) && ok;
        if (!ok || rename(tmp, path) != 0) {
            st = hone_fail(err, HONE_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    cJSON_free(text);
    return st;
}

static cJSON *load_file(const char *path, hone_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        hone_fail(err, HONE_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_JSON_BYTES + 1);
    size_t n = buf ? fread(buf, 1, MAX_JSON_BYTES + 1, f) : 0;
    fclose(f);
    if (!buf) {
        hone_fail(err, HONE_ERR_NOMEM, "%s: out of memory", path);
        return NULL;
    }
    cJSON *doc = NULL;
    if (n > MAX_JSON_BYTES) {
        hone_fail(err, HONE_ERR_FORMAT, "%s: malformed build_info.json (larger than 1 MiB)", path);
    } else {
        buf[n] = '\0';
        doc = cJSON_ParseWithLength(buf, n);
        const char *why = !doc ? "invalid JSON" : !cJSON_IsObject(doc) ? "not a JSON object" : NULL;
        char reason[96];
        if (!why) {
            /* the parts of the contract the engine reads: a file that breaks
             * them is not used at all (info --json then shows what is) */
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
            const cJSON *isa = cJSON_GetObjectItemCaseSensitive(doc, "target_isa"), *e;
            if (!cJSON_IsNumber(v)) {
                why = "no schema_version";
            } else if (v->valuedouble != 1) {
                snprintf(reason, sizeof reason, "schema_version %g; this hone reads 1", v->valuedouble);
                why = reason;
            } else if (!cJSON_IsArray(isa)) {
                why = "target_isa is not an array";
            } else {
                cJSON_ArrayForEach(e, isa) if (!cJSON_IsString(e)) why = "target_isa holds a non-string";
            }
        }
        if (why) {
            hone_fail(err, HONE_ERR_FORMAT, "%s: malformed build_info.json (%s)", path, why);
            cJSON_Delete(doc);
            doc = NULL;
        }
    }
    free(buf);
    return doc;
}

cJSON *hone_build_info_load(char *path_out, size_t path_cap, hone_error *err)
{
    char cand[3][PATH_MAX + 64], dir[PATH_MAX];
    int n = 0;
    const char *env = getenv("HONE_BUILD_INFO");
    if (path_out && path_cap) path_out[0] = '\0';
    if (env && !env[0]) {
        hone_fail(err, HONE_ERR_IO, "build_info.json lookup disabled (HONE_BUILD_INFO is empty)");
        return NULL;
    }
    if (env) {
        snprintf(cand[n++], sizeof cand[0], "%s", env);
    } else {
        hone_exe_dir(dir, sizeof dir);
        if (dir[0]) {
            snprintf(cand[n++], sizeof cand[0], "%s/../lib/hone/build_info.json", dir);
            snprintf(cand[n++], sizeof cand[0], "%s/build_info.json", dir);
        }
    }
    for (int i = 0; i < n; i++) {
        if (access(cand[i], F_OK) != 0) continue;
        if (path_out && path_cap) snprintf(path_out, path_cap, "%s", cand[i]);
        return load_file(cand[i], err);
    }
    if (env)
        hone_fail(err, HONE_ERR_IO, "HONE_BUILD_INFO=%s: no such file", env);
    else
        hone_fail(err, HONE_ERR_IO,
                "no build_info.json (looked in <bin>/../lib/hone and <bin>, and $HONE_BUILD_INFO)");
    return NULL;
}

/* A positive integer (1..100000) from the environment: its value, 0 when
 * unset or empty, -1 when set to something else. A list ("4,2", OpenMP's
 * nested form) counts by its first element. */
static int env_threads(const char *name)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || (*end && *end != ',') || v < 1 || v > 100000) return -1;
    return (int)v;
}

hone_thread_choice hone_choose_threads(int cli_threads)
{
    hone_thread_choice c = {.limit = hone_cpu_limit()};
    if (cli_threads > 0) {
        c.n = cli_threads;
        c.source = "-t";
        c.over_limit = c.limit > 0 && c.n > c.limit;
        return c;
    }
    static const char *const vars[] = {"HONE_THREADS", "OMP_NUM_THREADS"};
    for (int i = 0; i < 2; i++) {
        const int v = env_threads(vars[i]);
        if (v < 0 && !c.warning[0])
            snprintf(c.warning, sizeof c.warning,
                     "%s='%.40s' is not a positive integer: ignored", vars[i], getenv(vars[i]));
        if (v <= 0) continue;
        c.n = c.limit > 0 && v > c.limit ? c.limit : v;
        c.source = vars[i];
        if (c.n < v)
            snprintf(c.warning, sizeof c.warning,
                     "%s=%d is more than the %d CPUs this process may use: using %d", vars[i], v,
                     c.limit, c.n);
        return c;
    }
    const char *mode = getenv("HONE_THREAD_MODE");
    if (mode && *mode) {
        const int n = hone_threads_for_mode(mode);
        if (n > 0) {
            c.n = n;
            c.source = "HONE_THREAD_MODE";
            return c;
        }
        if (!c.warning[0])
            snprintf(c.warning, sizeof c.warning,
                     "HONE_THREAD_MODE='%.40s' is not auto, all, cores or performance: ignored", mode);
    }
    c.n = hone_detect_optimal_threads();
    c.source = "detected";
    return c;
}

int hone_resolve_threads(int cli_threads) { return hone_choose_threads(cli_threads).n; }
