/*
 * VMCB set-up and the guest-state accessors of the SVM backend: initial
 * state for vCPU0 (32-bit protected mode, paging off, like a multiboot
 * kernel) and for secondary vCPUs (64-bit, from the guest's start context),
 * event injection and the guest MSRs kept in the VMCB.
 */
#include "svm.h"

#include "pv_abi.h"
#include "../core/x86.h"
#include "../mm/page.h"
#include "../virt/gva.h"
#include "../virt/start.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"


static uint32_t next_asid;

static void set_seg(struct vmcb_seg *seg, uint16_t sel, uint16_t attr, uint32_t limit,
                    uint64_t base)
{
    seg->sel = sel;
    seg->attr = attr;
    seg->limit = limit;
    seg->base = base;
}

int svm_vcpu_init(struct vcpu *v)
{
    struct svm_vcpu *sv = page_alloc_zeroed();
    struct vmcb *vmcb = page_alloc_zeroed();

    sv->vmcb = vmcb;
    /* ASIDs are recycled when vCPUs outnumber them; svm_vcpu_run flushes
       whenever another vCPU used the same ASID on that pCPU. */
    sv->asid = 1 + __atomic_fetch_add(&next_asid, 1, __ATOMIC_RELAXED) % (svm_nr_asids - 1);
    sv->last_cpu = -1;
    v->arch = sv;
    v->arch_pa = (uint64_t)(uintptr_t)vmcb;

    vmcb->control.intercept_misc1 =
        INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_INIT |
        INTERCEPT_CPUID | INTERCEPT_INVD | INTERCEPT_HLT | INTERCEPT_INVLPGA |
        INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_TASK_SWITCH | INTERCEPT_SHUTDOWN;
    vmcb->control.intercept_misc2 =
        INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
        INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_MONITOR |
        INTERCEPT_MWAIT | INTERCEPT_XSETBV | INTERCEPT_WBINVD;
    /* ple=on: with the pause filter only the ple_window-th PAUSE (within
       ple_gap cycles of each other, with the threshold) exits; without it
       every PAUSE exits and hv/virt/exit.c filters in software. The values
       fit 16 bits: svm_check_settings refused the run otherwise. */
    if (virt_settings.ple) {
        vmcb->control.intercept_misc1 |= INTERCEPT_PAUSE;
        if (virt_settings.ple_hw) {
            vmcb->control.pause_count = (uint16_t)virt_settings.ple_window;
            if (svm_features & SVM_FEAT_PAUSE_THRESHOLD)
                vmcb->control.pause_threshold = (uint16_t)virt_settings.ple_gap;
        }
    }
    /* CR0/CR4 writes: checked and emulated in svm_cr.c, never left to
       VMRUN's consistency checks. */
    vmcb->control.intercept_cr = INTERCEPT_CR0_WRITE | INTERCEPT_CR4_WRITE;
    vmcb->control.intercept_exc = X86_EXC_REFLECTED;
#ifdef PVHV_MUTANT_no_ac_intercept     /* planted bug: make test-mutants */
    vmcb->control.intercept_exc &= ~(1u << X86_EXC_AC);
#endif
    vmcb->control.intercept_dr = INTERCEPT_DR_ALL;     /* lazy DR0-3: xstate.c */
    vmcb->control.iopm_base = (uint64_t)(uintptr_t)svm_iopm;
    vmcb->control.msrpm_base = (uint64_t)(uintptr_t)svm_msrpm;
    vmcb->control.asid = sv->asid;
    vmcb->control.vintr = VINTR_MASKING | VINTR_IGN_TPR;
    vmcb->control.np_enable = 1;
    vmcb->control.ncr3 = v->vm->npt_root_pa;
    vmcb->save.g_pat = GUEST_PAT_DEFAULT;
    vmcb->save.dr6 = GUEST_DR6_INIT;
    vmcb->save.dr7 = GUEST_DR7_INIT;
    set_seg(&vmcb->save.tr, 0, SEG_ATTR_TSS_BUSY, SEG_LIMIT_TSS, 0);
    set_seg(&vmcb->save.ldtr, 0, SEG_ATTR_LDT, 0, 0);
    svm_mark_dirty(sv, VMCB_CLEAN_ALL);
    return 0;
}

static uint16_t seg_attr(enum seg_kind k)
{
    return k == SEG_KIND_CODE32 ? SEG_ATTR_CODE32
           : k == SEG_KIND_CODE64 ? SEG_ATTR_CODE64 : SEG_ATTR_DATA;
}

