/*
 * pv ticket lock under pthreads with a futex halt/kick: the word layout
 * (tickets by 2, flag in bit 0 of the tail), mutual exclusion and FIFO with
 * waiters that really halt, and the three races the protocol exists for: a
 * kick that lands before the halt, an unlock between the spin and the flag
 * (served on re-check, no halt), and a stale kick (spurious wake-up).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "lock.h"
#include "lock_harness.h"

#define SMALL_THRESHOLD 16          /* halt soon so the slow path runs */
#define STRESS_ITERS    10000
#define TICKET_INC      2u
#define TAIL_SHIFT      16
#define FLAG_BIT        (1u << TAIL_SHIFT)
#define HALF_MAX_EVEN   0xfffeu
#define WAIT_SECONDS    5

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];
static struct pv_lock_platform plat;
static pv_spinlock_t race_lock;
static volatile int reached, go;

static uint32_t word(unsigned head, unsigned tail)
{
    return (tail << TAIL_SHIFT) | head;
}

static void test_layout_and_wrap(void **state)
{
    pv_spinlock_t l = PV_SPINLOCK_INIT;

    (void)state;
    harness_reset();
    pv_lock_setup(PV_LOCK_PVTICKET, &harness_platform, SMALL_THRESHOLD, stats);
    pv_spin_lock(&l);
    assert_int_equal(l.val, word(0, TICKET_INC));
    assert_true(pv_spin_is_locked(&l));
    pv_spin_unlock(&l);
    assert_int_equal(l.val, word(TICKET_INC, TICKET_INC));
    assert_false(pv_spin_is_locked(&l));

    /* a set flag is not a ticket: the lock is free, and an uncontended
       unlock clears the flag */
    l.val = word(TICKET_INC, TICKET_INC) | FLAG_BIT;
    assert_false(pv_spin_is_locked(&l));
    pv_spin_lock(&l);
    assert_true(pv_spin_is_locked(&l));
    pv_spin_unlock(&l);
    assert_int_equal(l.val, word(2 * TICKET_INC, 2 * TICKET_INC));

    l.val = word(HALF_MAX_EVEN, HALF_MAX_EVEN);
    pv_spin_lock(&l);
    assert_int_equal(l.val, word(HALF_MAX_EVEN, 0));
    pv_spin_unlock(&l);
    assert_int_equal(l.val, 0);
    assert_int_equal(stats[0].slow_path, 0);
    assert_int_equal(stats[0].kicks_sent, 0);
    assert_int_equal(stats[0].kick_misses, 0);
}

/* The latch itself: a kick before the halt makes the halt return at once. */
static void test_platform_latch(void **state)
{
    (void)state;
    harness_reset();
    harness_watchdog(WAIT_SECONDS, "halt after kick");
    harness_kick(0);
    harness_halt();
    harness_watchdog_off();
    assert_int_equal(harness_kicks_received[0], 1);
}

static void check_counters(const struct harness_totals *t)
{
    assert_true(t->sum.slow_path > 0);
    assert_true(t->sum.halts > 0);
    assert_true(t->sum.kicks_sent > 0);
    assert_int_equal(t->kicks_received, t->sum.kicks_sent);
    /* each halt that returned served consumed at least one kick */
    assert_true(t->sum.spurious_wakeups <= t->sum.halts);
    assert_true(t->sum.halts - t->sum.spurious_wakeups <= t->kicks_received);
    assert_true(t->sum.halts <= t->sum.slow_path);
}

