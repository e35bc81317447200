/*
 * The cfs policy (fair shares, no starvation, wake-up preemption only with
 * enough lag, the minimum granularity), the directed-yield candidates of a
 * pause-loop exit and kick_yield, on the simulated machine of sched_sim/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sched_sim/sched_sim.h"

/* ---- cfs ---- */

static void test_cfs_cpu_bound_is_fair(void **state)
{
    (void)state;
    struct sim_rules r = { .work = CPU_BOUND };
    setup_machine("cfs", 4, 3, 4, 1);        /* 12 vCPUs on 4 pCPUs: 3x */
    sim_run(4, 12000, &r, 0);
    /* 4000 ticks each on average; a queue's period is 18 ticks. */
    assert_fair(4000 / 20);
    assert_no_starvation(3 * 18 * TICK);
    assert_state_time_adds_up();
    for (unsigned i = 0; i < nr_ents; i++)
        assert_true(ents[i].stats.preemptions > 0);
}

static void test_cfs_blocking_no_starvation(void **state)
{
    (void)state;
    struct sim_rules r = { .work = BLOCKS, .block_every = 7, .wake_after = 5 };
    setup_machine("cfs", 3, 3, 3, 1);
    sim_run(3, 8000, &r, 0);
    assert_no_starvation(3 * 18 * TICK);
    for (unsigned i = 0; i < nr_ents; i++)
        assert_true(ran_ticks[i] > 8000 / nr_ents / 2);
    assert_state_time_adds_up();
    /* Wake-ups went to idle pCPUs or preempted by lag; queues were evened. */
    assert_true(sched_stats.wakeup_preemptions + sched_stats.idle_pulls +
                sched_stats.balance_pulls > 0);
}

static void test_cfs_yields_no_starvation(void **state)
{
    (void)state;
    struct sim_rules r = { .work = YIELDS };
    setup_machine("cfs", 2, 2, 4, 1);
    sim_run(2, 6000, &r, 0);
    assert_no_starvation(4 * 18 * TICK);
    uint64_t yields = 0;
    for (unsigned i = 0; i < nr_ents; i++)
        yields += ents[i].stats.directed_yields;
    assert_true(yields > 0);
}

/* One pCPU: a vCPU woken from HLT by an interrupt preempts the runner only
   when it lags the runner by more than the wake-up granularity (1 tick: at
   1 pCPU the log scaling factor is 1), and never with boost off. Woken by
   a pv kick from the runner, a sibling (kick_target), it preempts unless
   it leads the runner by more than half a latency (3 ticks). The two start
   with START_DEBIT vruntimes of 3 (a, picked first) and 6 ticks (b). */
static void wake_after_sleep(int boost, int by_kick, uint64_t ran_ticks_a, uint64_t sleep_ticks,
                             int want_preempt, int want_leave)
{
    setup_machine("cfs", 1, 1, 2, boost);
    cur_cpu = 0;
    struct sched_entity *a = sched_pick(&sched_cpus[0]);
    now += ran_ticks_a * TICK;
    sched_put(a, SCHED_PUT_BLOCK);               /* a sleeps */
    struct sched_entity *b = sched_pick(&sched_cpus[0]);
    assert_ptr_not_equal(a, b);
    now += sleep_ticks * TICK;                    /* b runs meanwhile */
    if (by_kick) {                                /* b kicks a */
        __atomic_store_n(&a->kicked, 1, __ATOMIC_SEQ_CST);
        sched_notify(a, 1);
    } else {                                      /* an interrupt for a */
        irq_ok[slot(a)] = 1;
        sched_notify(a, 0);
    }
    assert_int_equal(a->state, VCPU_RUNNABLE);
    assert_int_equal(need_resched[0], want_preempt);
    assert_int_equal(sched_must_leave(&sched_cpus[0], b), want_leave);
    assert_int_equal(sched_stats.wakeup_preemptions, (uint64_t)want_preempt);
    irq_ok[slot(a)] = 0;
}

static void test_cfs_wakeup_preemption_needs_lag(void **state)
{
    (void)state;
    /* a slept 20 ticks: its credit is capped at latency/2 = 3 ticks behind
       the runner, more than the 1-tick wake-up granularity. */
    wake_after_sleep(1, 0, 1, 20, 1, 1);
    /* a ran 5 ticks, b 1: the woken a is ahead of b, no preemption, and b,
       within its share of the period, stays. */
    wake_after_sleep(1, 0, 5, 1, 0, 0);
    /* boost=off: no wake-up preemption; b leaves at the tick anyway, having
       run 20 ticks, more than its share (3 ticks) of the period. */
    wake_after_sleep(0, 0, 1, 20, 0, 1);
}

