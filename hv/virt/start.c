/*
 * Start states (see start.h). vCPU0 gets what GRUB leaves a multiboot
 * kernel: flat 4 GiB segments, CR0.PE only, paging off. A secondary vCPU
 * gets the long mode its sibling asked for, with the CR0/CR4/EFER bits any
 * 64-bit kernel runs with.
 */
#include "start.h"

#include "msr_check.h"
#include "vcpu.h"
#include "vm.h"
#include "../core/x86.h"

#define BOOT32_SEL_CODE     0x08      /* selectors as GRUB leaves them */
#define BOOT32_SEL_DATA     0x10
#define GUEST_CR0_BOOT      (CR0_PE | CR0_ET | CR0_NE)
#define GUEST_CR0_LONG      (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG)
#define GUEST_CR4_LONG      (CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT)
#define GUEST_EFER_LONG     (EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE)
#define PAGE_OFFSET_MASK    0xFFFull
#define SEL_LOW_BITS        7u        /* RPL and TI: ring 0, GDT */

void vcpu_start_boot32(struct vcpu *v, uint32_t entry)
{
    const struct vcpu_start s = {
        .cs = { BOOT32_SEL_CODE, SEG_KIND_CODE32, START_SEG_LIMIT_FLAT, 0 },
        .data = { BOOT32_SEL_DATA, SEG_KIND_DATA, START_SEG_LIMIT_FLAT, 0 },
        .gdt_limit = START_TABLE_LIMIT_REAL,
        .idt_limit = START_TABLE_LIMIT_REAL,
        .cr0 = GUEST_CR0_BOOT,
    };
    virt->vcpu_set_start(v, &s);
    v->regs.rip = entry;
    v->regs.rflags = RFLAGS_RESERVED1;
    v->regs.rsp = 0;
}

void vcpu_start_long64(struct vcpu *v, const struct pv_vcpu_context *c)
{
    const struct vcpu_start s = {
        .cs = { c->cs, SEG_KIND_CODE64, START_SEG_LIMIT_FLAT, 0 },
        .data = { c->ds, SEG_KIND_DATA, START_SEG_LIMIT_FLAT, 0 },
        .gdt_base = c->gdt_base,
        .gdt_limit = c->gdt_limit,
        .cr0 = GUEST_CR0_LONG,
        .cr3 = c->cr3,
        .cr4 = GUEST_CR4_LONG,
        .efer = GUEST_EFER_LONG,
    };
    virt->vcpu_set_start(v, &s);
    v->regs.rip = c->rip;
    v->regs.rsp = c->rsp;
    v->regs.rdi = c->arg;
    v->regs.rflags = RFLAGS_RESERVED1;
}

int64_t vcpu_start_check(struct vm *vm, const struct pv_vcpu_context *c)
{
    if ((c->cr3 & PAGE_OFFSET_MASK) || c->cr3 >= vm->mem_bytes)
        return -PV_EINVAL;
    if (!vm_gpa_to_hva(vm, c->gdt_base, (uint64_t)c->gdt_limit + 1) ||
        c->cs == 0 || (c->cs & SEL_LOW_BITS) || (c->ds & SEL_LOW_BITS) ||
        c->cs > c->gdt_limit || c->ds > c->gdt_limit)
        return -PV_EINVAL;
    if (!msr_canonical(c->rip) || !msr_canonical(c->rsp))
        return -PV_EINVAL;
    return 0;
}
