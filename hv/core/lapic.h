/*
 * Local APIC (xAPIC MMIO; TCG has no x2APIC): per-CPU enable, EOI, IPIs
 * and the one-shot slice timer.
 */
#ifndef HV_LAPIC_H
#define HV_LAPIC_H

#include <stdint.h>

void lapic_init(void);                 /* this CPU: enable, mask timer */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_broadcast_others(uint8_t vector);
void lapic_send_nmi(uint32_t apic_id);
void lapic_send_init(uint32_t apic_id);
void lapic_send_sipi(uint32_t apic_id, uint32_t start_page);
void lapic_timer_calibrate(void);      /* BSP, after the TSC is calibrated */
void lapic_timer_oneshot_us(uint64_t us);
void lapic_timer_stop(void);

#endif
