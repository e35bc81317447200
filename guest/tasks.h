/*
 * The guest's work: a list of tasks (from task=) that every vCPU runs in
 * order, in step. smp always runs first; crash= may end the VM right after.
 */
#ifndef GUEST_TASKS_H
#define GUEST_TASKS_H

#include "end.h"

struct task {
    const char *name;
    /* vCPU0, before the other vCPUs start: read and check its keys (may
       end the guest with FAIL_CONFIG). NULL if it has none. */
    void (*configure)(void);
    /* Every vCPU, entered together. vCPU0's result decides the run. */
    enum guest_fail_code (*run)(unsigned cpu);
};

extern const struct task task_smp;
extern const struct task task_lockstress;
extern const struct task task_abi;
extern const struct task task_tlbstress;
extern const struct task task_hog;
extern const struct task task_xstate;
extern const struct task task_fuzz;
extern const struct task task_hcall;
extern const struct task task_pingpong;

/* crash=VM:KIND (task_crash.c). */
void crash_configure(void);
/* Every vCPU after smp: dies on purpose if crash= names this VM (triple
   and npf on vCPU0 only; halt and spin on every vCPU). */
void crash_maybe(unsigned cpu);

/* Whether task= lists t (valid from the configure calls on). */
int tasks_listed(const struct task *t);
/* vCPU0: parses task= (and crash=) and configures every task. */
void tasks_configure(void);
/* Every vCPU: runs the list; vCPU0 ends the VM; the others park. */
__attribute__((noreturn)) void tasks_run(unsigned cpu);

#endif