void svm_set_start(struct vcpu *v, const struct vcpu_start *s)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    struct vmcb_seg *data_segs[] = { &vmcb->save.ds, &vmcb->save.es, &vmcb->save.ss,
                                     &vmcb->save.fs, &vmcb->save.gs };

    set_seg(&vmcb->save.cs, s->cs.sel, seg_attr(s->cs.kind), s->cs.limit, s->cs.base);
    for (unsigned i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++)
        set_seg(data_segs[i], s->data.sel, seg_attr(s->data.kind), s->data.limit,
                s->data.base);
    set_seg(&vmcb->save.gdtr, 0, 0, s->gdt_limit, s->gdt_base);
    set_seg(&vmcb->save.idtr, 0, 0, s->idt_limit, s->idt_base);
    vmcb->save.cr0 = s->cr0;
    vmcb->save.cr3 = s->cr3;
    vmcb->save.cr4 = s->cr4;
    vmcb->save.efer = s->efer | EFER_SVME;   /* VMRUN requires it */
    vmcb->save.cpl = 0;
    svm_mark_dirty(v->arch, VMCB_CLEAN_ALL);
}

/*
 * "sti; hlt" interrupted between the two (a host interrupt exits the guest
 * inside the STI shadow, RIP on the HLT). Architecturally a HLT in the
 * shadow with an interrupt pending executes and falls through at once, with
 * the interrupt taken after it; doing exactly that here is right on every
 * implementation and saves the HLT exit that would follow. It is needed
 * on QEMU TCG, whose VMRUN does not restore the shadow from the VMCB: there
 * the V_IRQ window would open before the HLT, the interrupt would return to
 * it, and the vCPU would sleep with its wake-up spent. (Bochs and hardware
 * honour the shadow.)
 */
int svm_complete_shadowed_hlt(struct vcpu *v)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    if (!(v->regs.rflags & RFLAGS_IF) || (vmcb->control.eventinj & EVENT_VALID) ||
        !svm_shadow_active(v))
        return 0;
    struct guest_paging pg = {
        .cr0 = vmcb->save.cr0, .cr3 = vmcb->save.cr3,
        .cr4 = vmcb->save.cr4, .efer = vmcb->save.efer,
    };
    uint8_t op;
    uint64_t rip = v->regs.rip + vmcb->save.cs.base;

    if (guest_read_byte(v->vm, &pg, rip, &op) || op != OPCODE_HLT)
        return 0;
#ifndef PVHV_MUTANT_shadow_hlt_no_skip   /* planted bug: make test-mutants */
    v->regs.rip += INSN_LEN_HLT;
#endif
    vmcb->control.int_state &= ~INT_STATE_SHADOW;
    v->stats.shadowed_hlts++;
    return 1;
}

/* The STI/MOV-SS shadow the last exit reported covers the one instruction
   at the exit RIP; once a handler skipped that instruction it is over. */
int svm_shadow_active(struct vcpu *v)
{
    struct svm_vcpu *sv = v->arch;
    return (sv->vmcb->control.int_state & INT_STATE_SHADOW) && v->regs.rip == sv->exit_rip;
}

int svm_irq_window_open(struct vcpu *v)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    if (!(v->regs.rflags & RFLAGS_IF) || (vmcb->control.eventinj & EVENT_VALID))
        return 0;
    return !svm_shadow_active(v);   /* a shadowed HLT: svm_complete_shadowed_hlt */
}

void svm_inject_irq(struct vcpu *v, uint8_t vector)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    vmcb->control.eventinj = EVENT_VALID | EVENT_TYPE_INTR | vector;
}

void svm_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    uint64_t ev = EVENT_VALID | EVENT_TYPE_EXCEPTION | vector;
    if (has_error)
        ev |= EVENT_ERROR_VALID | ((uint64_t)error << EVENT_ERROR_SHIFT);
    vmcb->control.eventinj = ev;
}

void svm_clear_dr7_gd(struct svm_vcpu *sv)
{
    if (sv->vmcb->save.dr7 & DR7_GD) {
        sv->vmcb->save.dr7 &= ~DR7_GD;
        svm_mark_dirty(sv, VMCB_CLEAN_DRX);
    }
}

void svm_db_delivered(struct vcpu *v, uint64_t dr6_cause)
{
    struct svm_vcpu *sv = v->arch;
    sv->vmcb->save.dr6 = dr6_after_db(sv->vmcb->save.dr6, dr6_cause);
    svm_mark_dirty(sv, VMCB_CLEAN_DRX);
    svm_clear_dr7_gd(sv);
}

