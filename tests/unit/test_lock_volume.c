/*
 * Volume: every lock kind, many acquisitions, more threads than cores, each
 * critical section checked for mutual exclusion (owner field) and for lost
 * updates (a non-atomic counter). The stress tests find the races with
 * heavy random preemption; this one adds the count, so that a rare window
 * gets many chances. VOLUME_ITERS (per thread) overrides the default. The
 * total it checked is printed for the README's count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "lock.h"
#include "lock_harness.h"

#define VOLUME_ITERS_DEFAULT 50000u        /* per thread; make lock-volume: more */
#define SMALL_THRESHOLD      64            /* pv kinds really halt */
#define EXTRA_THREADS        1             /* threads = cores + this */

static uint64_t total_checked;

static unsigned iters(void)
{
    const char *e = getenv("VOLUME_ITERS");
    unsigned long v = e ? strtoul(e, NULL, 10) : 0;

    return v ? (unsigned)v : VOLUME_ITERS_DEFAULT;
}

static unsigned threads(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    return (unsigned)(cores < 1 ? 1 : cores) + EXTRA_THREADS;
}

static void volume(enum pv_lock_kind kind)
{
    struct stress_result r;

    harness_volume(kind, SMALL_THRESHOLD, threads(), iters(), &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_int_equal(r.head_violations, 0);
    assert_false(r.locked_after);
    total_checked += r.counted;
    print_message("volume %s: %lu acquisitions by %u threads, 0 violations "
                  "(halts=%lu kicks=%lu steals=%lu)\n",
                  pv_lock_kind_name(kind), (unsigned long)r.counted, threads(),
                  (unsigned long)r.totals.sum.halts,
                  (unsigned long)r.totals.kicks_received,
                  (unsigned long)r.totals.sum.steals);
}

static void test_volume_ticket(void **state) { (void)state; volume(PV_LOCK_TICKET); }
static void test_volume_pvticket(void **state) { (void)state; volume(PV_LOCK_PVTICKET); }
static void test_volume_tas(void **state) { (void)state; volume(PV_LOCK_TAS); }
static void test_volume_mcs(void **state) { (void)state; volume(PV_LOCK_MCS); }
static void test_volume_qspin(void **state) { (void)state; volume(PV_LOCK_QSPIN); }
static void test_volume_pvqspin(void **state) { (void)state; volume(PV_LOCK_PVQSPIN); }
static void test_volume_pticket(void **state) { (void)state; volume(PV_LOCK_PTICKET); }

static int report(void **state)
{
    (void)state;
    print_message("volume total: %lu mutual-exclusion-checked acquisitions\n",
                  (unsigned long)total_checked);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volume_ticket),
        cmocka_unit_test(test_volume_pvticket),
        cmocka_unit_test(test_volume_tas),
        cmocka_unit_test(test_volume_mcs),
        cmocka_unit_test(test_volume_qspin),
        cmocka_unit_test(test_volume_pvqspin),
        cmocka_unit_test(test_volume_pticket),
    };

    return cmocka_run_group_tests(tests, NULL, report);
}
