/*
 * The two states a vCPU starts in, written once for both backends: vCPU0
 * like a multiboot kernel (32-bit protected mode, paging off) and the
 * others from the guest's 64-bit start context (VCPU_START). The backend
 * only stores them (struct vcpu_start), adding the bits its hardware forces.
 */
#ifndef HV_START_H
#define HV_START_H

#include <stdint.h>

#include "pv_abi.h"

struct vcpu;

enum seg_kind { SEG_KIND_CODE32, SEG_KIND_CODE64, SEG_KIND_DATA };

struct vcpu_seg {
    uint16_t sel;
    enum seg_kind kind;
    uint32_t limit;
    uint64_t base;
};

/* CS, and one data segment for DS, ES, SS, FS and GS. The control
   registers are the guest's own view (no backend-forced bits). */
struct vcpu_start {
    struct vcpu_seg cs, data;
    uint64_t gdt_base, idt_base;
    uint32_t gdt_limit, idt_limit;
    uint64_t cr0, cr3, cr4, efer;   /* efer & EFER_LMA: a 64-bit guest */
};

#define START_SEG_LIMIT_FLAT 0xFFFFFFFFu
#define START_TABLE_LIMIT_REAL 0xFFFF   /* GDTR/IDTR limits at reset */

void vcpu_start_boot32(struct vcpu *v, uint32_t entry);
void vcpu_start_long64(struct vcpu *v, const struct pv_vcpu_context *c);
struct vm;
/* Whether c is a start state the CPU will enter (VCPU_START): 0, or
   -PV_EINVAL for a CR3 outside RAM or not page-aligned, a GDT outside RAM,
   selectors that are null, not in the GDT or not ring-0 GDT selectors, or a
   non-canonical RIP or RSP (the entry would fail). */
int64_t vcpu_start_check(struct vm *vm, const struct pv_vcpu_context *c);

#endif
