/* test_load_plan.c — map or read a model (load_plan.h): every rule of
 * auto, and the forced modes. */
#include "load_plan.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define MIB ((uint64_t)1 << 20)
static const char MADVISE[] = "always [madvise] never\n";

static void test_thp_mode(void **state)
{
    (void)state;
    char m[16];
    assert_true(hone_load_thp_mode(MADVISE, m, sizeof m));
    assert_string_equal(m, "madvise");
    assert_true(hone_load_thp_mode("[always] madvise never", m, sizeof m));
    assert_string_equal(m, "always");
    assert_true(hone_load_thp_mode("always madvise [never]", m, sizeof m));
    assert_string_equal(m, "never");
    assert_false(hone_load_thp_mode(NULL, m, sizeof m));
    assert_false(hone_load_thp_mode("always madvise never", m, sizeof m)); /* none selected */
    assert_false(hone_load_thp_mode("[]", m, sizeof m));
    assert_false(hone_load_thp_mode("[unterminated", m, sizeof m));
    assert_false(hone_load_thp_mode("[a-word-longer-than-the-buffer]", m, 8));
}

static void test_auto(void **state)
{
    (void)state;
    char why[160];
    /* a 607 MiB model, 20 GiB free, THP madvise or always: read */
    assert_true(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 607 * MIB, 20480 * MIB, why, sizeof why));
    assert_non_null(strstr(why, "607 MiB of 20480 MiB available"));
    assert_true(hone_load_plan(HONE_LOAD_AUTO, "[always] madvise never", 607 * MIB, 20480 * MIB, why, sizeof why));
    /* THP off or unknown: reading gains nothing, map */
    assert_false(hone_load_plan(HONE_LOAD_AUTO, "always madvise [never]", 607 * MIB, 20480 * MIB, why, sizeof why));
    assert_non_null(strstr(why, "'never'"));
    assert_false(hone_load_plan(HONE_LOAD_AUTO, NULL, 607 * MIB, 20480 * MIB, why, sizeof why));
    /* under one huge page: map */
    assert_false(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 2 * MIB - 1, 20480 * MIB, why, sizeof why));
    assert_true(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 2 * MIB, 20480 * MIB, why, sizeof why));
    /* at most 3/4 of the memory available; unknown memory: map */
    assert_true(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 3072 * MIB, 4096 * MIB, why, sizeof why));
    assert_false(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 3073 * MIB, 4096 * MIB, why, sizeof why));
    assert_non_null(strstr(why, "3073 MiB is more than 3/4 of the 4096 MiB available"));
    assert_false(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 3072 * MIB + 1, 4096 * MIB, why, sizeof why));
    assert_false(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 607 * MIB, 0, why, sizeof why));
    assert_int_equal(hone_load_read_max(4096 * MIB), 3072 * MIB);
    /* no buffer for the reason is fine */
    assert_true(hone_load_plan(HONE_LOAD_AUTO, MADVISE, 607 * MIB, 20480 * MIB, NULL, 0));
}

static void test_forced(void **state)
{
    (void)state;
    char why[160];
    /* what was asked for, whatever the machine */
    assert_true(hone_load_plan(HONE_LOAD_READ, NULL, 1, 0, why, sizeof why));
    assert_true(hone_load_plan(HONE_LOAD_READ, "always madvise [never]", 1 << 30, 1, why, sizeof why));
    assert_false(hone_load_plan(HONE_LOAD_MMAP, MADVISE, 607 * MIB, 20480 * MIB, why, sizeof why));
    assert_string_equal(why, "asked for");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thp_mode),
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_forced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
