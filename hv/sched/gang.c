/*
 * The gang policy: all vCPUs of one VM run together across the pCPUs, VM by
 * VM, like a co-scheduler. A turn ends when its slice is over and another
 * VM is waiting, or early when the VM has nothing left to run. Hand-over
 * drains first: the next VM starts only after every vCPU of the previous
 * one has left its pCPU, so two VMs never run at the same moment. A VM with
 * more vCPUs than pCPUs rotates its vCPUs within its turn. A turn is one
 * machine-wide decision, so gang keeps one lock for its whole structure
 * (no per_cpu_queues: queue 0's lock, taken by every pick, put and wake).
 */
#include "sched.h"

#include "port.h"
#include "runq.h"

#define NO_VM (-1)

static struct runq queue;
static long gang_vm = NO_VM;     /* whose turn; NO_VM while draining */
static long last_gang = NO_VM;
static unsigned nr_running;      /* vCPUs in RUNNING, any VM */
static uint64_t gang_deadline;

static int of_vm(const struct sched_entity *v, long vm) { return (long)v->group->id == vm; }
static int not_of_vm(const struct sched_entity *v, long vm) { return (long)v->group->id != vm; }

/* Called with nothing running: give the turn to the next waiting VM. */
static void next_turn(void)
{
    gang_vm = NO_VM;
    for (unsigned i = 1; i <= sched_nr_groups; i++) {
        long cand = (long)(((unsigned long)(last_gang + (long)sched_nr_groups) + i) % sched_nr_groups);
        if (runq_any(&queue, of_vm, cand)) {
            gang_vm = last_gang = cand;
            gang_deadline = sched_port_now() + sched_slice_cycles;
            SCHED_STAT_INC(gang_switches);
            sched_wake_idle_all();
            return;
        }
    }
}

static void maybe_turn_over(void)
{
    if (nr_running)
        return;
    /* Draining is over, or the current VM has nothing left to run. */
    if (gang_vm == NO_VM || !runq_any(&queue, of_vm, gang_vm))
        next_turn();
}

static void gang_init(void)
{
    queue = (struct runq){ 0, 0 };
    gang_vm = last_gang = NO_VM;
    nr_running = 0;
    gang_deadline = 0;
}

static void gang_enqueue(struct sched_entity *v, int front)
{
    runq_push(&queue, v, front);
}

static struct sched_entity *gang_pick(struct sched_cpu *cpu)
{
    (void)cpu;
    maybe_turn_over();
    if (gang_vm == NO_VM)
        return 0;
#ifdef PVHV_MUTANT_gang_overlap         /* planted bug: make test-mutants */
    return runq_take(&queue, 0, 0);
#endif
    return runq_take(&queue, of_vm, gang_vm);
}

static void gang_remove(struct sched_entity *v) { runq_remove(&queue, v); }

static int gang_has_runnable(struct sched_cpu *cpu)
{
    (void)cpu;
    if (gang_vm != NO_VM && runq_any(&queue, of_vm, gang_vm))
        return 1;
    return nr_running == 0 && runq_any(&queue, 0, 0);
}

static void gang_state_changed(struct sched_entity *v, int from, int to)
{
    (void)v;
    if (to == VCPU_RUNNING)
        nr_running++;
    if (from == VCPU_RUNNING) {
        nr_running--;
        maybe_turn_over();
    } else if (to == VCPU_RUNNABLE) {
        maybe_turn_over();
    }
}

static int gang_must_leave(struct sched_cpu *cpu, struct sched_entity *v)
{
    if (!of_vm(v, gang_vm))
        return 1;                       /* a hand-over is draining */
    if (sched_port_now() >= gang_deadline && runq_any(&queue, not_of_vm, gang_vm)) {
        gang_vm = NO_VM;                /* start draining every pCPU */
        for (unsigned i = 0; i < sched_nr_cpus; i++)
            if (&sched_cpus[i] != cpu && sched_cpus[i].current)
                sched_force_resched(&sched_cpus[i]);
        return 1;
    }
    return runq_any(&queue, of_vm, gang_vm);   /* rotate within the VM */
}

const struct sched_policy sched_gang = {
    .name = "gang",
    .init = gang_init,
    .enqueue = gang_enqueue,
    .pick = gang_pick,
    .remove = gang_remove,
    .has_runnable = gang_has_runnable,
    .state_changed = gang_state_changed,
    .must_leave = gang_must_leave,
};
