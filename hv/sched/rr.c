/*
 * The rr policy: one global FIFO of runnable vCPUs served by every pCPU, so
 * a vCPU migrates to whichever pCPU frees up first. With at most a few dozen
 * vCPUs a single queue under the scheduler lock is both fair and cheap.
 */
#include "sched.h"

#include "runq.h"

static struct runq queue;

static void rr_init(void) { queue = (struct runq){ 0, 0 }; }

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
};