/* The kicked vCPU's rule: a (8 ticks) kicked by b (7) leads it by 1 tick,
   within half a latency: it preempts its kicker, where an interrupt would
   not (above). Leading by 6 ticks (a ran 10) it does not; nor with
   boost=off. */
static void test_cfs_kicked_wakee_preempts_kicker(void **state)
{
    (void)state;
    wake_after_sleep(1, 1, 5, 1, 1, 1);
    wake_after_sleep(1, 1, 10, 1, 0, 0);
    wake_after_sleep(0, 1, 5, 1, 0, 0);
    /* Lagging as before, it preempts as before. */
    wake_after_sleep(1, 1, 1, 20, 1, 1);
}

/* kick_target: two pCPUs, VM 0 = {k, w}, VM 1 = {x, y}. w last ran on
   pCPU 1, where x now runs; its sibling k runs on pCPU 0. Kicked by k, w
   joins k's queue (pCPU 0) and preempts k; woken by an interrupt it goes
   back to pCPU 1 behind x. With pCPU 1 idle, a kick sends it there. */
static void kicked_wakee_placement(int by_kick, int cpu1_idle, int want_rq)
{
    sim_no_start = 1;
    setup_machine("cfs", 2, 2, 2, 1);
    sim_no_start = 0;
    struct sched_entity *k = &ents[0], *w = &ents[1], *x = &ents[2];
    cur_cpu = 0;
    sched_start(k);                            /* least loaded: queue 0 */
    assert_ptr_equal(sched_pick(&sched_cpus[0]), k);
    cur_cpu = 1;
    sched_start(w);                            /* queue 1 */
    assert_ptr_equal(sched_pick(&sched_cpus[1]), w);
    now += TICK;
    sched_put(w, SCHED_PUT_BLOCK);             /* w halts (a lock waiter) */
    sched_start(x);                            /* queue 1, now empty */
    assert_ptr_equal(sched_pick(&sched_cpus[1]), x);
    if (cpu1_idle) {
        sched_put(x, SCHED_PUT_BLOCK);
        assert_int_equal(sched_idle_enter(&sched_cpus[1]), 1);
    }
    now += TICK;
    cur_cpu = 0;                               /* k kicks, or an irq comes */
    need_resched[0] = 0;
    if (by_kick) {
        __atomic_store_n(&w->kicked, 1, __ATOMIC_SEQ_CST);
        sched_notify(w, 1);
    } else {
        irq_ok[slot(w)] = 1;
        sched_notify(w, 0);
        irq_ok[slot(w)] = 0;
    }
    assert_int_equal(w->state, VCPU_RUNNABLE);
    assert_int_equal(w->cfs.rq, want_rq);
    assert_int_equal(need_resched[0], by_kick && want_rq == 0);
}

static void test_cfs_kicked_wakee_joins_kicker(void **state)
{
    (void)state;
    kicked_wakee_placement(1, 0, 0);
    kicked_wakee_placement(0, 0, 1);
    kicked_wakee_placement(1, 1, 1);
}

static void test_cfs_min_granularity(void **state)
{
    (void)state;
    setup_machine("cfs", 1, 1, 3, 1);
    cur_cpu = 0;
    struct sched_entity *a = sched_pick(&sched_cpus[0]);
    /* Within the minimum granularity (0.75 ticks) a tick never preempts. */
    now += TICK / 2;
    assert_int_equal(sched_must_leave(&sched_cpus[0], a), 0);
    /* Past its share of the period (6 ticks / 3) it must go. */
    now += 2 * TICK;
    assert_int_equal(sched_must_leave(&sched_cpus[0], a), 1);
}

static void test_cfs_ticks_unaligned(void **state)
{
    (void)state;
    setup_machine("cfs", 4, 1, 4, 1);
    uint64_t d[4];
    for (unsigned c = 0; c < 4; c++) {
        d[c] = sched_tick_deadline(&sched_cpus[c]);
        assert_true(d[c] > now && d[c] <= now + 4 * TICK);
        assert_int_equal(d[c] % (4 * TICK), c * TICK);     /* phase i/P of a tick */
    }
    for (unsigned c = 1; c < 4; c++)
        assert_true(d[c] != d[0]);
}

/* kvm_vcpu_on_spin's candidates: runnable siblings, in turn from the last
   one boosted, a sibling that itself left in a pause loop only every other
   time it is considered. */
