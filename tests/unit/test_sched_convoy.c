/*
 * The pv ticket lock convoy of README "Scheduler policies under Bochs",
 * on the simulated machine of sched_sim/ with a finer clock: every vCPU
 * runs the lockstress loop (think, take a ticket, spin up to a threshold,
 * publish its wait and halt, critical section, unlock and kick the waiter
 * whose turn came) on one lock per VM, as guest/task_lockstress.c and
 * libpv/lock_pvticket.c do, and the scheduler is driven as hv/virt/run.c
 * drives it (pick, slice timer, remote resched, HLT, PV_KICK_CPU).
 *
 * The shapes are the benches': 4 pCPUs, K VMs x 4 vCPUs (cfs and rr) and
 * 8 pCPUs, 2 VMs x 8 vCPUs (rr, make bench-large), a critical section of
 * 30 us and 60 us of think time (so one VM alone keeps its lock busy), and
 * a bounded spin of 4.6 ms, what 32768 spins take under Bochs. The
 * scheduler's constants are Linux's with one TICK for 1 ms (sched_sim.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <string.h>

#include "sched_sim/sched_sim.h"

#define STEP        3                 /* cycles (us) per simulated step */
#define CS_STEPS    10                /* 30 us */
#define THINK_STEPS 20                /* 60 us */
#define SPIN_STEPS  1533              /* 4.6 ms */
#define CPUS        4                 /* the bench's shape; test_scale_* sets more */
#define VCPUS       4

enum gstate { G_THINK, G_SPIN, G_HALTED, G_CS };

struct gvcpu {
    enum gstate st;
    unsigned left;                    /* steps left in THINK, SPIN or CS */
    unsigned ticket;
    int waiting;                      /* its wait slot is published */
};

struct glock {
    unsigned head, tail;
    int slow;                         /* the slow-path flag */
};

static struct gvcpu gv[MAX_ENT];
static struct glock locks[SCHED_MAX_GROUPS];
static uint64_t acq[SCHED_MAX_GROUPS];
static uint64_t vm_ran[SCHED_MAX_GROUPS];    /* steps each VM's vCPUs ran */
static uint64_t halts, kicks;
static unsigned vm_of(struct sched_entity *e) { return e->group->slot; }
static uint64_t preempted_in[4], spin_steps, run_steps;
static uint64_t spin_on[VCPU_STATES * 2], spin_on_kicked;   /* spin steps by the head owner's state, x2 if in CS */

static void classify_spin(struct sched_entity *e)
{
    unsigned vm = vm_of(e);
    for (unsigned i = 0; i < nr_ents; i++)
        if (vm_of(&ents[i]) == vm && gv[i].ticket == locks[vm].head &&
            gv[i].st != G_THINK) {
            spin_on[(unsigned)ents[i].state * 2 + (gv[i].st == G_CS)]++;
            spin_on_kicked += gv[i].st == G_HALTED && ents[i].state == VCPU_RUNNABLE;
            return;
        }
}
static int pv;                        /* pvticket (else plain ticket) */
static uint64_t rng;                  /* xorshift: think-time jitter, start times */
static uint64_t start_at[MAX_ENT];    /* step at which each vCPU starts */

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

struct conv_cpu {
    struct sched_entity *cur;
    uint64_t deadline;
};
static struct conv_cpu cc[SCHED_MAX_CPUS];
static unsigned ncpus = CPUS, nvcpus = VCPUS;


static void take_ticket(struct gvcpu *g, struct glock *l)
{
    g->ticket = l->tail++;
    if (l->head == g->ticket) {
        g->st = G_CS;
        g->left = CS_STEPS;
    } else {
        g->st = G_SPIN;
        g->left = SPIN_STEPS;
    }
}

/* The unlocker, on pCPU c: the head moves on, and with the flag set the
   vCPU whose published ticket is the new head is kicked (PV_KICK_CPU). */
static void unlock(unsigned c, struct sched_entity *e)
{
    unsigned vm = vm_of(e);
    struct glock *l = &locks[vm];
    acq[vm]++;
    l->head++;
    if (!l->slow)
        return;
    if (l->head == l->tail) {
        l->slow = 0;
        return;
    }
    for (unsigned i = 0; i < nr_ents; i++) {
        if (vm_of(&ents[i]) == vm && gv[i].waiting && gv[i].ticket == l->head) {
            cur_cpu = c;
            kicks++;
            __atomic_store_n(&ents[i].kicked, 1, __ATOMIC_SEQ_CST);
            sched_notify(&ents[i], 1);
            (void)sched_kick_yield(e, &ents[i]);  /* kick_yield=off: no */
        }
    }
}

