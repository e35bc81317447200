/*
 * Interrupts for guests. There is no emulated APIC: a pv IPI marks a vector
 * pending and the run loop injects the highest one when the guest can take
 * it (opening an interrupt window otherwise). No EOI is needed.
 */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include <stdint.h>

struct vcpu;

#define GUEST_VECTOR_MIN 32

void vcpu_raise_irq(struct vcpu *v, uint8_t vector);
int vcpu_irq_pending(const struct vcpu *v);
/* Before each entry: inject or ask for an interrupt window. */
void virt_deliver_events(struct vcpu *v);

#endif
