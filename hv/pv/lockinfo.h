/*
 * The guest's lock state page (PV_HC_LOCKINFO, pv_abi.h): what a vCPU holds
 * or waits for, read when the scheduler takes it off a pCPU while it is
 * runnable, so lock-holder and waiter preemptions are counted where they
 * happen (hv_vcpu "lhp", "waiter_preempt") and marked in the trace.
 */
#ifndef HV_LOCKINFO_H
#define HV_LOCKINFO_H

#include <stdint.h>

struct vcpu;

/* The hypercall: -errno for a bad GPA or flags, else 0. */
int64_t lockinfo_register(struct vcpu *v, uint64_t gpa, uint64_t flags);
/* The scheduler took runnable v off its pCPU (slice end or yield). */
void lockinfo_on_preempt(struct vcpu *v);
/* Does v's page say it holds a lock right now? (a hint: guest-written) */
int lockinfo_holds_lock(const struct vcpu *v);

#endif