static void test_pause_loop_yield_candidates(void **state)
{
    (void)state;
    setup_machine("rr", 1, 1, 4, 0);
    cur_cpu = 0;
    struct sched_entity *a = sched_pick(&sched_cpus[0]);          /* ents[0] */
    ents[1].in_spin_loop = 1;               /* left in a pause loop earlier */
    assert_int_equal(sched_yield_to_sibling(a), 1);
    assert_int_equal(a->in_spin_loop, 1);
    sched_put(a, SCHED_PUT_YIELD);
    struct sched_entity *b = sched_pick(&sched_cpus[0]);
    assert_ptr_equal(b, &ents[2]);          /* ents[1] passed over once */
    assert_int_equal(b->in_spin_loop, 0);
    assert_int_equal(sched_yield_to_sibling(b), 1);
    sched_put(b, SCHED_PUT_YIELD);
    struct sched_entity *c = sched_pick(&sched_cpus[0]);
    assert_ptr_equal(c, &ents[3]);          /* next after the last boosted */
    assert_int_equal(sched_yield_to_sibling(c), 1);
    sched_put(c, SCHED_PUT_YIELD);
    /* ents[0] (in a pause loop) is passed over; ents[1]'s turn has come. */
    assert_ptr_equal(sched_pick(&sched_cpus[0]), &ents[1]);
}

/* The target a directed yield picks is a RUNNABLE sibling: a blocked one
   (halted, maybe waiting for the lock) or one running on another pCPU is
   passed over even when its turn has come, and with no candidate the
   yield is counted as such and the yielder stays. */
static void test_directed_yield_skips_blocked_and_running(void **state)
{
    (void)state;
    setup_machine("rr", 1, 1, 4, 0);
    cur_cpu = 0;
    struct sched_entity *a = sched_pick(&sched_cpus[0]);
    assert_ptr_equal(a, &ents[0]);
    sched_put(a, SCHED_PUT_BLOCK);                /* ents[0] halts */
    struct sched_entity *b = sched_pick(&sched_cpus[0]);
    assert_ptr_equal(b, &ents[1]);
    groups[0].last_boosted = 3;                   /* ents[0]'s turn is next */
    assert_int_equal(sched_yield_to_sibling(b), 1);
    assert_int_equal(groups[0].last_boosted, 2);  /* blocked ents[0] passed over */
    assert_int_equal(b->stats.directed_yields, 1);
    sched_put(b, SCHED_PUT_YIELD);
    assert_ptr_equal(sched_pick(&sched_cpus[0]), &ents[2]);

    /* Two pCPUs, two vCPUs, both running: no candidate. */
    setup_machine("rr", 2, 1, 2, 0);
    struct sched_entity *on[2];
    for (unsigned c = 0; c < 2; c++) {
        cur_cpu = c;
        on[c] = sched_pick(&sched_cpus[c]);
        assert_non_null(on[c]);
    }
    cur_cpu = 0;
    assert_int_equal(sched_yield_to_sibling(on[0]), 0);
    assert_int_equal(on[0]->stats.yields_no_candidate, 1);
    assert_int_equal(on[0]->stats.directed_yields, 0);
    assert_int_equal(on[0]->in_spin_loop, 0);     /* it did not leave its pCPU */
}

/* kick_yield=on: the kicker gives its pCPU to the vCPU it woke when that
   one waits for a pCPU; off, or when the target already runs, it does not. */
static void test_kick_yield(void **state)
{
    (void)state;
    for (int on = 0; on <= 1; on++) {
        kick_yield_on = on;
        setup_machine("rr", 1, 1, 3, 0);
        kick_yield_on = 0;
        struct sched_entity *a = sched_pick(&sched_cpus[0]);
        sched_put(a, SCHED_PUT_BLOCK);            /* a halts (a waiter) */
        struct sched_entity *b = sched_pick(&sched_cpus[0]);
        __atomic_store_n(&a->kicked, 1, __ATOMIC_SEQ_CST);
        sched_notify(a, 1);                       /* b (the unlocker) kicks a */
        assert_int_equal(sched_kick_yield(b, a), on);
        assert_int_equal(b->stats.kick_yields, (uint64_t)on);
        sched_put(b, on ? SCHED_PUT_YIELD : SCHED_PUT_PREEMPT);
        struct sched_entity *n = sched_pick(&sched_cpus[0]);
        if (on)
            assert_ptr_equal(n, a);               /* ahead of the third vCPU */
        else
            assert_ptr_not_equal(n, a);           /* FIFO: the third one first */
        assert_int_equal(sched_kick_yield(n, n), 0);  /* a running target: no */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfs_cpu_bound_is_fair),
        cmocka_unit_test(test_cfs_blocking_no_starvation),
        cmocka_unit_test(test_cfs_yields_no_starvation),
        cmocka_unit_test(test_cfs_wakeup_preemption_needs_lag),
        cmocka_unit_test(test_cfs_kicked_wakee_preempts_kicker),
        cmocka_unit_test(test_cfs_kicked_wakee_joins_kicker),
        cmocka_unit_test(test_cfs_min_granularity),
        cmocka_unit_test(test_cfs_ticks_unaligned),
        cmocka_unit_test(test_pause_loop_yield_candidates),
        cmocka_unit_test(test_directed_yield_skips_blocked_and_running),
        cmocka_unit_test(test_kick_yield),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
