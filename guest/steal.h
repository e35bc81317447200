/*
 * Steal time and preemption state (DESIGN §4): each vCPU registers its
 * 64-byte struct pv_steal_time through KVM's steal-time MSR when pvhv offers
 * PV_FEATURE_STEAL_TIME; the hypervisor then keeps .steal and .preempted up
 * to date. Without the feature every query answers "not preempted, no steal".
 */
#ifndef GUEST_STEAL_H
#define GUEST_STEAL_H

#include <stdint.h>
#include "pv_abi.h"

/* The calling vCPU registers its area (once, at start-up; every vCPU). */
void steal_register(unsigned cpu);
/* Whether cpu's area is registered (the feature exists and cpu did it). */
int steal_registered(unsigned cpu);
/* cpu's .preempted says PV_VCPU_PREEMPTED; 0 if not registered. */
int vcpu_is_preempted(unsigned cpu);
/* Nanoseconds cpu was runnable but not running, read consistently with the
   version seqcount; 0 if not registered. */
uint64_t steal_ns(unsigned cpu);
/* cpu's .preempted byte, for the pv TLB flush's compare-and-swap; NULL if
   not registered. */
uint8_t *steal_preempted_byte(unsigned cpu);
/* The calling vCPU's {"kind":"steal"} record (every vCPU, end of run). */
void steal_report(unsigned cpu);

#endif