/*
 * A virtual interrupt (V_IRQ, with V_INTR_MASKING) exits through the VINTR
 * intercept as soon as the guest can take it: IF=1, no shadow, no event
 * being injected. Bochs (2.7 and later) deviates: it re-evaluates V_IRQ only
 * when the guest's IF changes, so a window asked for while the guest runs
 * with IF=1 (a non-HLT shadow, a re-injected event) opens at the guest's
 * next STI/POPF/IRET or at the next exit (at the latest the slice end),
 * never lost. The common case, IF=0, is exact on every implementation.
 */
void svm_request_irq_window(struct vcpu *v, int on)
{
    struct svm_vcpu *sv = v->arch;
    struct vmcb *vmcb = sv->vmcb;
    svm_mark_dirty(sv, VMCB_CLEAN_TPR | VMCB_CLEAN_INTERCEPTS);
    if (on) {
        vmcb->control.vintr |= VINTR_V_IRQ;
        vmcb->control.intercept_misc1 |= INTERCEPT_VINTR;
    } else {
        vmcb->control.vintr &= ~VINTR_V_IRQ;
        vmcb->control.intercept_misc1 &= ~INTERCEPT_VINTR;
    }
}

/* The MSRs whose guest values live in the VMCB, and where. */
static uint64_t *msr_slot(struct vmcb *vmcb, uint32_t msr)
{
    struct vmcb_save *g = &vmcb->save;
    switch (msr) {
    case MSR_FS_BASE: return &g->fs.base;
    case MSR_GS_BASE: return &g->gs.base;
    case MSR_KERNEL_GS_BASE: return &g->kernel_gs_base;
    case MSR_STAR: return &g->star;
    case MSR_LSTAR: return &g->lstar;
    case MSR_CSTAR: return &g->cstar;
    case MSR_SFMASK: return &g->sfmask;
    case MSR_SYSENTER_CS: return &g->sysenter_cs;
    case MSR_SYSENTER_ESP: return &g->sysenter_esp;
    case MSR_SYSENTER_EIP: return &g->sysenter_eip;
    case MSR_PAT: return &g->g_pat;
    case MSR_EFER: return &g->efer;
    default: return 0;
    }
}

int svm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    uint64_t *slot = msr_slot(((struct svm_vcpu *)v->arch)->vmcb, msr);
    if (!slot)
        return -1;
    *val = *slot;
    if (msr == MSR_EFER)
        *val &= ~EFER_SVME;   /* the guest does not see that it is a guest */
    return 0;
}

int svm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    uint64_t *slot = msr_slot(((struct svm_vcpu *)v->arch)->vmcb, msr);
    if (!slot)
        return -1;
    /* The value passed msr_guest_value_ok (hv/virt/msr.c). */
    if (msr == MSR_EFER) {
        val = (val & ~EFER_LMA) | (*slot & EFER_LMA) | EFER_SVME;
        svm_mark_dirty(v->arch, VMCB_CLEAN_CRX);
    } else if (msr == MSR_PAT) {
        svm_mark_dirty(v->arch, VMCB_CLEAN_NP);
    }
    *slot = val;
    return 0;
}

uint64_t svm_read_cr(struct vcpu *v, unsigned n)
{
    const struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    return n == 4 ? vmcb->save.cr4 : vmcb->save.cr0;
}

void svm_dr_intercept_off(struct vcpu *v)
{
    struct svm_vcpu *sv = v->arch;
    sv->vmcb->control.intercept_dr = 0;
    svm_mark_dirty(sv, VMCB_CLEAN_INTERCEPTS);
}

void svm_dump(struct vcpu *v, void (*out)(const char *fmt, ...))
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    out("  VMCB: exitcode=0x%lx exitinfo1=0x%lx exitinfo2=0x%lx exitintinfo=0x%lx eventinj=0x%lx\n",
        vmcb->control.exitcode, vmcb->control.exitinfo1,
        vmcb->control.exitinfo2, vmcb->control.exitintinfo,
        vmcb->control.eventinj);
    out("  VMCB: CR0=0x%lx CR3=0x%lx CR4=0x%lx EFER=0x%lx CS=%x/%x ASID=%u\n",
        vmcb->save.cr0, vmcb->save.cr3, vmcb->save.cr4,
        vmcb->save.efer, vmcb->save.cs.sel,
        vmcb->save.cs.attr, vmcb->control.asid);
}
