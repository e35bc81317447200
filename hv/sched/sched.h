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
    /* Is there a vCPU this pCPU may run now? */
    int (*has_runnable)(struct percpu *cpu);
    /* Optional: v moved between states (after any queue change). */
    void (*state_changed)(struct vcpu *v, int from, int to);
    /* Optional: the slice timer fired while v ran on cpu; must v leave?
       Without it, v leaves when has_runnable(cpu). */
    int (*must_leave)(struct percpu *cpu, struct vcpu *v);
};

extern const struct sched_policy sched_rr;
extern const struct sched_policy sched_gang;

/* Scheduler-wide counters for the report (lock-free reads at the end). */
struct sched_stats {
    uint64_t gang_switches;     /* gang: turns handed from one VM to the next */
    uint64_t cross_vm_overlaps; /* times a vCPU started while another VM's ran */
};
extern struct sched_stats sched_stats;
extern uint64_t sched_slice_cycles;

/* For policies: make cpu leave its vCPU at the next exit. */
void sched_force_resched(struct percpu *cpu);
void sched_wake_idle_all(void);
const char *sched_policy_name(void);

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
/* Pause-loop exit: directed yield to a preempted sibling (KVM's
   kvm_vcpu_on_spin); ACT_YIELD if one was found, else ACT_CONTINUE. */
enum exit_action sched_pause_loop(struct vcpu *v);
/* PV_SCHED_YIELD: yield to target if it is runnable but not running. */
enum exit_action sched_yield_to(struct vcpu *v, struct vcpu *target);

#endif
