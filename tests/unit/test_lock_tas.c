/*
 * tas under pthreads: the word is 0/1, mutual exclusion and the counter
 * under over-commit with random preemption, and no queue: a lock word
 * carrying a stranger's bits is busy, a zero word is free to anyone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lock.h"
#include "lock_harness.h"

#define STRESS_ITERS 10000

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];

static void test_names(void **state)
{
    enum pv_lock_kind k;

    (void)state;
    assert_int_equal(pv_lock_kind_parse("tas", &k), 0);
    assert_int_equal(k, PV_LOCK_TAS);
    assert_string_equal(pv_lock_kind_name(PV_LOCK_TAS), "tas");
}

static void test_layout(void **state)
{
    pv_spinlock_t l = PV_SPINLOCK_INIT;

    (void)state;
    harness_reset();
    assert_int_equal(pv_lock_setup(PV_LOCK_TAS, &harness_platform, 0, stats), 0);
    assert_false(pv_spin_is_locked(&l));
    pv_spin_lock(&l);
    assert_int_equal(l.val, 1);
    assert_true(pv_spin_is_locked(&l));
    pv_spin_unlock(&l);
    assert_int_equal(l.val, 0);
    assert_false(pv_spin_is_locked(&l));
}

static void test_stress(void **state)
{
    struct stress_result r;

    (void)state;
    harness_stress(PV_LOCK_TAS, 0, harness_stress_threads(), STRESS_ITERS, &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.final_val, 0);
    assert_int_equal(r.totals.sum.halts, 0);       /* tas never halts */
    assert_int_equal(r.totals.kicks_received, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_stress),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
