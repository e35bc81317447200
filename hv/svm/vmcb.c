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

static void set_seg(uint8_t *vmcb, unsigned seg, uint16_t sel, uint16_t attr,
                    uint32_t limit, uint64_t base)
{
    *vmcb16(vmcb, seg + VMCB_SEG_SEL) = sel;
    *vmcb16(vmcb, seg + VMCB_SEG_ATTR) = attr;
    *vmcb32(vmcb, seg + VMCB_SEG_LIMIT) = limit;
    *vmcb64(vmcb, seg + VMCB_SEG_BASE) = base;
}

int svm_vcpu_init(struct vcpu *v)
{
    struct svm_vcpu *sv = page_alloc_zeroed();
    uint8_t *vmcb = page_alloc_zeroed();

    sv->vmcb = vmcb;
    /* ASIDs are recycled when vCPUs outnumber them; svm_vcpu_run flushes
       whenever another vCPU used the same ASID on that pCPU. */
    sv->asid = 1 + __atomic_fetch_add(&next_asid, 1, __ATOMIC_RELAXED) % (svm_nr_asids - 1);
    sv->last_cpu = -1;
    v->arch = sv;
    v->arch_pa = (uint64_t)(uintptr_t)vmcb;

    *vmcb32(vmcb, VMCB_INTERCEPT_MISC1) =
        INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_INIT |
        INTERCEPT_CPUID | INTERCEPT_INVD | INTERCEPT_HLT | INTERCEPT_INVLPGA |
        INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_TASK_SWITCH | INTERCEPT_SHUTDOWN;
    *vmcb32(vmcb, VMCB_INTERCEPT_MISC2) =
        INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD | INTERCEPT_VMSAVE |
        INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT | INTERCEPT_MONITOR |
        INTERCEPT_MWAIT | INTERCEPT_XSETBV;
    /* ple=on: with the pause filter only the ple_window-th PAUSE (within
       ple_gap cycles of each other, with the threshold) exits; without it
       every PAUSE exits and hv/virt/exit.c filters in software. The values
       fit 16 bits: svm_check_settings refused the run otherwise. */
    if (virt_settings.ple) {
        *vmcb32(vmcb, VMCB_INTERCEPT_MISC1) |= INTERCEPT_PAUSE;
        if (virt_settings.ple_hw) {
            *vmcb16(vmcb, VMCB_PAUSE_COUNT) = (uint16_t)virt_settings.ple_window;
            if (svm_features & SVM_FEAT_PAUSE_THRESHOLD)
                *vmcb16(vmcb, VMCB_PAUSE_THRESHOLD) = (uint16_t)virt_settings.ple_gap;
        }
    }
    *vmcb64(vmcb, VMCB_IOPM_BASE) = (uint64_t)(uintptr_t)svm_iopm;
    *vmcb64(vmcb, VMCB_MSRPM_BASE) = (uint64_t)(uintptr_t)svm_msrpm;
    *vmcb32(vmcb, VMCB_ASID) = sv->asid;
    *vmcb64(vmcb, VMCB_VINTR) = VINTR_MASKING | VINTR_IGN_TPR;
    *vmcb64(vmcb, VMCB_NP_ENABLE) = 1;
    *vmcb64(vmcb, VMCB_NCR3) = v->vm->npt_root_pa;
    *vmcb64(vmcb, VMCB_G_PAT) = GUEST_PAT_DEFAULT;
    *vmcb64(vmcb, VMCB_DR6) = GUEST_DR6_INIT;
    *vmcb64(vmcb, VMCB_DR7) = GUEST_DR7_INIT;
    set_seg(vmcb, VMCB_TR, 0, SEG_ATTR_TSS_BUSY, SEG_LIMIT_TSS, 0);
    set_seg(vmcb, VMCB_LDTR, 0, SEG_ATTR_LDT, 0, 0);
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
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    static const unsigned data_segs[] = { VMCB_DS, VMCB_ES, VMCB_SS, VMCB_FS, VMCB_GS };

    set_seg(vmcb, VMCB_CS, s->cs.sel, seg_attr(s->cs.kind), s->cs.limit, s->cs.base);
    for (unsigned i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++)
        set_seg(vmcb, data_segs[i], s->data.sel, seg_attr(s->data.kind), s->data.limit,
                s->data.base);
    set_seg(vmcb, VMCB_GDTR, 0, 0, s->gdt_limit, s->gdt_base);
    set_seg(vmcb, VMCB_IDTR, 0, 0, s->idt_limit, s->idt_base);
    *vmcb64(vmcb, VMCB_CR0) = s->cr0;
    *vmcb64(vmcb, VMCB_CR3) = s->cr3;
    *vmcb64(vmcb, VMCB_CR4) = s->cr4;
    *vmcb64(vmcb, VMCB_EFER) = s->efer | EFER_SVME;   /* VMRUN requires it */
    *vmcb8(vmcb, VMCB_CPL) = 0;
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
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    if (!(v->regs.rflags & RFLAGS_IF) || (*vmcb64(vmcb, VMCB_EVENTINJ) & EVENT_VALID) ||
        !svm_shadow_active(v))
        return 0;
    struct guest_paging pg = {
        .cr0 = *vmcb64(vmcb, VMCB_CR0), .cr3 = *vmcb64(vmcb, VMCB_CR3),
        .cr4 = *vmcb64(vmcb, VMCB_CR4), .efer = *vmcb64(vmcb, VMCB_EFER),
    };
    uint8_t op;
    uint64_t rip = v->regs.rip + *vmcb64(vmcb, VMCB_CS + VMCB_SEG_BASE);

    if (guest_read_byte(v->vm, &pg, rip, &op) || op != OPCODE_HLT)
        return 0;
    v->regs.rip += INSN_LEN_HLT;
    *vmcb64(vmcb, VMCB_INT_STATE) &= ~INT_STATE_SHADOW;
    v->stats.shadowed_hlts++;
    return 1;
}

