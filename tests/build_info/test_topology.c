/* test_topology.c — the sysfs topology reader, the cgroup quota reader and
 * the optimal_threads rules, on synthetic trees written to a temp dir. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "build_info.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fake filesystem helpers ---- */

static void mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

static void put(const char *root, const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdirs(dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *make_root(void)
{
    char *root = strdup("/tmp/hone-topo-XXXXXX");
    assert_non_null(mkdtemp(root));
    return root;
}

static void rm_root(char *root)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
    free(root);
}

/* cores x smt CPUs numbered core-major like Linux on AMD (cpu = t*cores+c),
 * with an optional cpu_capacity per core. */
static void fake_cpus(const char *root, int cores, int smt, const int *capacity)
{
    char rel[256], val[64];
    snprintf(val, sizeof val, "0-%d\n", cores * smt - 1);
    put(root, "devices/system/cpu/online", val);
    for (int t = 0; t < smt; t++)
        for (int c = 0; c < cores; c++) {
            int cpu = t * cores + c;
            snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/core_id", cpu);
            snprintf(val, sizeof val, "%d\n", c);
            put(root, rel, val);
            snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
            put(root, rel, "0\n");
            if (capacity) {
                snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/cpu_capacity", cpu);
                snprintf(val, sizeof val, "%d\n", capacity[c]);
                put(root, rel, val);
            }
        }
}

static hone_topology read_topo(const char *root)
{
    hone_topology t;
    hone_error err = {0};
    assert_int_equal(hone_topology_read(root, &t, &err), HONE_OK);
    return t;
}

/* ---- topology ---- */

static void smt_desktop(void **state)
{
    (void)state;
    char *root = make_root();
    fake_cpus(root, 8, 2, NULL);
    put(root, "devices/system/cpu/cpu0/cache/index0/level", "1\n");
    put(root, "devices/system/cpu/cpu0/cache/index0/type", "Data\n");
    put(root, "devices/system/cpu/cpu0/cache/index0/size", "32K\n");
    put(root, "devices/system/cpu/cpu0/cache/index1/level", "1\n");
    put(root, "devices/system/cpu/cpu0/cache/index1/type", "Instruction\n");
    put(root, "devices/system/cpu/cpu0/cache/index1/size", "64K\n");
    put(root, "devices/system/cpu/cpu0/cache/index2/level", "2\n");
    put(root, "devices/system/cpu/cpu0/cache/index2/type", "Unified\n");
    put(root, "devices/system/cpu/cpu0/cache/index2/size", "512K\n");
    put(root, "devices/system/cpu/cpu0/cache/index3/level", "3\n");
    put(root, "devices/system/cpu/cpu0/cache/index3/type", "Unified\n");
    put(root, "devices/system/cpu/cpu0/cache/index3/size", "32M\n");
    hone_topology t = read_topo(root);
    assert_int_equal(t.logical_cpus, 16);
    assert_int_equal(t.physical_cores, 8);
    assert_int_equal(t.smt_per_core, 2);
    assert_false(t.hybrid);
    assert_int_equal(t.l1d_bytes, 32 * 1024);
    assert_int_equal(t.l2_bytes, 512 * 1024);
    assert_int_equal(t.l3_bytes, 32L * 1024 * 1024);
    /* physical cores, not SMT siblings */
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 8);
    rm_root(root);
}

static void two_packages_same_core_ids(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "devices/system/cpu/online", "0-3\n");
    for (int cpu = 0; cpu < 4; cpu++) {
        char rel[128], val[16];
        snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/core_id", cpu);
        snprintf(val, sizeof val, "%d\n", cpu % 2);
        put(root, rel, val);
        snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
        snprintf(val, sizeof val, "%d\n", cpu / 2);
        put(root, rel, val);
    }
    hone_topology t = read_topo(root);
    assert_int_equal(t.physical_cores, 4);
    assert_int_equal(t.smt_per_core, 1);
    rm_root(root);
}

static void offline_cpus_ignored(void **state)
{
    (void)state;
    char *root = make_root();
    fake_cpus(root, 8, 1, NULL);
    put(root, "devices/system/cpu/online", "0-2,5\n"); /* 4 online */
    hone_topology t = read_topo(root);
    assert_int_equal(t.logical_cpus, 4);
    assert_int_equal(t.physical_cores, 4);
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 3); /* <= 4 cores: N-1 */
    rm_root(root);
}

static void hybrid_by_capacity(void **state)
{
    (void)state;
    char *root = make_root();
    const int cap[8] = {1024, 1024, 1024, 1024, 446, 446, 446, 446};
    fake_cpus(root, 8, 1, cap);
    hone_topology t = read_topo(root);
    assert_true(t.hybrid);
    assert_int_equal(t.physical_cores, 8);
    assert_int_equal(t.performance_cores, 4);
    /* performance cores only; 8 cores in all, so no N-1 */
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 4);
    rm_root(root);
}

