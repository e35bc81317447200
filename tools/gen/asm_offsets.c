/*
 * Structure offsets the world switches (hv/svm/svm_run.asm,
 * hv/vmx/vmx_run.asm) need, taken from the C definitions: compiled with
 * gcc -S only (never linked), its "@@def" markers become
 * build/gen/asm_offsets.inc (tools/gen/asm_consts.py offsets).
 */
#include <stddef.h>

#include "../../hv/virt/vcpu.h"

#define DEF(name, value) __asm__ volatile("@@def " #name " %c0" : : "i"(value))

void asm_offsets(void);

void asm_offsets(void)
{
    DEF(R_RAX, offsetof(struct vcpu_regs, rax));
    DEF(R_RBX, offsetof(struct vcpu_regs, rbx));
    DEF(R_RCX, offsetof(struct vcpu_regs, rcx));
    DEF(R_RDX, offsetof(struct vcpu_regs, rdx));
    DEF(R_RSI, offsetof(struct vcpu_regs, rsi));
    DEF(R_RDI, offsetof(struct vcpu_regs, rdi));
    DEF(R_RBP, offsetof(struct vcpu_regs, rbp));
    DEF(R_R8, offsetof(struct vcpu_regs, r8));
    DEF(R_R9, offsetof(struct vcpu_regs, r9));
    DEF(R_R10, offsetof(struct vcpu_regs, r10));
    DEF(R_R11, offsetof(struct vcpu_regs, r11));
    DEF(R_R12, offsetof(struct vcpu_regs, r12));
    DEF(R_R13, offsetof(struct vcpu_regs, r13));
    DEF(R_R14, offsetof(struct vcpu_regs, r14));
    DEF(R_R15, offsetof(struct vcpu_regs, r15));
}