/* The STI/MOV-SS shadow the last exit reported covers the one instruction
   at the exit RIP; once a handler skipped that instruction it is over. */
int svm_shadow_active(struct vcpu *v)
{
    struct svm_vcpu *sv = v->arch;
    return (*vmcb64(sv->vmcb, VMCB_INT_STATE) & INT_STATE_SHADOW) && v->regs.rip == sv->exit_rip;
}

int svm_irq_window_open(struct vcpu *v)
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    if (!(v->regs.rflags & RFLAGS_IF) || (*vmcb64(vmcb, VMCB_EVENTINJ) & EVENT_VALID))
        return 0;
    return !svm_shadow_active(v);   /* a shadowed HLT: svm_complete_shadowed_hlt */
}

void svm_inject_irq(struct vcpu *v, uint8_t vector)
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    *vmcb64(vmcb, VMCB_EVENTINJ) = EVENT_VALID | EVENT_TYPE_INTR | vector;
}

void svm_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error)
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    uint64_t ev = EVENT_VALID | EVENT_TYPE_EXCEPTION | vector;
    if (has_error)
        ev |= EVENT_ERROR_VALID | ((uint64_t)error << EVENT_ERROR_SHIFT);
    *vmcb64(vmcb, VMCB_EVENTINJ) = ev;
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
    uint8_t *vmcb = sv->vmcb;
    svm_mark_dirty(sv, VMCB_CLEAN_TPR | VMCB_CLEAN_INTERCEPTS);
    if (on) {
        *vmcb64(vmcb, VMCB_VINTR) |= VINTR_V_IRQ;
        *vmcb32(vmcb, VMCB_INTERCEPT_MISC1) |= INTERCEPT_VINTR;
    } else {
        *vmcb64(vmcb, VMCB_VINTR) &= ~VINTR_V_IRQ;
        *vmcb32(vmcb, VMCB_INTERCEPT_MISC1) &= ~INTERCEPT_VINTR;
    }
}

/* The MSRs whose guest values live in the VMCB, and where. */
static int msr_slot(uint32_t msr)
{
    switch (msr) {
    case MSR_FS_BASE: return VMCB_FS + VMCB_SEG_BASE;
    case MSR_GS_BASE: return VMCB_GS + VMCB_SEG_BASE;
    case MSR_KERNEL_GS_BASE: return VMCB_KERNEL_GS_BASE;
    case MSR_STAR: return VMCB_STAR;
    case MSR_LSTAR: return VMCB_LSTAR;
    case MSR_CSTAR: return VMCB_CSTAR;
    case MSR_SFMASK: return VMCB_SFMASK;
    case MSR_SYSENTER_CS: return VMCB_SYSENTER_CS;
    case MSR_SYSENTER_ESP: return VMCB_SYSENTER_ESP;
    case MSR_SYSENTER_EIP: return VMCB_SYSENTER_EIP;
    case MSR_PAT: return VMCB_G_PAT;
    case MSR_EFER: return VMCB_EFER;
    default: return -1;
    }
}

int svm_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    int slot = msr_slot(msr);
    if (slot < 0)
        return -1;
    *val = *vmcb64(vmcb, (unsigned)slot);
    if (msr == MSR_EFER)
        *val &= ~EFER_SVME;   /* the guest does not see that it is a guest */
    return 0;
}

int svm_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    int slot = msr_slot(msr);
    if (slot < 0)
        return -1;
    /* The value passed msr_guest_value_ok (hv/virt/msr.c). */
    if (msr == MSR_EFER) {
        uint64_t cur = *vmcb64(vmcb, VMCB_EFER);
        val = (val & ~EFER_LMA) | (cur & EFER_LMA) | EFER_SVME;
        svm_mark_dirty(v->arch, VMCB_CLEAN_CRX);
    } else if (msr == MSR_PAT) {
        svm_mark_dirty(v->arch, VMCB_CLEAN_NP);
    }
    *vmcb64(vmcb, (unsigned)slot) = val;
    return 0;
}

void svm_dump(struct vcpu *v, void (*out)(const char *fmt, ...))
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    out("  VMCB: exitcode=0x%lx exitinfo1=0x%lx exitinfo2=0x%lx exitintinfo=0x%lx eventinj=0x%lx\n",
        *vmcb64(vmcb, VMCB_EXITCODE), *vmcb64(vmcb, VMCB_EXITINFO1),
        *vmcb64(vmcb, VMCB_EXITINFO2), *vmcb64(vmcb, VMCB_EXITINTINFO),
        *vmcb64(vmcb, VMCB_EVENTINJ));
    out("  VMCB: CR0=0x%lx CR3=0x%lx CR4=0x%lx EFER=0x%lx CS=%x/%x ASID=%u\n",
        *vmcb64(vmcb, VMCB_CR0), *vmcb64(vmcb, VMCB_CR3), *vmcb64(vmcb, VMCB_CR4),
        *vmcb64(vmcb, VMCB_EFER), *vmcb16(vmcb, VMCB_CS + VMCB_SEG_SEL),
        *vmcb16(vmcb, VMCB_CS + VMCB_SEG_ATTR), *vmcb32(vmcb, VMCB_ASID));
}
