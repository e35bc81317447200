/*
 * Plain ticket lock under pthreads: word layout and wrap-around, mutual
 * exclusion under heavy over-commit with random preemption, and strict FIFO
 * hand-over. Also the kind name table shared by all kinds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lock.h"
#include "lock_harness.h"

#define STRESS_ITERS   10000
#define TAIL_ONE       (1u << 16)
#define HALF_MAX       0xffffu

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];

static void test_kind_names(void **state)
{
    enum pv_lock_kind k;

    (void)state;
    assert_string_equal(pv_lock_kind_name(PV_LOCK_TICKET), "ticket");
    assert_string_equal(pv_lock_kind_name(PV_LOCK_PVTICKET), "pvticket");
    assert_int_equal(pv_lock_kind_parse("pvticket", &k), 0);
    assert_int_equal(k, PV_LOCK_PVTICKET);
    assert_int_equal(pv_lock_kind_parse("ticket", &k), 0);
    assert_int_equal(k, PV_LOCK_TICKET);
    assert_int_equal(pv_lock_kind_parse("clh", &k), -1);
    assert_int_equal(pv_lock_kind_parse("", &k), -1);
    assert_string_equal(pv_lock_kind_name(PV_LOCK_KINDS), "?");
}

static void test_layout_and_wrap(void **state)
{
    pv_spinlock_t l = PV_SPINLOCK_INIT;

    (void)state;
    harness_reset();
    pv_lock_setup(PV_LOCK_TICKET, &harness_platform, 0, stats);
    assert_false(pv_spin_is_locked(&l));
    pv_spin_lock(&l);
    assert_int_equal(l.val, TAIL_ONE);          /* tail 1, head 0 */
    assert_true(pv_spin_is_locked(&l));
    pv_spin_unlock(&l);
    assert_int_equal(l.val, TAIL_ONE | 1);
    assert_false(pv_spin_is_locked(&l));

    /* both halves at their maximum: the head must wrap without carrying
       into the tail */
    l.val = (HALF_MAX << 16) | HALF_MAX;
    pv_spin_lock(&l);
    assert_int_equal(l.val, HALF_MAX);          /* tail wrapped to 0 */
    pv_spin_unlock(&l);
    assert_int_equal(l.val, 0);
}

static void test_stress(void **state)
{
    struct stress_result r;

    (void)state;
    harness_stress(PV_LOCK_TICKET, 0, harness_stress_threads(), STRESS_ITERS,
                   &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_int_equal(r.head_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.totals.sum.slow_path, 0);   /* ticket never halts */
    assert_int_equal(r.totals.kicks_received, 0);
}

static void test_fifo(void **state)
{
    struct fifo_result r;

    (void)state;
    harness_fifo(PV_LOCK_TICKET, 0, harness_stress_threads(), &r);
    assert_int_equal(r.entered, r.nthreads);
    assert_int_equal(r.out_of_order, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_layout_and_wrap),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_fifo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
