/*
 * pv queued spinlock under pthreads with a futex halt/kick: mutual
 * exclusion and counters with waiters that really halt (small spin
 * threshold) and predecessors that look preempted (the harness marks a
 * thread sleeping in its critical section); a queue head that halts marks
 * the lock slow and is kicked by the unlock; a waiter behind a halted head
 * halts early and is woken through kick_node's hashing; the word is clean
 * afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "lock.h"
#include "lock_harness.h"

#define SMALL_THRESHOLD 16
#define EARLY_THRESHOLD (1u << 20)          /* far more than one check */
#define STRESS_ITERS    10000
#define LOCKED          1u
#define SLOW            3u
#define WAIT_SECONDS    10

static struct pv_lock_cpu_stats stats[PV_LOCK_MAX_CPUS];
static pv_spinlock_t hl;

static void test_names(void **state)
{
    enum pv_lock_kind k;

    (void)state;
    assert_int_equal(pv_lock_kind_parse("pvqspin", &k), 0);
    assert_int_equal(k, PV_LOCK_PVQSPIN);
    assert_string_equal(pv_lock_kind_name(PV_LOCK_PVQSPIN), "pvqspin");
}

static void test_uncontended(void **state)
{
    pv_spinlock_t l = PV_SPINLOCK_INIT;

    (void)state;
    harness_reset();
    assert_int_equal(pv_lock_setup(PV_LOCK_PVQSPIN, &harness_platform,
                                   SMALL_THRESHOLD, stats), 0);
    pv_spin_lock(&l);
    assert_int_equal(l.val, LOCKED);
    pv_spin_unlock(&l);
    assert_int_equal(l.val, 0);
    assert_int_equal(stats[0].halts, 0);
    assert_int_equal(stats[0].kicks_sent, 0);
}

static void *head_waiter(void *arg)
{
    (void)arg;
    harness_set_cpu(1);
    pv_spin_lock(&hl);
    pv_spin_unlock(&hl);
    return NULL;
}

/* The only waiter is the queue head: after its spin it hashes itself,
   marks the lock slow and halts; our unlock must kick it. */
static void test_head_halts_and_is_kicked(void **state)
{
    pthread_t th;

    (void)state;
    harness_reset();
    pv_lock_setup(PV_LOCK_PVQSPIN, &harness_platform, SMALL_THRESHOLD, stats);
    hl.val = 0;
    pv_spin_lock(&hl);
    harness_watchdog(WAIT_SECONDS, "pvqspin head kick");
    pthread_create(&th, NULL, head_waiter, NULL);
    while ((__atomic_load_n(&hl.val, __ATOMIC_ACQUIRE) & 0xffu) != SLOW)
        sched_yield();
    pv_spin_unlock(&hl);
    pthread_join(th, NULL);
    harness_watchdog_off();
    assert_int_equal(hl.val, 0);
    assert_int_equal(stats[0].kicks_sent, 1);
    assert_int_equal(harness_kicks_received[1], 1);
    assert_true(stats[1].slow_path >= 1);
}

static void *queued_waiter(void *arg)
{
    harness_set_cpu((unsigned)(uintptr_t)arg);
    pv_spin_lock(&hl);
    pv_spin_unlock(&hl);
    return NULL;
}

/* CPU 1 becomes the queue head and halts (lock marked slow); CPU 2 queues
   behind it and, seeing its predecessor halted at its first check, halts
   at once instead of spinning out its threshold. Our unlock kicks CPU 1;
   CPU 1, handing the queue head to the halted CPU 2, does not wake it but
   hashes it and marks the lock slow (kick_node); its unlock kicks CPU 2. */
static void test_waiter_behind_halted_head_halts_early(void **state)
{
    pthread_t a, b;

    (void)state;
    harness_reset();
    memset(stats, 0, sizeof(stats));
    pv_lock_setup(PV_LOCK_PVQSPIN, &harness_platform, EARLY_THRESHOLD, stats);
    hl.val = 0;
    pv_spin_lock(&hl);
    harness_watchdog(WAIT_SECONDS, "pvqspin wait early");
    pthread_create(&a, NULL, queued_waiter, (void *)(uintptr_t)1);
    while (__atomic_load_n(&stats[1].halts, __ATOMIC_ACQUIRE) == 0)
        sched_yield();
    pthread_create(&b, NULL, queued_waiter, (void *)(uintptr_t)2);
    while (__atomic_load_n(&stats[2].halts, __ATOMIC_ACQUIRE) == 0)
        sched_yield();
    pv_spin_unlock(&hl);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    harness_watchdog_off();
    assert_int_equal(stats[2].preempted_holder, 1);   /* waited early */
    assert_int_equal(stats[0].kicks_sent, 1);
    assert_int_equal(stats[1].kicks_sent, 1);
    assert_int_equal(harness_kicks_received[1], 1);
    assert_int_equal(harness_kicks_received[2], 1);
    assert_int_equal(hl.val, 0);
}

static void test_stress(void **state)
{
    struct stress_result r;
    const struct harness_totals *t = &r.totals;

    (void)state;
    harness_stress(PV_LOCK_PVQSPIN, SMALL_THRESHOLD, harness_stress_threads(),
                   STRESS_ITERS, &r);
    assert_int_equal(r.counted, r.expected);
    assert_int_equal(r.owner_violations, 0);
    assert_false(r.locked_after);
    assert_int_equal(r.final_val, 0);           /* no tail, no slow mark */
    assert_true(t->sum.halts > 0);
    assert_true(t->sum.kicks_sent > 0);
    assert_int_equal(t->kicks_received, t->sum.kicks_sent);
    assert_true(t->sum.spurious_wakeups <= t->sum.halts);
    print_message("pvqspin stress: slow_path=%lu halts=%lu kicks=%lu "
                  "spurious=%lu wait_early=%lu steals=%lu\n",
                  (unsigned long)t->sum.slow_path,
                  (unsigned long)t->sum.halts,
                  (unsigned long)t->sum.kicks_sent,
                  (unsigned long)t->sum.spurious_wakeups,
                  (unsigned long)t->sum.preempted_holder,
                  (unsigned long)t->sum.steals);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_uncontended),
        cmocka_unit_test(test_head_halts_and_is_kicked),
        cmocka_unit_test(test_waiter_behind_halted_head_halts_early),
        cmocka_unit_test(test_stress),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
