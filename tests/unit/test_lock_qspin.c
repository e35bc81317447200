/*
 * Queued spinlock under pthreads: Linux's word layout (locked byte, pending
 * bit, tail code), the pending waiter, mutual exclusion under over-commit
 * with random preemption, and FIFO order (pending waiter first, then the
 * queue).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include "lock.h"
#include "lock_harness.h"

#define STRESS_ITERS 10000
#define LOCKED       1u
#define PENDING      (1u << 8)
#define WAIT_SECONDS 10

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];
static pv_spinlock_t pl;

static void test_names(void **state)
{
    enum pv_lock_kind k;

    (void)state;
    assert_int_equal(pv_lock_kind_parse("qspin", &k), 0);
    assert_int_equal(k, PV_LOCK_QSPIN);
    assert_string_equal(pv_lock_kind_name(PV_LOCK_QSPIN), "qspin");
}

static void *pending_waiter(void *arg)
{
    (void)arg;
    harness_set_cpu(1);
    pv_spin_lock(&pl);
    pv_spin_unlock(&pl);
    return NULL;
}

static void test_layout_and_pending(void **state)
{
    pthread_t th;

    (void)state;
    harness_reset();
    assert_int_equal(pv_lock_setup(PV_LOCK_QSPIN, &harness_platform, 0,
                                   stats), 0);
    pl.val = 0;
    pv_spin_lock(&pl);
    assert_int_equal(pl.val, LOCKED);
    /* the second locker waits as the pending waiter, not in the queue */
    harness_watchdog(WAIT_SECONDS, "qspin pending");
    pthread_create(&th, NULL, pending_waiter, NULL);
    while (__atomic_load_n(&pl.val, __ATOMIC_ACQUIRE) != (LOCKED | PENDING))
        sched_yield();
    pv_spin_unlock(&pl);
    pthread_join(th, NULL);
    harness_watchdog_off();
    assert_int_equal(pl.val, 0);
    assert_false(pv_spin_is_locked(&pl));
}

static void test_stress(void **state)
{
    struct stress_result r;

    (void)state;
    harness_stress(PV_LOCK_QSPIN, 0, harness_stress_threads(), STRESS_ITERS,
                   &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.final_val, 0);
}

static void test_fifo(void **state)
{
    struct fifo_result r;

    (void)state;
    harness_fifo(PV_LOCK_QSPIN, 0, harness_stress_threads(), &r);
    assert_int_equal(r.entered, r.nthreads);
    assert_int_equal(r.out_of_order, 0);
    assert_int_equal(r.final_val, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_layout_and_pending),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_fifo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