/* One step of guest time for e on pCPU c; 1 if e halted. */
static int guest_step(unsigned c, struct sched_entity *e)
{
    unsigned i = slot(e);
    struct gvcpu *g = &gv[i];
    struct glock *l = &locks[vm_of(e)];

    switch (g->st) {
    case G_THINK:
        if (--g->left == 0)
            take_ticket(g, l);
        return 0;
    case G_HALTED:                    /* back from HLT: served? */
        g->waiting = 0;
        if (l->head == g->ticket) {
            g->st = G_CS;
            g->left = CS_STEPS;
        } else {
            g->st = G_SPIN;
            g->left = SPIN_STEPS;
        }
        return 0;
    case G_SPIN:
        if (l->head == g->ticket) {
            g->st = G_CS;
            g->left = CS_STEPS;
            return 0;
        }
        if (!pv || --g->left)
            return 0;
        /* Publish, flag, re-check, halt. */
        g->waiting = 1;
        l->slow = 1;
        if (l->head == g->ticket) {
            g->waiting = 0;
            g->st = G_CS;
            g->left = CS_STEPS;
            return 0;
        }
        g->st = G_HALTED;
        halts++;
        cur_cpu = c;
        sched_put(e, SCHED_PUT_BLOCK);
        return 1;
    case G_CS:
        if (--g->left == 0) {
            unlock(c, e);
            g->st = G_THINK;
            g->left = THINK_STEPS / 2 + rnd(THINK_STEPS);
        }
        return 0;
    }
    return 0;
}

static void conv_step(uint64_t t)
{
    for (unsigned i = 0; i < nr_ents; i++)
        if (start_at[i] == t) {
            cur_cpu = 0;
            sched_start(&ents[i]);
        }
    for (unsigned c = 0; c < ncpus; c++) {
        struct conv_cpu *s = &cc[c];
        struct sched_cpu *scpu = &sched_cpus[c];
        cur_cpu = c;
        if (!s->cur) {
            sched_idle_exit(scpu);
            s->cur = sched_pick(scpu);
            if (!s->cur) {
                sched_idle_enter(scpu);
                continue;
            }
            need_resched[c] = 0;
            s->deadline = sched_tick_deadline(scpu);
        }
        if (now >= s->deadline)
            need_resched[c] = 1;      /* the slice timer */
        if (need_resched[c]) {
            need_resched[c] = 0;
            cur_cpu = c;
            if (sched_must_leave(scpu, s->cur)) {
                preempted_in[gv[slot(s->cur)].st]++;
                sched_put(s->cur, SCHED_PUT_PREEMPT);
                s->cur = 0;
                c--;                  /* pick again at once */
                continue;
            }
            s->deadline = sched_tick_deadline(scpu);
        }
        run_steps++;
        vm_ran[vm_of(s->cur)]++;
        spin_steps += gv[slot(s->cur)].st == G_SPIN;
        if (gv[slot(s->cur)].st == G_SPIN)
            classify_spin(s->cur);
        if (guest_step(c, s->cur))
            s->cur = 0;
    }
    now += STEP;
}

struct conv_result {
    double per_vm[SCHED_MAX_GROUPS];  /* acquisitions per simulated second */
    double mean, jain;
    double ran_jain;                  /* over the VMs' run time */
    uint64_t halts, kicks;
};

/* K VMs of lockstress for `ms` simulated milliseconds after a 200 ms
   warm-up. Each VM's vCPU0 starts at once, its others (VCPU_START) at
   seeded times in the first 2 ms, so which siblings share a queue
   depends on the seed, as it depends on boot timing under Bochs. */
