/*
 * The rr policy: one global FIFO of runnable vCPUs served by every pCPU, so
 * a vCPU migrates to whichever pCPU frees up first. With at most a few dozen
 * vCPUs a single queue is fair, but it is one lock (queue 0's, no
 * per_cpu_queues) that every pick, put and wake under rr takes.
 * Slices are staggered (stagger=on): pCPU i's first slice is i/P of a slice
 * longer, so the pCPUs' slice ends stay spread over the slice instead of
 * all falling together, which would co-schedule a VM's vCPUs by accident
 * and hide lock-holder preemption.
 */
#include "sched.h"

#include "runq.h"

static struct runq queue;
static int first_done[SCHED_MAX_CPUS];

static void rr_init(void)
{
    queue = (struct runq){ 0, 0 };
    for (unsigned i = 0; i < SCHED_MAX_CPUS; i++)
        first_done[i] = 0;
}

static uint64_t rr_tick_deadline(struct sched_cpu *cpu, uint64_t now)
{
    uint64_t d = now + sched_slice_cycles;
    if (!first_done[cpu->index] && sched_params()->stagger && sched_nr_cpus)
        d += sched_slice_cycles * cpu->index / sched_nr_cpus;
    first_done[cpu->index] = 1;
    return d;
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

const struct sched_policy sched_rr = {
    .name = "rr",
    .init = rr_init,
    .enqueue = rr_enqueue,
    .pick = rr_pick,
    .remove = rr_remove,
    .has_runnable = rr_has_runnable,
    .tick_deadline = rr_tick_deadline,
};
