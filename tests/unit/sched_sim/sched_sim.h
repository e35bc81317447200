/*
 * The simulated machine the scheduler unit tests (test_sched*.c) run the
 * policies on: a clock that moves one TICK per step, simulated pCPUs that
 * pick, run and put entities as hv/virt/run.c does, sched/port.h
 * implemented over them, and the measures the tests assert on (ticks run,
 * longest runnable wait, slice ends, gang overlaps). It lives outside
 * the top of tests/unit so only the scheduler tests link it (Makefile
 * UNIT_EXTRA_test_sched*).
 */
#ifndef SCHED_SIM_H
#define SCHED_SIM_H

#include <stdint.h>

#include "sched/port.h"
#include "sched/sched.h"

#define TICK     1000ull           /* simulated cycles per step */
#define SLICE    (10 * TICK)
#define MAX_ENT  64
#define MAX_ENDS 4096

/* ---- the simulated machine (sched/port.h) ---- */
extern uint64_t now;
extern unsigned cur_cpu;
extern int need_resched[SCHED_MAX_CPUS];
extern int irq_ok[MAX_ENT * 4];     /* by entity slot: "IF set, vector pending" */
extern int port_one_lock;           /* what sched_init told sched_port_init */

/* ---- simulated VMs ---- */
extern struct sched_group groups[SCHED_MAX_GROUPS];
extern struct sched_entity ents[MAX_ENT];
extern unsigned nr_ents;
extern int stagger_on;       /* rr's stagger= for the next setup_machine */
extern int kick_yield_on;    /* kick_yield= for the next setup_machine */
extern int sim_no_start;     /* setup_machine leaves the entities NEW (the
                                test starts them in its own order) */

unsigned slot(struct sched_entity *e);
/* A fresh scheduler with `vms` groups of `vcpus` entities, all started. */
void setup_machine(const char *policy, unsigned cpus, unsigned vms, unsigned vcpus, int boost);

/* Workload: how an entity behaves on each tick it runs. */
enum work { CPU_BOUND, BLOCKS, YIELDS };

struct sim_rules {
    enum work work;
    unsigned block_every;       /* BLOCKS: ticks between HLTs */
    unsigned wake_after;        /* BLOCKS: ticks until a kick wakes it */
};

extern uint64_t slice_ends[SCHED_MAX_CPUS][MAX_ENDS];  /* ticks that ended a slice */
extern unsigned nr_slice_ends[SCHED_MAX_CPUS];
extern unsigned ran_ticks[MAX_ENT];
extern uint64_t overlap_ticks;   /* ticks in which two groups were RUNNING */

/* `steps` ticks on `cpus` pCPUs; gang_check counts overlap_ticks. */
void sim_run(unsigned cpus, unsigned steps, const struct sim_rules *r, int gang_check);

/* Every entity's ticks are within `bound` of the mean. */
void assert_fair(unsigned bound);
/* Jain's index over the groups' ticks (the sum over each VM's entities),
   the measure of issue 12's fairness at scale: 1 when all are equal. */
double groups_jain(void);
/* No entity waited runnable longer than `bound` cycles. */
void assert_no_starvation(uint64_t bound);
/* run + runnable + blocked + ... = the time since start, per entity. */
void assert_state_time_adds_up(void);

#endif