static void hybrid_intel_pmus(void **state)
{
    (void)state;
    char *root = make_root();
    /* 6 P-cores with SMT (cpus 0-11, core_id = cpu/2) + 8 E-cores (12-19) */
    put(root, "devices/system/cpu/online", "0-19\n");
    for (int cpu = 0; cpu < 20; cpu++) {
        char rel[128], val[16];
        snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/core_id", cpu);
        snprintf(val, sizeof val, "%d\n", cpu < 12 ? cpu / 2 : 100 + cpu);
        put(root, rel, val);
    }
    put(root, "devices/cpu_core/cpus", "0-11\n");
    put(root, "devices/cpu_atom/cpus", "12-19\n");
    hone_topology t = read_topo(root);
    assert_true(t.hybrid);
    assert_int_equal(t.physical_cores, 14);
    assert_int_equal(t.performance_cores, 6);
    assert_int_equal(t.smt_per_core, 2);
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 6);
    rm_root(root);
}

static void equal_capacity_is_not_hybrid(void **state)
{
    (void)state;
    char *root = make_root();
    const int cap[4] = {1024, 1024, 1024, 1024};
    fake_cpus(root, 4, 1, cap);
    hone_topology t = read_topo(root);
    assert_false(t.hybrid);
    assert_int_equal(t.performance_cores, 4);
    rm_root(root);
    /* a small spread (preferred cores) is not hybrid either */
    root = make_root();
    const int spread[6] = {1024, 1010, 990, 1024, 1000, 980};
    fake_cpus(root, 6, 1, spread);
    t = read_topo(root);
    assert_false(t.hybrid);
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 6);
    rm_root(root);
}

static void big_medium_little(void **state)
{
    (void)state;
    char *root = make_root();
    /* 1 prime + 3 big (within 80%) + 4 little */
    const int cap[8] = {1024, 870, 870, 870, 325, 325, 325, 325};
    fake_cpus(root, 8, 1, cap);
    hone_topology t = read_topo(root);
    assert_true(t.hybrid);
    assert_int_equal(t.performance_cores, 4);
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 4);
    rm_root(root);
}

static void missing_sysfs_fails(void **state)
{
    (void)state;
    char *root = make_root();
    hone_topology t;
    hone_error err = {0};
    assert_int_equal(hone_topology_read(root, &t, &err), HONE_ERR_IO);
    assert_non_null(strstr(err.msg, "online"));
    put(root, "devices/system/cpu/online", "garbage\n");
    assert_int_equal(hone_topology_read(root, &t, &err), HONE_ERR_IO);
    rm_root(root);
}

/* ---- the rules ---- */

static void small_machines_leave_one_core(void **state)
{
    (void)state;
    hone_topology t = {0};
    const int expect[] = {0, 1, 1, 2, 3, 5, 6};
    for (int n = 1; n <= 6; n++) {
        t.logical_cpus = t.physical_cores = t.performance_cores = n;
        assert_int_equal(hone_optimal_threads(&t, 0, 0), expect[n]);
    }
}

static void quota_and_affinity_cap(void **state)
{
    (void)state;
    hone_topology t = {.logical_cpus = 64, .physical_cores = 32, .performance_cores = 32,
                       .smt_per_core = 2};
    assert_int_equal(hone_optimal_threads(&t, 0, 0), 32);
    assert_int_equal(hone_optimal_threads(&t, 4.0, 0), 4);
    assert_int_equal(hone_optimal_threads(&t, 2.5, 0), 2); /* floor */
    assert_int_equal(hone_optimal_threads(&t, 0.5, 0), 1); /* min 1 */
    assert_int_equal(hone_optimal_threads(&t, 0, 6), 6);
    assert_int_equal(hone_optimal_threads(&t, 8, 3), 3);
    assert_int_equal(hone_optimal_threads(&t, 3, 8), 3);
}

/* ---- cgroups ---- */

/* A fake /proc/self/cgroup (self) under root, and the paths the readers
 * take: cg (that file) and mnt (root/cgroup, the mount). */
static void fake_cgroup(const char *root, const char *self, char *cg, char *mnt)
{
    snprintf(cg, PATH_MAX, "%s/self_cgroup", root);
    snprintf(mnt, PATH_MAX, "%s/cgroup", root);
    put(root, "self_cgroup", self);
}

static double limit_of(const char *root, const char *self)
{
    char cg[PATH_MAX], mnt[PATH_MAX];
    fake_cgroup(root, self, cg, mnt);
    return hone_cgroup_cpu_limit(cg, mnt);
}

