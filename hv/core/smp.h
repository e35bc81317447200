/*
 * Bringing up the application processors (INIT-SIPI-SIPI through the AP
 * trampoline) and the hand-off into the scheduler.
 */
#ifndef HV_SMP_H
#define HV_SMP_H

#include <stdint.h>

/* Starts every AP in apic_ids except the BSP's; returns the number online
   (BSP included). Each AP initialises itself and waits for smp_release(). */
unsigned smp_start_aps(const uint32_t *apic_ids, unsigned n, uint32_t bsp_apic);
void smp_release(void);

/* Common per-CPU init: GS base, IDT, LAPIC. */
void cpu_init_common(struct percpu *cpu);

#endif
