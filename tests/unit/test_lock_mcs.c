/*
 * MCS lock under pthreads: the word holds the tail's code and the holder's
 * node is freed at unlock, mutual exclusion under over-commit with random
 * preemption, strict FIFO hand-over, and nested holding on one CPU (each
 * held lock keeps its own node).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lock.h"
#include "lock_harness.h"

#define STRESS_ITERS 10000
#define CPU0_NODE0   ((0u + 1) << 2)    /* tail code of CPU 0, node 0 */
#define CPU0_NODE1   (CPU0_NODE0 | 1)

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];

static void test_names(void **state)
{
    enum pv_lock_kind k;

    (void)state;
    assert_int_equal(pv_lock_kind_parse("mcs", &k), 0);
    assert_int_equal(k, PV_LOCK_MCS);
    assert_string_equal(pv_lock_kind_name(PV_LOCK_MCS), "mcs");
}

static void test_needs_nodes(void **state)
{
    struct pv_lock_platform bare = harness_platform;

    (void)state;
    bare.qnodes = NULL;
    assert_int_equal(pv_lock_setup(PV_LOCK_MCS, &bare, 0, stats), -1);
    assert_int_equal(pv_lock_setup(PV_LOCK_KINDS, &harness_platform, 0, stats),
                     -1);
}

static void test_layout_and_nesting(void **state)
{
    pv_spinlock_t a = PV_SPINLOCK_INIT, b = PV_SPINLOCK_INIT;

    (void)state;
    harness_reset();
    assert_int_equal(pv_lock_setup(PV_LOCK_MCS, &harness_platform, 0, stats), 0);
    pv_spin_lock(&a);
    assert_int_equal(a.val, CPU0_NODE0);
    pv_spin_lock(&b);                   /* a still holds node 0 */
    assert_int_equal(b.val, CPU0_NODE1);
    pv_spin_unlock(&a);                 /* out of order on purpose */
    assert_int_equal(a.val, 0);
    pv_spin_lock(&a);                   /* node 0 is free again */
    assert_int_equal(a.val, CPU0_NODE0);
    pv_spin_unlock(&b);
    pv_spin_unlock(&a);
    assert_false(pv_spin_is_locked(&a));
    assert_false(pv_spin_is_locked(&b));
}

static void test_stress(void **state)
{
    struct stress_result r;

    (void)state;
    harness_stress(PV_LOCK_MCS, 0, harness_stress_threads(), STRESS_ITERS, &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.final_val, 0);
}

static void test_fifo(void **state)
{
    struct fifo_result r;

    (void)state;
    harness_fifo(PV_LOCK_MCS, 0, harness_stress_threads(), &r);
    assert_int_equal(r.entered, r.nthreads);
    assert_int_equal(r.out_of_order, 0);
    assert_int_equal(r.final_val, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_needs_nodes),
        cmocka_unit_test(test_layout_and_nesting),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_fifo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
