/*
 * 8259 re-initialisation: the native guest polls everything and wants no
 * device interrupts, but a masked PIC can still raise its spurious IRQ 7/15,
 * so the vectors are moved above 31 first (they end as counted spurious
 * interrupts instead of fake exceptions).
 */
#include "pic.h"
#include "arch.h"
#include "cpu.h"

void pic_disable(void)
{
    outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
    outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
    outb(PIC1_DATA, VEC_PIC1_BASE);            /* ICW2: vector base */
    outb(PIC2_DATA, VEC_PIC2_BASE);
    outb(PIC1_DATA, 1u << PIC_CASCADE_IRQ);    /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, PIC_CASCADE_IRQ);          /* ICW3: slave identity */
    outb(PIC1_DATA, PIC_ICW4_8086);
    outb(PIC2_DATA, PIC_ICW4_8086);
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
}
