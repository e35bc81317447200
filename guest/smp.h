/*
 * SMP: starting the secondary vCPUs through PV_HC_VCPU_START, a barrier
 * over all vCPUs, and sending IPIs with PV_HC_SEND_IPI; natively the same
 * calls go to smp_native.c (MADT, INIT-SIPI-SIPI, local APIC IPIs).
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

/* Whether smp_send_ipi can work here: natively always, under pvhv with
   PV_SEND_IPI. */
int smp_can_ipi(void);
/* "hypercall" or "apic": how IPIs travel in this run (for the records). */
const char *smp_ipi_path(void);

/* The C entry of every secondary vCPU (main.c). */
void ap_main(uint64_t id);

/* smp_native.c. discover: BSP, from env_init: maps and enables its APIC,
   lists the CPUs (MADT), applies vcpus=; returns how many to use. */
unsigned smp_native_discover(void);
void smp_native_start_aps(void);
long smp_native_send_ipi(uint64_t mask, unsigned base, unsigned vector);

#endif
