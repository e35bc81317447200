/*
 * The vCPU scheduler: one loop per pCPU (pick, run until an exit that gives
 * the pCPU up, put back) and the wake/kick paths other pCPUs use. Policies
 * (rr, ...) plug in through struct sched_policy; the scheduler never touches
 * backend state.
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <stdint.h>

struct cfg;
struct percpu;
struct vcpu;
struct vm;

/* What the run loop does after an exit has been handled. */
enum exit_action {
    ACT_CONTINUE = 0,  /* re-enter the guest */
    ACT_BLOCK,         /* HLT: give the pCPU up until a kick or interrupt */
    ACT_YIELD,         /* give the pCPU up, stay runnable */
    ACT_STOP,          /* the VM ended */
};

/* Run queue operations; all called with the scheduler lock held. */
struct sched_policy {
    const char *name;
    void (*enqueue)(struct vcpu *v, int front);
    struct vcpu *(*pick)(struct percpu *cpu);
    void (*remove)(struct vcpu *v);
    int (*has_runnable)(void);
};

extern const struct sched_policy sched_rr;

/* Returns 0, or -1 if the policy name is unknown. */
int sched_init(const struct cfg *cfg);
void sched_loop(void) __attribute__((noreturn));
/* NEW -> RUNNABLE: vCPU0 at boot, the others through VCPU_START. */
void sched_start_vcpu(struct vcpu *v);
/* After setting a pending interrupt (kick = 0) or the kicked latch
   (kick = 1): wake a blocked vCPU, or make a running one exit. */
void sched_notify(struct vcpu *v, int kick);
/* A VM ended: take its vCPUs out of the queues, poke running ones. */
void sched_vm_finished(struct vm *vm);
uint64_t sched_slice_us(void);

#endif
