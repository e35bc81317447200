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
/* An exception for the guest's next entry. has_error is dropped in real
   mode (CR0.PE = 0), where exceptions push no error code (a VMX entry
   with one fails; SVM would push a word the guest does not expect). */
void virt_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error);

#endif
