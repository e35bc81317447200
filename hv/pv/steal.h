/*
 * KVM-compatible steal time and preemption state (MSR_KVM_STEAL_TIME with
 * struct kvm_steal_time): the guest learns how long each vCPU waited for a
 * pCPU, whether a vCPU is preempted right now, and can leave a TLB flush for
 * a preempted vCPU to do before it runs again (DESIGN §4, §6).
 */
#ifndef HV_STEAL_H
#define HV_STEAL_H

#include <stdint.h>

struct vcpu;

/* The guest's MSR accesses: 0, or -1 for #GP (bad alignment, reserved
   bits, an area outside guest memory). */
int steal_msr_write(struct vcpu *v, uint64_t val);
uint64_t steal_msr_read(const struct vcpu *v);
/* Before every entry: publish steal, clear PREEMPTED, honour FLUSH_TLB. */
void steal_on_enter(struct vcpu *v);
/* When a runnable vCPU is taken off its pCPU. */
void steal_on_preempt(struct vcpu *v);

#endif
