/*
 * SMP: starting the secondary vCPUs through PV_HC_VCPU_START, a barrier
 * over all vCPUs, and sending IPIs with PV_HC_SEND_IPI.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>

/* vCPUs that have reached C (vCPU0 included). */
unsigned smp_vcpus_up(void);
/* Marks the calling vCPU as up and prints "vcpu N up". */
void smp_announce(unsigned cpu);
/* vCPU0: starts vCPUs 1..nr_vcpus-1 at ap_entry64; ends the guest if the
   hypervisor refuses one. */
void smp_start_aps(void);
/* Waits until every vCPU has called it (reusable). */
void smp_barrier(void);
/* PV_HC_SEND_IPI: vector to the vCPUs base + i for each bit i of mask.
   Returns the hypervisor's count of targets hit, or -errno. */
long smp_send_ipi(uint64_t mask, unsigned base, unsigned vector);

#endif
