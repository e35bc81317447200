/*
 * Host interrupt descriptor table and vector assignment.
 */
#ifndef HV_IDT_H
#define HV_IDT_H

#include <stdint.h>

#define VEC_NMI         2      /* architectural */
#define VEC_EXCEPTIONS  32
#define VEC_TIMER       0xF0   /* slice timer (LAPIC one-shot) */
#define VEC_WAKE        0xF1   /* IPI: re-check the run queue / force an exit */
#define VEC_STOP        0xF2   /* IPI: another CPU panicked, halt */
#define VEC_SPURIOUS    0xFF

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

void idt_init(void);   /* builds the table once (BSP) */
void idt_load(void);   /* every CPU */
void pic_disable(void);

#endif