static struct conv_result conv_run(const char *policy, unsigned k, int pv_lock, unsigned ms,
                                   uint64_t seed)
{
    struct conv_result r;
    memset(&r, 0, sizeof(r));
    sim_no_start = 1;
    stagger_on = 1;                   /* pvhv's default (rr) */
    setup_machine(policy, ncpus, k, nvcpus, 1);
    stagger_on = 0;
    sim_no_start = 0;
    rng = seed * 0x9e3779b97f4a7c15ull + 1;
    memset(gv, 0, sizeof(gv));
    memset(locks, 0, sizeof(locks));
    memset(cc, 0, sizeof(cc));
    pv = pv_lock;
    for (unsigned i = 0; i < nr_ents; i++) {
        gv[i].st = G_THINK;
        gv[i].left = 1 + rnd(THINK_STEPS);
        start_at[i] = ents[i].index ? 1 + rnd(2 * TICK / STEP) : 0;
    }
    uint64_t warm = 200 * TICK / STEP, steps = (uint64_t)ms * TICK / STEP;
    for (uint64_t t = 0; t < warm; t++)
        conv_step(t);
    memset(acq, 0, sizeof(acq));
    memset(vm_ran, 0, sizeof(vm_ran));
    halts = kicks = 0;
    memset(preempted_in, 0, sizeof(preempted_in));
    spin_steps = run_steps = 0;
    memset(spin_on, 0, sizeof(spin_on));
    spin_on_kicked = 0;
    for (uint64_t t = 0; t < steps; t++)
        conv_step(warm + t);
    double sum = 0, sq = 0;
    for (unsigned g = 0; g < k; g++) {
        r.per_vm[g] = (double)acq[g] * 1000.0 / ms;
        sum += r.per_vm[g];
        sq += r.per_vm[g] * r.per_vm[g];
    }
    r.mean = sum / k;
    r.jain = sq > 0 ? sum * sum / (k * sq) : 0;
    sum = sq = 0;
    for (unsigned g = 0; g < k; g++) {
        sum += (double)vm_ran[g];
        sq += (double)vm_ran[g] * (double)vm_ran[g];
    }
    r.ran_jain = sq > 0 ? sum * sum / (k * sq) : 0;
    r.halts = halts;
    r.kicks = kicks;
    return r;
}

static void show(const char *what, unsigned k, const struct conv_result *r, double one)
{
    printf("  %s %ux:", what, k);
    for (unsigned g = 0; g < k; g++)
        printf(" %.0f", r->per_vm[g]);
    printf(" acq/s; fair share %.2f, Jain %.2f, halts %lu, kicks %lu, wp %lu, limited %lu\n",
           one > 0 ? r->mean / (one / k) : 0, r->jain, (unsigned long)r->halts,
           (unsigned long)r->kicks, (unsigned long)sched_stats.wakeup_preemptions,
           (unsigned long)sched_stats.boosts_limited);
    printf("     preempted in think %lu spin %lu cs %lu; spin share %.2f\n",
           (unsigned long)preempted_in[G_THINK], (unsigned long)preempted_in[G_SPIN],
           (unsigned long)preempted_in[G_CS], (double)spin_steps / (double)(run_steps ? run_steps : 1));
    printf("     spin behind: cs running %.2f cs runnable %.2f | waiter running %.2f runnable %.2f (kicked %.2f) blocked %.2f\n",
           (double)spin_on[VCPU_RUNNING * 2 + 1] / run_steps, (double)spin_on[VCPU_RUNNABLE * 2 + 1] / run_steps,
           (double)spin_on[VCPU_RUNNING * 2] / run_steps, (double)spin_on[VCPU_RUNNABLE * 2] / run_steps, (double)spin_on_kicked / run_steps,
           (double)spin_on[VCPU_BLOCKED * 2] / run_steps);
}

static double one_x;    /* one VM alone: the 1x throughput */

static int setup_one_x(void **state)
{
    (void)state;
    struct conv_result one = conv_run("cfs", 1, 1, 1000, 1);
    show("cfs pvticket", 1, &one, one.mean);
    one_x = one.mean;
    assert_int_equal(one.halts, 0);           /* 1x: waiters never halt */
    return 0;
}

/* The convoy is gone: at 3x and 2x, over seeds (which siblings share a
   queue), pvticket under cfs keeps most of its fair share and the VMs get
   equal throughput. Before kick_target, every seed convoyed at 3x
   (0.05-0.11 of the fair share, 84% of the vCPUs' time spinning behind a
   kicked waiter that waited on its old queue). */
