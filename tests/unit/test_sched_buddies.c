/*
 * cfs's buddies against Linux's pick_next_entity and check_preempt_wakeup,
 * on one simulated pCPU whose clock the test moves by hand, so every
 * vruntime below is known exactly: a yielder is passed over only when that
 * is not unfair by more than a wake-up granularity, a wakee that preempts
 * is the next pick even when it is not leftmost, a vCPU it preempted on a
 * long queue gets the pCPU back after it (LAST_BUDDY), and a buddy that
 * left its queue is never picked. (test_sched_cfs.c drives cfs over many
 * pCPUs and ticks on the same simulated machine; this file pins single
 * decisions.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sched_sim/sched_sim.h"

static struct sched_cpu *cpu0 = &sched_cpus[0];

/* One VM of n vCPUs on one pCPU (sched_sim's cfs knobs: Linux's defaults
   with a TICK for 1 ms; at one pCPU nothing is scaled, so latency 6,
   minimum granularity 0.75, wake-up granularity 1 tick). Starting one
   after another, vCPU i gets the START_DEBIT vruntime of one slice of a
   queue of i + 1: 6, 3, 2, 1.5, 1.2, 1, 6/7, 0.75, 0.75 ticks for
   i = 0..8. */
static void setup(unsigned n)
{
    setup_machine("cfs", 1, 1, n, 1);
    cur_cpu = 0;
    need_resched[0] = 0;
}

static struct sched_entity *pick(void)
{
    need_resched[0] = 0;
    struct sched_entity *e = sched_pick(cpu0);
    assert_non_null(e);
    return e;
}

/* Wake e with an interrupt: Linux's wake-up rules. (A pv kick from a
   running sibling has rules of its own, kick_target in cfs.c; see
   test_sched_cfs.c and test_sched_convoy.c.) */
static void wake(struct sched_entity *e)
{
    irq_ok[slot(e)] = 1;
    sched_notify(e, 0);
    irq_ok[slot(e)] = 0;
    assert_int_equal(e->state, VCPU_RUNNABLE);
}

/* a (3 ticks) runs, yields to b (6 ticks) and leaves after `ran` cycles. */
static struct sched_entity *after_yield(uint64_t ran)
{
    setup(2);
    struct sched_entity *a = pick(), *b = &ents[0];
    assert_ptr_equal(a, &ents[1]);
    now += ran;
    assert_int_equal(sched_yield_to(a, b), 1);
    sched_put(a, SCHED_PUT_YIELD);
    return pick();
}

/* pick_next_entity passes over the yielder (the skip buddy) for the second
   entity, and takes the yield target (the next buddy), only if that one is
   within a wake-up granularity of the leftmost: a yield to a vCPU far
   ahead is not honoured. */
static void test_yield_honoured_only_within_granularity(void **state)
{
    (void)state;
    /* a at 3.5 ticks, b at 6: 2.5 ticks ahead, more than 1: a again. */
    assert_ptr_equal(after_yield(TICK / 2), &ents[1]);
    /* a at 5.5 ticks, b 0.5 ahead: b. */
    assert_ptr_equal(after_yield(5 * TICK / 2), &ents[0]);
}

/* Three vCPUs: l and w block with vruntimes 5 and 5.9 ticks; c (6) runs.
   l is woken and lags c by 1 tick, not more: no preemption. c runs 2
   ticks; w is woken, lags c (8) by 2.1 ticks and preempts it. l is
   leftmost (5), but w is within a granularity of it and is the next
   buddy: w runs. */
static void test_preempting_wakee_runs_next(void **state)
{
    (void)state;
    setup(3);
    struct sched_entity *l = pick(), *w, *c;
    assert_ptr_equal(l, &ents[2]);                   /* at 2 ticks */
    now += 3 * TICK;
    sched_put(l, SCHED_PUT_BLOCK);                   /* at 5 */
    w = pick();
    assert_ptr_equal(w, &ents[1]);                   /* at 3 */
    now += 29 * TICK / 10;
    sched_put(w, SCHED_PUT_BLOCK);                   /* at 5.9 */
    c = pick();
    assert_ptr_equal(c, &ents[0]);                   /* at 6 */
    wake(l);
    assert_int_equal(need_resched[0], 0);
    assert_int_equal(sched_stats.wakeup_preemptions, 0);
    now += 2 * TICK;
    wake(w);
    assert_int_equal(need_resched[0], 1);
    assert_int_equal(sched_stats.wakeup_preemptions, 1);
    assert_int_equal(sched_must_leave(cpu0, c), 1);
    sched_put(c, SCHED_PUT_PREEMPT);
    assert_ptr_equal(pick(), w);
}

/* Nine vCPUs, as many as nr_latency (8) or more: w (0.75 ticks) blocks at
   once; c (0.75) runs 1.05 ticks and is preempted by the woken w (lag
   1.05 > 1). When w blocks again, the leftmost is the one at 6/7 of a
   tick, but c (1.8) is within a granularity of it and is the last buddy:
   c gets its pCPU back. If c blocked before it could be preempted, it is
   no buddy any more, and the leftmost runs. */
static void preempt_on_long_queue(int c_blocks)
{
    setup(9);
    struct sched_entity *w = pick(), *c;
    assert_ptr_equal(w, &ents[7]);
    sched_put(w, SCHED_PUT_BLOCK);
    c = pick();
    assert_ptr_equal(c, &ents[8]);
    now += 105 * TICK / 100;
    wake(w);
    assert_int_equal(need_resched[0], 1);
    if (c_blocks) {
        sched_put(c, SCHED_PUT_BLOCK);               /* HLT before the exit */
    } else {
        assert_int_equal(sched_must_leave(cpu0, c), 1);
        sched_put(c, SCHED_PUT_PREEMPT);
    }
    assert_ptr_equal(pick(), w);
    sched_put(w, SCHED_PUT_BLOCK);
    struct sched_entity *n = pick();
    assert_int_equal(n->state, VCPU_RUNNING);
    assert_ptr_equal(n, c_blocks ? &ents[6] : c);
}

static void test_preempted_gets_pcpu_back_on_long_queue(void **state)
{
    (void)state;
    preempt_on_long_queue(0);
}

static void test_buddy_that_blocked_is_not_picked(void **state)
{
    (void)state;
    preempt_on_long_queue(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yield_honoured_only_within_granularity),
        cmocka_unit_test(test_preempting_wakee_runs_next),
        cmocka_unit_test(test_preempted_gets_pcpu_back_on_long_queue),
        cmocka_unit_test(test_buddy_that_blocked_is_not_picked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
