/*
 * Preemptable ticket lock under pthreads: the word layout (lock bit, grant
 * counter, ticket half) and its wrap-around, mutual exclusion under
 * over-commit, and the point
 * of the lock: a waiter queued behind a ticket that is never used (a
 * preempted waiter) still gets the lock, out of order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "lock.h"
#include "lock_harness.h"

#define STRESS_ITERS   10000
#define TICKET_ONE     (1u << 16)
#define GRANT_ONE      2u               /* grant lives in bits 15:1 */
#define GRANT_MAX_WORD 0xfffeu          /* grant 0x7fff, unlocked */
#define WAIT_SECONDS   10

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];

static void test_names(void **state)
{
    enum pv_lock_kind k;

    (void)state;
    assert_int_equal(pv_lock_kind_parse("pticket", &k), 0);
    assert_int_equal(k, PV_LOCK_PTICKET);
    assert_string_equal(pv_lock_kind_name(PV_LOCK_PTICKET), "pticket");
}

static void test_layout_and_wrap(void **state)
{
    pv_spinlock_t l = PV_SPINLOCK_INIT;

    (void)state;
    harness_reset();
    assert_int_equal(pv_lock_setup(PV_LOCK_PTICKET, &harness_platform, 0,
                                   stats), 0);
    pv_spin_lock(&l);
    assert_int_equal(l.val, TICKET_ONE | 1);    /* ticket 0 taken, locked */
    assert_true(pv_spin_is_locked(&l));
    pv_spin_unlock(&l);
    assert_int_equal(l.val, TICKET_ONE | GRANT_ONE);
    assert_false(pv_spin_is_locked(&l));

    /* grant and ticket both at their last value: the unlock's carry must
       stay inside the low half */
    l.val = (0x7fffu << 16) | GRANT_MAX_WORD;
    pv_spin_lock(&l);
    assert_int_equal(l.val, (0x8000u << 16) | GRANT_MAX_WORD | 1);
    pv_spin_unlock(&l);
    assert_int_equal(l.val, 0x8000u << 16);
    assert_int_equal(stats[0].steals, 0);
}

static void test_stress(void **state)
{
    struct stress_result r;

    (void)state;
    harness_stress(PV_LOCK_PTICKET, 0, harness_stress_threads(), STRESS_ITERS,
                   &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_false(r.locked_after);
    /* every acquisition bumped grant once, every lock took one ticket */
    assert_int_equal(((r.final_val >> 1) & 0x7fffu),
                     (uint32_t)(r.expected & 0x7fffu));
    assert_int_equal(r.final_val >> 16, (uint32_t)(r.expected & 0xffffu));
    print_message("pticket stress: out-of-order acquisitions=%lu\n",
                  (unsigned long)r.totals.sum.steals);
}

static pv_spinlock_t skip_lock;
static volatile int got;

static void *late_waiter(void *arg)
{
    (void)arg;
    harness_set_cpu(1);
    pv_spin_lock(&skip_lock);
    got = 1;
    pv_spin_unlock(&skip_lock);
    return NULL;
}

/* A ticket taken by a waiter that never comes back (a preempted vCPU)
   must not block the waiter behind it: a plain ticket lock hangs here. */
static void test_skips_absent_waiter(void **state)
{
    pthread_t th;

    (void)state;
    harness_reset();
    pv_lock_setup(PV_LOCK_PTICKET, &harness_platform, 0, stats);
    skip_lock.val = 0;
    got = 0;
    pv_spin_lock(&skip_lock);                   /* ticket 0 */
    __atomic_fetch_add(&skip_lock.val, TICKET_ONE, __ATOMIC_SEQ_CST);
    harness_watchdog(WAIT_SECONDS, "pticket skip");
    pthread_create(&th, NULL, late_waiter, NULL);   /* ticket 2 */
    pv_spin_unlock(&skip_lock);
    pthread_join(th, NULL);
    harness_watchdog_off();
    assert_true(got);
    assert_int_equal(stats[1].steals, 1);
    assert_false(pv_spin_is_locked(&skip_lock));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_layout_and_wrap),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_skips_absent_waiter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
