/*
 * The IDT shared by all vCPUs: 256 interrupt gates into isr.asm, and a table
 * of C handlers. Exceptions end the VM with a dump; vectors >= 32 go to the
 * handler registered for them (IPIs), anything else is counted as spurious.
 */
#ifndef GUEST_IDT_H
#define GUEST_IDT_H

#include <stdint.h>

/* What isr.asm leaves on the stack, lowest address first. */
struct isr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct isr_frame *frame);

/* Fills the table (vCPU0, once, before any other vCPU starts). */
void idt_init(void);
/* Loads the table on the calling vCPU. */
void idt_load(void);
/* Routes an external vector (>= 32) to fn. */
void idt_set_handler(unsigned vector, irq_handler_t fn);
/* Interrupts that arrived on a vector nobody registered. */
uint64_t idt_spurious_count(void);
/* Arms a one-shot catch of exception `vector`: the faulting instruction
   (insn_len bytes) is skipped instead of ending the VM, and RFLAGS.TF is
   cleared (a single-step #DB steps once). */
void idt_expect_fault(int vector, unsigned insn_len);
/* Disarms it; returns 1 if the fault happened. */
int idt_fault_seen(void);
/* Where the caught exception's frame pointed (before the skip). */
uint64_t idt_fault_rip(void);
/* task=fuzz's catch-all: arm, store the resume address (a label after
   the tried instruction, written from the same asm block), run it, disarm.
   vector is -1 if nothing was raised; count says how many were. */
struct idt_catch { int vector; unsigned count; uint64_t error, rip, cr2; };
extern volatile uintptr_t idt_catch_resume;
void idt_catch_arm(void);
struct idt_catch idt_catch_disarm(void);
/* Loads an IDT with limit 0: the next exception triple-faults (crash task). */
void idt_load_empty(void);

#endif
