/*
 * The local APIC (xAPIC MMIO) of a natively booted guest: what pvhv's
 * hypercalls do for it in a VM (IPIs, starting CPUs) it does here by hand.
 * Never touched under pvhv, whose VMs have no APIC page.
 */
#ifndef GUEST_LAPIC_H
#define GUEST_LAPIC_H

#include <stdint.h>

/* BSP, once: maps the APIC page named by IA32_APIC_BASE. 0 on success,
   -1 (having said why) if it cannot be mapped. */
int lapic_map(void);
/* Every CPU, before it takes interrupts: enables its APIC, TPR 0, masks the
   timer and error LVTs, sets the spurious vector. */
void lapic_enable(void);
uint32_t lapic_id(void);
/* End of interrupt for vector, when a local APIC delivered it (native and
   not the spurious vector, which the APIC never counts as in service). */
void lapic_eoi_for(uint64_t vector);
/* Fixed-mode IPI to one APIC ID; -1 if the ICR stayed busy. */
int lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* INIT (asserted, level) and STARTUP at page start_page; -1 on ICR busy. */
int lapic_send_init(uint32_t apic_id);
int lapic_send_sipi(uint32_t apic_id, uint32_t start_page);

#endif
