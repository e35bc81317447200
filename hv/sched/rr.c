/*
 * The rr policy: one global FIFO of runnable vCPUs served by every pCPU, so
 * a vCPU migrates to whichever pCPU frees up first. With at most a few dozen
 * vCPUs a single queue is fair, but it is one lock (queue 0's, no
 * per_cpu_queues) that every pick, put and wake under rr takes.
 * Slices are staggered (stagger=on): pCPU i's first slice is i/P of a slice
 * longer, so the pCPUs' slice ends stay spread over the slice instead of
 * all falling together, which would co-schedule a VM's vCPUs by accident
 * and hide lock-holder preemption.
 * Boost (boost=on: a woken vCPU goes to the front and preempts the longest
 * runner, sched.c) is for vCPUs that have run at most one slice more than
 * the mean of the live vCPUs, as Xen's credit scheduler boosts only vCPUs
 * with credit left and CFS lets a wakee preempt only within a granularity.
 * Without that bound a vCPU that halted and was kicked often (a pv lock's
 * waiter) jumped the queue again and again while the vCPUs it passed or
 * preempted waited at the tail, and the VMs whose vCPUs fell into that
 * cycle took the pCPUs from the others (test_sched.c: Jain's index 0.80
 * over 3 VMs at 8 pCPUs). The slice of slack keeps most kicked lock
 * waiters boosted, which pv locks under rr depend on.
 * The kick swap (rr_kick_swap): a vCPU woken by a pv kick (PV_KICK_CPU)
 * was handed a lock by its kicker, a vCPU of its own VM that runs on the
 * kicking pCPU and has just left its critical section. The boost would
 * preempt the longest runner, which under lockstress was nearly always a
 * vCPU spinning in some VM's ticket queue; when its ticket came up its VM
 * spun behind it for the whole spin threshold, and the kicks that ended
 * those stalls preempted the next spinners: at 8 pCPUs a limit cycle of
 * 4.2 ms stalls every 4.8 ms (README "Bochs, 8 pCPUs"). So the kicked vCPU
 * goes to the front and takes the kicker's pCPU for the rest of the
 * kicker's slice (keep_slice), and the kicker, which waits for no lock,
 * goes to the tail. No pCPU time moves between VMs, so the boost's bounds
 * (may_boost, SCHED_BOOSTS_PER_SLICE), which protect the other VMs, do not
 * apply: a ping-pong of kicks only trades one slice between siblings.
 */
#include "sched.h"

#include "port.h"
#include "runq.h"

static struct runq queue;
static int first_done[SCHED_MAX_CPUS];
static uint64_t slice_end[SCHED_MAX_CPUS];  /* each pCPU's current slice deadline */
static int keep_slice[SCHED_MAX_CPUS];      /* its next slice is the rest of it (kick swap) */
static uint64_t total_ran;      /* the sum of every live vCPU's rr.ran */
static unsigned nr_live;        /* vCPUs started and not done */

static void rr_init(void)
{
    queue = (struct runq){ 0, 0 };
    total_ran = 0;
    nr_live = 0;
    for (unsigned i = 0; i < SCHED_MAX_CPUS; i++) {
        first_done[i] = 0;
        keep_slice[i] = 0;
    }
}

static uint64_t rr_tick_deadline(struct sched_cpu *cpu, uint64_t now)
{
    uint64_t d = now + sched_slice_cycles;
    if (!first_done[cpu->index] && sched_params()->stagger && sched_nr_cpus)
        d += sched_slice_cycles * cpu->index / sched_nr_cpus;
    first_done[cpu->index] = 1;
    if (keep_slice[cpu->index] && slice_end[cpu->index] > now)
        d = slice_end[cpu->index];  /* a kick swap: the rest of the kicker's */
    keep_slice[cpu->index] = 0;
    slice_end[cpu->index] = d;
    return d;
}

/* With the rr lock: the kicking pCPU, if it runs a sibling of e. */
static int rr_kick_swap(struct sched_entity *e)
{
    unsigned me = sched_port_this_cpu();
    if (me >= sched_nr_cpus)
        return -1;
    const struct sched_entity *kicker = sched_cpus[me].current;
    if (!kicker || kicker == e || kicker->group != e->group || kicker->state != VCPU_RUNNING)
        return -1;
    keep_slice[me] = 1;
    SCHED_STAT_INC(kick_swaps);
    return (int)me;
}

static void rr_enqueue(struct sched_entity *v, int front) { runq_push(&queue, v, front); }

static struct sched_entity *rr_pick(struct sched_cpu *cpu)
{
    (void)cpu;
    return runq_take(&queue, 0, 0);
}

static void rr_remove(struct sched_entity *v) { runq_remove(&queue, v); }

static int rr_has_runnable(struct sched_cpu *cpu)
{
    (void)cpu;
    return runq_any(&queue, 0, 0);
}

static void rr_state_changed(struct sched_entity *e, int from, int to)
{
    uint64_t now = sched_port_now();
    if (from == VCPU_NEW)
        nr_live++;
    if (from == VCPU_RUNNING) {
        e->rr.ran += now - e->rr.since;
        total_ran += now - e->rr.since;
    }
    if (to == VCPU_RUNNING)
        e->rr.since = now;
    if (to == VCPU_DONE && from != VCPU_NEW) {
        nr_live--;
        total_ran -= e->rr.ran;
    }
}

/* With the rr lock: e has run at most a slice more than the mean (totals
   up to the vCPUs' last stays; the ones running now count what they ran
   before). */
static int rr_may_boost(const struct sched_entity *e)
{
    return e->rr.ran * nr_live <= total_ran + sched_slice_cycles * nr_live;
}

const struct sched_policy sched_rr = {
    .name = "rr",
    .init = rr_init,
    .enqueue = rr_enqueue,
    .pick = rr_pick,
    .remove = rr_remove,
    .has_runnable = rr_has_runnable,
    .tick_deadline = rr_tick_deadline,
    .state_changed = rr_state_changed,
    .may_boost = rr_may_boost,
    .kick_swap = rr_kick_swap,
};