static void test_cfs_pvticket_no_convoy(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        for (unsigned k = 2; k <= 3; k++) {
            struct conv_result r = conv_run("cfs", k, 1, 2000, seed);
            show("cfs pvticket", k, &r, one_x);
            double eff = r.mean / (one_x / k);
            assert_true(eff >= (k == 2 ? 0.85 : 0.75));
            assert_true(r.jain >= 0.95);
            assert_true(r.kicks > 0);          /* the slow path was taken */
        }
    }
}

/* The paper's phenomenon stays: plain ticket locks (no halts, no kicks)
   collapse under cfs at 2x and 3x. */
static void test_cfs_ticket_still_collapses(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        for (unsigned k = 2; k <= 3; k++) {
            struct conv_result r = conv_run("cfs", k, 0, 1000, seed);
            show("cfs ticket", k, &r, one_x);
            assert_true(r.mean / (one_x / k) < 0.2);
            assert_int_equal(r.kicks, 0);
        }
    }
}

/* Issue 12 item 7 at the suite's 16-pCPU shape, 4 VMs x 16 vCPUs (4x):
   cfs and rr give the VMs equal CPU time whatever their lock does (Jain
   over the VMs' run time >= 0.99). The VMs' acquisitions may still differ
   at equal time (plain ticket under cfs: Jain 0.89 and 0.94 here,
   printed), as in the deterministic TCG runs of README "Fairness at 16
   pCPUs x 4x": fixed per-pCPU queues fix which of a VM's vCPUs run
   together. */
static void test_scale_16_pcpus_4x_equal_cpu_time(void **state)
{
    (void)state;
    const char *policies[] = { "cfs", "rr" };
    ncpus = 16;
    nvcpus = 16;
    for (unsigned p = 0; p < 2; p++) {
        for (int pvl = 0; pvl <= 1; pvl++) {
            for (uint64_t seed = 1; seed <= 2; seed++) {
                struct conv_result r = conv_run(policies[p], 4, pvl, 300, seed);
                printf("  16 pCPUs %s %s seed %lu: run-time Jain %.3f,", policies[p],
                       pvl ? "pvticket" : "ticket", (unsigned long)seed, r.ran_jain);
                show("", 4, &r, 0);
                assert_true(r.ran_jain >= 0.99);
                assert_true(r.mean > 0);
            }
        }
    }
    ncpus = CPUS;
    nvcpus = VCPUS;
}

/* rr: a kicked waiter takes its kicker's pCPU (rr.c kick swap). When
   it preempted the longest runner instead, at 8 pCPUs the victim was
   nearly always a vCPU spinning in some VM's ticket queue, and whole VMs
   spun behind preempted waiters: 0.93, 0.76, 0.98, 0.99, 0.68 and 0.99 of
   the fair share over seeds 1-6 (the well-off seeds fell into lock-step,
   one VM on every pCPU), and 0.81 for seed 1 at 4 pCPUs 2x. Now 1.12-1.28
   at 8 pCPUs and 0.95-0.97 at 4. */
static void test_rr_pvticket_kicked_takes_kicker_pcpu(void **state)
{
    (void)state;
    static const struct { unsigned cpus, k; double min; } shapes[] = {
        { 8, 2, 1.0 }, { 4, 2, 0.9 }, { 4, 3, 0.9 },
    };
    for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        ncpus = nvcpus = shapes[i].cpus;
        struct conv_result one = conv_run("rr", 1, 1, 1000, 1);
        show("rr pvticket", 1, &one, one.mean);
        assert_int_equal(one.halts, 0);
        for (uint64_t seed = 1; seed <= 6; seed++) {
            unsigned k = shapes[i].k;
            struct conv_result r = conv_run("rr", k, 1, 2000, seed);
            show("rr pvticket", k, &r, one.mean);
            double eff = r.mean / (one.mean / k);
            if (eff < shapes[i].min || r.jain < 0.95)
                fail_msg("%u pCPUs %ux seed %lu: %.2f of the fair share, Jain %.2f",
                         shapes[i].cpus, k, (unsigned long)seed, eff, r.jain);
            assert_true(r.kicks > 0);
        }
    }
    ncpus = CPUS;
    nvcpus = VCPUS;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfs_pvticket_no_convoy),
        cmocka_unit_test(test_cfs_ticket_still_collapses),
        cmocka_unit_test(test_scale_16_pcpus_4x_equal_cpu_time),
        cmocka_unit_test(test_rr_pvticket_kicked_takes_kicker_pcpu),
    };
    return cmocka_run_group_tests(tests, setup_one_x, 0);
}
