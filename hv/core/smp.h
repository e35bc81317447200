/*
 * Bringing up the application processors (INIT-SIPI-SIPI through the AP
 * trampoline) and the hand-off into the scheduler.
 */
#ifndef HV_SMP_H
#define HV_SMP_H

#include <stdint.h>

struct percpu;

/* What the layers above give the APs: their stacks, and where each AP goes
   once released (the backend enable and the run loop). */
struct smp_hooks {
    void *(*alloc_stack)(uint64_t pages);          /* zeroed, never fails */
    void (*ap_main)(struct percpu *cpu) __attribute__((noreturn));
};

/* Starts every AP in apic_ids except the BSP's; returns the number online
   (BSP included). Each AP initialises itself and waits for smp_release(). */
unsigned smp_start_aps(const uint32_t *apic_ids, unsigned n, uint32_t bsp_apic,
                       const struct smp_hooks *h);
void smp_release(void);

/* Common per-CPU init: GS base, IDT, LAPIC. */
void cpu_init_common(struct percpu *cpu);

#endif