static void test_stress(void **state)
{
    struct stress_result r;

    (void)state;
    harness_stress(PV_LOCK_PVTICKET, SMALL_THRESHOLD, harness_stress_threads(),
                   STRESS_ITERS, &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_int_equal(r.head_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.final_val & FLAG_BIT, 0);  /* flag cleared when idle */
    check_counters(&r.totals);
    print_message("pvticket stress: slow_path=%lu halts=%lu kicks=%lu "
                  "spurious=%lu misses=%lu\n",
                  (unsigned long)r.totals.sum.slow_path,
                  (unsigned long)r.totals.sum.halts,
                  (unsigned long)r.totals.sum.kicks_sent,
                  (unsigned long)r.totals.sum.spurious_wakeups,
                  (unsigned long)r.totals.sum.kick_misses);
}

/* Natively (no PV_UNHALT) the guest gives the lock no halt/kick: it must
   then spin like a ticket lock, never take the slow path, and stay
   correct, even with a threshold that would send it there at once. */
static void test_no_halt_platform_never_sleeps(void **state)
{
    struct pv_lock_platform spin_only = harness_platform;
    struct stress_result r;

    (void)state;
    spin_only.halt = NULL;
    spin_only.kick = NULL;
    harness_stress_platform = &spin_only;
    harness_stress(PV_LOCK_PVTICKET, 1, harness_stress_threads(),
                   STRESS_ITERS, &r);
    harness_stress_platform = &harness_platform;
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_int_equal(r.head_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.final_val & FLAG_BIT, 0);
    assert_int_equal(r.totals.sum.slow_path, 0);
    assert_int_equal(r.totals.sum.halts, 0);
    assert_int_equal(r.totals.sum.kicks_sent, 0);
}

static void test_fifo(void **state)
{
    struct fifo_result r;

    (void)state;
    harness_fifo(PV_LOCK_PVTICKET, SMALL_THRESHOLD, harness_stress_threads(),
                 &r);
    assert_int_equal(r.entered, r.nthreads);
    assert_int_equal(r.out_of_order, 0);
    assert_int_equal(r.final_val & FLAG_BIT, 0);
    check_counters(&r.totals);
    /* every waiter queued behind a held lock for 20 ms, so each halted */
    assert_true(r.totals.sum.halts >= r.nthreads);
}

/* ---- deterministic races: one waiter (CPU 1) against the main thread ---- */

static void *waiter(void *arg)
{
    (void)arg;
    harness_set_cpu(1);
    pv_spin_lock(&race_lock);
    pv_spin_unlock(&race_lock);
    return NULL;
}

static void race_setup(void)
{
    harness_reset();
    memset(stats, 0, sizeof(stats));
    race_lock.val = 0;
    reached = 0;
    go = 0;
    pv_lock_setup(PV_LOCK_PVTICKET, &plat, SMALL_THRESHOLD, stats);
}

static void race_finish(pthread_t th)
{
    pthread_join(th, NULL);
    harness_watchdog_off();
    /* both tickets served, lock idle, flag cleared by the last unlock */
    assert_int_equal(race_lock.val, word(2 * TICKET_INC, 2 * TICKET_INC));
}

/* Stops the waiter between its re-check and its halt until main says go. */
static void halt_late(void)
{
    __atomic_store_n(&reached, 1, __ATOMIC_RELEASE);
    harness_wait_flag(&go);
    harness_halt();
}

static void test_kick_before_halt(void **state)
{
    pthread_t th;

    (void)state;
    plat = harness_platform;
    plat.halt = halt_late;
    race_setup();
    harness_watchdog(WAIT_SECONDS, "kick before halt");
    pv_spin_lock(&race_lock);
    pthread_create(&th, NULL, waiter, NULL);
    harness_wait_flag(&reached);
    assert_true(race_lock.val & FLAG_BIT);
    pv_spin_unlock(&race_lock);           /* kicks CPU 1, not yet halted */
    assert_int_equal(stats[0].kicks_sent, 1);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    race_finish(th);                      /* hangs if the kick was lost */
    assert_int_equal(stats[1].halts, 1);
    assert_int_equal(stats[1].spurious_wakeups, 0);
    assert_int_equal(harness_kicks_received[1], 1);
}

/* Stops the waiter at the start of its slow path, before the flag is set. */
static unsigned long irq_save_late(void)
{
    __atomic_store_n(&reached, 1, __ATOMIC_RELEASE);
    harness_wait_flag(&go);
    return 0;
}

static void test_served_on_recheck(void **state)
{
    pthread_t th;

    (void)state;
    plat = harness_platform;
    plat.irq_save = irq_save_late;
    race_setup();
    harness_watchdog(WAIT_SECONDS, "served on re-check");
    pv_spin_lock(&race_lock);
    pthread_create(&th, NULL, waiter, NULL);
    harness_wait_flag(&reached);
    pv_spin_unlock(&race_lock);           /* no flag yet: nobody to kick */
    assert_int_equal(stats[0].kicks_sent, 0);
    assert_int_equal(stats[0].kick_misses, 0);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    race_finish(th);
    assert_int_equal(stats[1].slow_path, 1);
    assert_int_equal(stats[1].halts, 0);  /* saw its turn, never slept */
}

static void test_stale_kick_is_spurious(void **state)
{
    pthread_t th;

    (void)state;
    plat = harness_platform;
    race_setup();
    harness_watchdog(WAIT_SECONDS, "stale kick");
    pv_spin_lock(&race_lock);
    harness_kick(1);                      /* a leftover kick in the latch */
    pthread_create(&th, NULL, waiter, NULL);
    /* first halt returns at once unserved, the second one sleeps */
    while (__atomic_load_n(&stats[1].halts, __ATOMIC_ACQUIRE) < 2)
        sched_yield();
    pv_spin_unlock(&race_lock);
    race_finish(th);
    assert_int_equal(stats[1].spurious_wakeups, 1);
    assert_int_equal(stats[1].halts, 2);
    assert_int_equal(stats[0].kicks_sent, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_wrap),
        cmocka_unit_test(test_platform_latch),
        cmocka_unit_test(test_stress),
        cmocka_unit_test(test_no_halt_platform_never_sleeps),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_kick_before_halt),
        cmocka_unit_test(test_served_on_recheck),
        cmocka_unit_test(test_stale_kick_is_spurious),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
