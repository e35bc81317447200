/*
 * The stress window of a task's rate (libpv/window.c): from the first
 * worker's start to the last one's deadline, counting what was completed
 * by each deadline; never the time to the end barrier, which can be far
 * later (a VM descheduled at its deadline, another VM's reports). With
 * ops= it ends at the last worker's end and counts everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "window.h"

/* Two writers and an unused slot (a reader: start 0). The end barrier
   came at 9000, long after both deadlines: 100 + 50 shootdowns over the
   barrier's 8000 cycles would be the old, wrong rate. */
static const struct pv_span spans[] = {
    { .start = 1000, .deadline = 3000, .end = 3100, .in_window = 100, .total = 101 },
    { .start = 1200, .deadline = 3200, .end = 3900, .in_window = 50,  .total = 52 },
    { 0 },
};
#define BARRIER_END 9000u

static void test_duration_window(void **state)
{
    uint64_t n = 0, w;

    (void)state;
    w = pv_stress_window(spans, 3, 0, &n);
    assert_int_equal(w, 3200 - 1000);   /* first start to last deadline */
    assert_int_equal(n, 150);           /* completed by each one's deadline */
    assert_true(w < BARRIER_END - spans[0].start);
}

static void test_ops_window(void **state)
{
    uint64_t n = 0, w;

    (void)state;
    w = pv_stress_window(spans, 3, 1, &n);
    assert_int_equal(w, 3900 - 1000);   /* first start to last end */
    assert_int_equal(n, 153);
}

static void test_empty(void **state)
{
    struct pv_span none[2] = { { 0 }, { 0 } };
    struct pv_span bad = { .start = 500, .deadline = 500, .end = 400, .in_window = 3 };
    uint64_t n = 7;

    (void)state;
    assert_int_equal(pv_stress_window(none, 2, 0, &n), 0);
    assert_int_equal(n, 0);
    n = 7;
    assert_int_equal(pv_stress_window(&bad, 1, 0, &n), 0);
    assert_int_equal(n, 0);
    n = 7;
    assert_int_equal(pv_stress_window(spans, 0, 0, &n), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_window),
        cmocka_unit_test(test_ops_window),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