static void cgroup_v2(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "cgroup/cpu.max", "max 100000\n"); /* namespaced root */
    assert_true(limit_of(root, "0::/\n") == 0);
    put(root, "cgroup/cpu.max", "150000 100000\n");
    assert_true(limit_of(root, "0::/\n") == 1.5);
    /* nested: the tightest along the path wins */
    put(root, "cgroup/kubepods/pod1/cpu.max", "400000 100000\n");
    put(root, "cgroup/kubepods/cpu.max", "max 100000\n");
    put(root, "cgroup/cpu.max", "max 100000\n");
    assert_true(limit_of(root, "0::/kubepods/pod1\n") == 4.0);
    put(root, "cgroup/kubepods/cpu.max", "200000 100000\n");
    assert_true(limit_of(root, "0::/kubepods/pod1\n") == 2.0);
    rm_root(root);
}

static void cgroup_v1(void **state)
{
    (void)state;
    char *root = make_root();
    put(root, "cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "300000\n");
    put(root, "cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    assert_true(limit_of(root, "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n") == 3.0);
    put(root, "cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
    assert_true(limit_of(root, "4:cpu,cpuacct:/docker/abc\n") == 0);
    rm_root(root);
}

static void cgroup_absent_is_unlimited(void **state)
{
    (void)state;
    char *root = make_root();
    assert_true(limit_of(root, "0::/\n") == 0);
    assert_true(hone_cgroup_cpu_limit("/nonexistent/cgroup", "/nonexistent") == 0);
    rm_root(root);
}

static uint64_t room_of(const char *root, const char *self)
{
    char cg[PATH_MAX], mnt[PATH_MAX];
    fake_cgroup(root, self, cg, mnt);
    return hone_cgroup_memory_room(cg, mnt);
}

/* The memory room: the limit less what is charged and not page cache,
 * the tightest along the path; no limit = 0, a full group = 1 byte. */
static void cgroup_memory(void **state)
{
    (void)state;
    char *root = make_root();
    assert_true(room_of(root, "0::/\n") == 0); /* no files */
    put(root, "cgroup/memory.max", "max\n");
    assert_true(room_of(root, "0::/\n") == 0);
    put(root, "cgroup/kubepods/pod1/memory.max", "4294967296\n");
    put(root, "cgroup/kubepods/pod1/memory.current", "1073741824\n");
    put(root, "cgroup/kubepods/pod1/memory.stat", "anon 100\nfile 805306368\nfile_mapped 5\n");
    /* 4 GiB - (1 GiB - 768 MiB of page cache) */
    assert_true(room_of(root, "0::/kubepods/pod1\n") == 4294967296u - 268435456u);
    put(root, "cgroup/kubepods/memory.max", "1073741824\n");
    put(root, "cgroup/kubepods/memory.current", "1073741824\n");
    assert_true(room_of(root, "0::/kubepods/pod1\n") == 1); /* the parent is full */
    rm_root(root);
    /* v1 (a machine without v2 files): the memory hierarchy; a
     * page-rounded LONG_MAX is no limit */
    root = make_root();
    put(root, "cgroup/memory/docker/abc/memory.limit_in_bytes", "2147483648\n");
    put(root, "cgroup/memory/docker/abc/memory.usage_in_bytes", "1610612736\n");
    put(root, "cgroup/memory/docker/abc/memory.stat", "cache 1\ntotal_cache 1073741824\n");
    assert_true(room_of(root, "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n") == 1610612736u);
    put(root, "cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
    assert_true(room_of(root, "12:memory:/docker/abc\n") == 0);
    assert_true(hone_cgroup_memory_room("/nonexistent/cgroup", "/nonexistent") == 0);
    rm_root(root);
}

static void detect_on_this_machine(void **state)
{
    (void)state;
    int n = hone_detect_optimal_threads();
    int aff = hone_affinity_cpus();
    assert_true(n >= 1);
    if (aff > 0) assert_true(n <= aff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smt_desktop),
        cmocka_unit_test(two_packages_same_core_ids),
        cmocka_unit_test(offline_cpus_ignored),
        cmocka_unit_test(hybrid_by_capacity),
        cmocka_unit_test(hybrid_intel_pmus),
        cmocka_unit_test(equal_capacity_is_not_hybrid),
        cmocka_unit_test(big_medium_little),
        cmocka_unit_test(missing_sysfs_fails),
        cmocka_unit_test(small_machines_leave_one_core),
        cmocka_unit_test(quota_and_affinity_cap),
        cmocka_unit_test(cgroup_v2),
        cmocka_unit_test(cgroup_v1),
        cmocka_unit_test(cgroup_absent_is_unlimited),
        cmocka_unit_test(cgroup_memory),
        cmocka_unit_test(detect_on_this_machine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
