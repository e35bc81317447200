/*
 * Silencing the legacy PIC on native runs. Under pvhv there is no PIC and
 * the guest must not touch its ports.
 */
#ifndef GUEST_PIC_H
#define GUEST_PIC_H

/* Moves IRQs 0-15 off the exception vectors and masks them all. */
void pic_disable(void);

#endif
