/*
 * The per-pCPU run loop (DESIGN §7; ACRN's hv_main, KVM's vcpu_enter_guest):
 * ask the scheduler for a vCPU, load it, deliver events, enter, handle the
 * exit, put it back. What ends a run (the timeout, the report) is above
 * this layer and reaches it through struct run_hooks.
 */
#ifndef HV_RUN_H
#define HV_RUN_H

struct sched_entity;

struct run_hooks {
    /* The BSP, at each slice end and idle wake-up: the run timeout. */
    void (*bsp_tick)(void);
    /* The BSP, once every VM has finished: report and end the run. */
    void (*finish)(void) __attribute__((noreturn));
};

void run_set_hooks(const struct run_hooks *h);
/* For the scheduler: may a blocked vCPU take a pending interrupt now? */
int run_irq_wakeable(struct sched_entity *e);
/* Every pCPU, once its backend is enabled; never returns. */
void run_loop(void) __attribute__((noreturn));

#endif
