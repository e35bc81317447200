/*
 * MOV to CR0/CR4 exits (VMX). The CR0/CR4 guest/host masks keep the bits
 * VMX fixes (CR0.NE, CR4.VMXE) host-owned, so a guest write that gives one
 * of them a value other than its shadow exits. A legal write is emulated
 * here as the CPU would do it: the guest's value goes into the read
 * shadow, the real register keeps the fixed bits, and a CR0.PG change
 * switches IA-32e mode like the hardware does. Whether it is legal is
 * decided by the rules SVM uses too (hv/virt/cr_check.h); if not, #GP.
 * CR8 (the TPR) exits both ways and lives in vmx_vcpu.cr8, like SVM's V_TPR:
 * the guest reads back what it wrote, the host's LAPIC TPR never changes,
 * and pvhv's event injection ignores it on both backends (SVM sets
 * V_IGN_TPR). Nothing else (CR3, CLTS, LMSW) is intercepted.
 */
#include "vmx.h"

#include "fmt.h"
#include "../core/x86.h"
#include "../virt/cr.h"
#include "../virt/irq.h"
#include "../virt/vcpu.h"

#define CR_QUAL_NUMBER(q)   ((unsigned)((q) & 0xF))
#define CR_QUAL_TYPE(q)     ((unsigned)(((q) >> 4) & 0x3))
#define CR_QUAL_GPR(q)      ((unsigned)(((q) >> 8) & 0xF))
#define CR_ACCESS_MOV_TO    0
#define CR_ACCESS_MOV_FROM  1
#define CR8_RESERVED        (~0xFull)     /* bits 63:4 */
#define EXC_GP              13
#define VMX_AR_L            (1u << 13)     /* CS.L: 64-bit code */

/* CR0 or CR4 as the guest sees it: its own bits plus the shadow's. */
static uint64_t guest_view(uint64_t real, uint64_t shadow, uint64_t mask)
{
    return (vmread(real) & ~vmread(mask)) | (vmread(shadow) & vmread(mask));
}

/* The guest's own view, for the shared rules (hv/virt/cr_check.h). The
   exit came from this VMCS: it is current. */
static struct cr_state guest_cr_state(void)
{
    return (struct cr_state){
        .cr0 = guest_view(VMCS_GUEST_CR0, VMCS_CR0_SHADOW, VMCS_CR0_MASK),
        .cr3 = vmread(VMCS_GUEST_CR3),
        .cr4 = guest_view(VMCS_GUEST_CR4, VMCS_CR4_SHADOW, VMCS_CR4_MASK),
        .efer = vmread(VMCS_GUEST_EFER),
        .cs_long = (vmread(VMCS_GUEST_CS_AR) & VMX_AR_L) != 0,
    };
}

/* 0 done, 1 #GP. */
static int cr0_write(struct vcpu *v, uint64_t val)
{
    struct vmx_vcpu *vx = v->arch;
    struct cr_state s = guest_cr_state();
    uint64_t mask = vmread(VMCS_CR0_MASK);
    uint64_t old = vmread(VMCS_GUEST_CR0);
    uint64_t efer;

    if (cr0_write_check(&s, val, &val, &efer) || (val & ~vmx_caps.cr0_fixed1 & ~mask))
        return 1;
    uint64_t real = (val & ~mask) | (vmx_caps.cr0_fixed0 & mask);
    uint32_t entry = (uint32_t)vmread(VMCS_ENTRY_CTLS);
    if (efer & EFER_LMA)
        entry |= ENTRY_CTL_IA32E_GUEST;
    else
        entry &= ~ENTRY_CTL_IA32E_GUEST;
    vmwrite(VMCS_GUEST_EFER, efer);
    vmwrite(VMCS_ENTRY_CTLS, entry);
    vmwrite(VMCS_GUEST_CR0, real);
    vmwrite(VMCS_CR0_SHADOW, val & mask);
    if ((old ^ real) & CR0_TLB_BITS)
        vx->flush_pending = 1;
    return 0;
}

static int cr4_write(struct vcpu *v, uint64_t val)
{
    struct vmx_vcpu *vx = v->arch;
    struct cr_state s = guest_cr_state();
    uint64_t mask = vmread(VMCS_CR4_MASK);
    uint64_t old = vmread(VMCS_GUEST_CR4);

    /* VMXE is hidden from the guest's CPUID: reserved, like any bit the
       CPU does not allow (cr4_supported never has it). */
    if (cr4_write_check(&s, val, cr4_supported() & vmx_caps.cr4_fixed1))
        return 1;
    uint64_t real = val | vmx_caps.cr4_fixed0;
    vmwrite(VMCS_GUEST_CR4, real);
    vmwrite(VMCS_CR4_SHADOW, val & mask);
    if ((old ^ real) & CR4_TLB_BITS)
        vx->flush_pending = 1;
    return 0;
}

void vmx_cr_access(struct vcpu *v, struct vexit *e)
{
    struct vmx_vcpu *vx = v->arch;
    uint64_t q = e->info1;
    unsigned cr = CR_QUAL_NUMBER(q);

    if (cr == 8 && CR_QUAL_TYPE(q) == CR_ACCESS_MOV_FROM) {
        vcpu_set_gpr(v, CR_QUAL_GPR(q), vx->cr8);
        vcpu_skip_insn(v, e);
        return;
    }
    if (cr == 8 && CR_QUAL_TYPE(q) == CR_ACCESS_MOV_TO) {
        uint64_t val = vcpu_gpr(v, CR_QUAL_GPR(q));
        if (val & CR8_RESERVED) {
            virt_inject_exception(v, EXC_GP, 1, 0);
            return;
        }
        vx->cr8 = val;
        vcpu_skip_insn(v, e);
        return;
    }
    if (CR_QUAL_TYPE(q) != CR_ACCESS_MOV_TO || (cr != 0 && cr != 4)) {
        e->reason = EXIT_UNKNOWN;
        pv_snprintf(e->detail, sizeof(e->detail), "CR access type %u to CR%u is not intercepted",
                    CR_QUAL_TYPE(q), cr);
        return;
    }
    uint64_t val = vcpu_gpr(v, CR_QUAL_GPR(q));
    int gp = cr == 0 ? cr0_write(v, val) : cr4_write(v, val);
    if (gp)
        virt_inject_exception(v, EXC_GP, 1, 0);
    else
        vcpu_skip_insn(v, e);
}
