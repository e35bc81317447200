/*
 * MOV to CR0/CR4 exits (VMX). The CR0/CR4 guest/host masks keep the bits
 * VMX fixes (CR0.NE, CR4.VMXE) host-owned, so a guest write that gives one
 * of them a value other than its shadow exits. A legal write is emulated
 * here as the CPU would do it: the guest's value goes into the read
 * shadow, the real register keeps the fixed bits, and a CR0.PG change
 * switches IA-32e mode like the hardware does. An illegal one gets #GP.
 * CR8 (the TPR) exits both ways and lives in vmx_vcpu.cr8, like SVM's V_TPR:
 * the guest reads back what it wrote, the host's LAPIC TPR never changes,
 * and pvhv's event injection ignores it on both backends (SVM sets
 * V_IGN_TPR). Nothing else (CR3, CLTS, LMSW) is intercepted.
 */
#include "vmx.h"

#include "fmt.h"
#include "../core/x86.h"
#include "../virt/irq.h"
#include "../virt/vcpu.h"

#define CR_QUAL_NUMBER(q)   ((unsigned)((q) & 0xF))
#define CR_QUAL_TYPE(q)     ((unsigned)(((q) >> 4) & 0x3))
#define CR_QUAL_GPR(q)      ((unsigned)(((q) >> 8) & 0xF))
#define CR_ACCESS_MOV_TO    0
#define CR_ACCESS_MOV_FROM  1
#define CR8_RESERVED        (~0xFull)     /* bits 63:4 */
#define EXC_GP              13
#define CR0_NW              (1ull << 29)
#define CR0_CD              (1ull << 30)
#define CR0_TLB_BITS        (CR0_PE | CR0_WP | CR0_CD | CR0_PG)
#define CR4_PSE             (1ull << 4)
#define CR4_PGE             (1ull << 7)
#define CR4_PCIDE           (1ull << 17)
#define CR4_SMEP            (1ull << 20)
#define CR4_TLB_BITS        (CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCIDE | CR4_SMEP)
#define VMX_AR_L            (1u << 13)     /* CS.L: 64-bit code */

/* The general register a MOV to CR names, in the SDM's numbering. */
static uint64_t gpr(struct vcpu *v, unsigned n)
{
    const struct vcpu_regs *r = &v->regs;
    const uint64_t low[8] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi };
    const uint64_t high[8] = { r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
    return n < 8 ? low[n] : high[n - 8];
}

static void set_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
    struct vcpu_regs *r = &v->regs;
    uint64_t *const low[8] = { &r->rax, &r->rcx, &r->rdx, &r->rbx,
                               &r->rsp, &r->rbp, &r->rsi, &r->rdi };
    uint64_t *const high[8] = { &r->r8, &r->r9, &r->r10, &r->r11,
                                &r->r12, &r->r13, &r->r14, &r->r15 };
    *(n < 8 ? low[n] : high[n - 8]) = val;
}

/* 0 done, 1 #GP. */
static int cr0_write(struct vmx_vcpu *vx, uint64_t val)
{
    uint64_t mask = vmread(VMCS_CR0_MASK);
    uint64_t old = vmread(VMCS_GUEST_CR0);
    uint64_t efer = vmread(VMCS_GUEST_EFER);
    uint64_t cr4 = vmread(VMCS_GUEST_CR4);

    if ((val >> 32) || (val & ~vmx_caps.cr0_fixed1 & ~mask) ||
        ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
        return 1;
    uint64_t real = (val & ~mask) | (vmx_caps.cr0_fixed0 & mask);
    uint32_t entry = (uint32_t)vmread(VMCS_ENTRY_CTLS);
    if (!(old & CR0_PG) && (val & CR0_PG) && (efer & EFER_LME)) {
        if (!(cr4 & CR4_PAE))
            return 1;
        efer |= EFER_LMA;
        entry |= ENTRY_CTL_IA32E_GUEST;
    } else if ((old & CR0_PG) && !(val & CR0_PG) && (efer & EFER_LMA)) {
        if (vmread(VMCS_GUEST_CS_AR) & VMX_AR_L)
            return 1;   /* paging cannot be turned off in 64-bit code */
        efer &= ~EFER_LMA;
        entry &= ~ENTRY_CTL_IA32E_GUEST;
    }
    vmwrite(VMCS_GUEST_EFER, efer);
    vmwrite(VMCS_ENTRY_CTLS, entry);
    vmwrite(VMCS_GUEST_CR0, real);
    vmwrite(VMCS_CR0_SHADOW, val & mask);
    if ((old ^ real) & CR0_TLB_BITS)
        vx->flush_pending = 1;
    return 0;
}

static int cr4_write(struct vmx_vcpu *vx, uint64_t val)
{
    uint64_t mask = vmread(VMCS_CR4_MASK);
    uint64_t old = vmread(VMCS_GUEST_CR4);

    /* VMXE is hidden from the guest's CPUID: reserved, like any bit the
       CPU does not allow. */
    if ((val >> 32) || (val & CR4_VMXE) || (val & ~vmx_caps.cr4_fixed1))
        return 1;
    if ((vmread(VMCS_GUEST_EFER) & EFER_LMA) && !(val & CR4_PAE))
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
        set_gpr(v, CR_QUAL_GPR(q), vx->cr8);
        v->regs.rip += e->insn_len;
        return;
    }
    if (cr == 8 && CR_QUAL_TYPE(q) == CR_ACCESS_MOV_TO) {
        uint64_t val = gpr(v, CR_QUAL_GPR(q));
        if (val & CR8_RESERVED) {
            virt_inject_exception(v, EXC_GP, 1, 0);
            return;
        }
        vx->cr8 = val;
        v->regs.rip += e->insn_len;
        return;
    }
    if (CR_QUAL_TYPE(q) != CR_ACCESS_MOV_TO || (cr != 0 && cr != 4)) {
        e->reason = EXIT_UNKNOWN;
        pv_snprintf(e->detail, sizeof(e->detail), "CR access type %u to CR%u is not intercepted",
                    CR_QUAL_TYPE(q), cr);
        return;
    }
    uint64_t val = gpr(v, CR_QUAL_GPR(q));
    int gp = cr == 0 ? cr0_write(vx, val) : cr4_write(vx, val);
    if (gp)
        virt_inject_exception(v, EXC_GP, 1, 0);
    else
        v->regs.rip += e->insn_len;
}
