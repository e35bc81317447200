/*
 * VMCS set-up and the guest-state accessors of the VMX backend: controls,
 * EPT and VPID, the host-state area, initial state for vCPU0 (32-bit
 * protected mode with paging off, through unrestricted guest, like a
 * multiboot kernel) and for secondary vCPUs (64-bit, from the guest's start
 * context), event injection and the guest MSRs.
 *
 * A VMCS is only touched while current on this pCPU: vmcs_get/vmcs_put
 * (vmx_load.c) bracket every access outside a time slice.
 */
#include "vmx.h"

#include "pv_abi.h"
#include "../core/layout.h"
#include "../core/percpu.h"
#include "../core/x86.h"
#include "../mm/page.h"
#include "../virt/start.h"
#include "../virt/vcpu.h"
#include "../virt/vm.h"

#define MAX_VPID            0xFFFFu

static uint32_t next_vpid;

struct seg {
    uint32_t sel, limit, ar, base;
};

/* Segment register fields in encoding order ES, CS, SS, DS, FS, GS, LDTR, TR. */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };
#define SEG_STRIDE 2

static void set_seg(unsigned seg, uint16_t sel, uint32_t ar, uint32_t limit, uint64_t base)
{
    vmwrite(VMCS_GUEST_ES_SEL + seg * SEG_STRIDE, sel);
    vmwrite(VMCS_GUEST_ES_AR + seg * SEG_STRIDE, ar);
    vmwrite(VMCS_GUEST_ES_LIMIT + seg * SEG_STRIDE, limit);
    vmwrite(VMCS_GUEST_ES_BASE + seg * SEG_STRIDE, base);
}

static void write_controls(struct vcpu *v, struct vmx_vcpu *vx)
{
    uint32_t proc2 = vmx_caps.proc2;
    uint32_t proc = vmx_caps.proc;

    /* ple=on: hardware PAUSE-loop exiting where the CPU has it, else every
       PAUSE exits and hv/virt/exit.c filters in software. ple=off: PAUSE
       never exits. */
    if (virt_settings.ple_hw) {
        proc2 |= PROC2_PAUSE_LOOP_EXIT;
        vmwrite(VMCS_PLE_GAP, virt_settings.ple_gap);
        vmwrite(VMCS_PLE_WINDOW, virt_settings.ple_window);
    } else if (virt_settings.ple) {
        proc |= PROC_PAUSE_EXIT;
    }
    /* vmx_caps.proc has MOV-DR exiting: lazy DR0-3, hv/virt/xstate.c */
    vx->proc = proc;
    vmwrite(VMCS_PIN_CTLS, vmx_caps.pin);
    vmwrite(VMCS_PROC_CTLS, proc);
    vmwrite(VMCS_PROC_CTLS2, proc2);
    vmwrite(VMCS_EXIT_CTLS, vmx_caps.exit);
    vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry);
#ifdef PVHV_MUTANT_no_ac_intercept     /* planted bug: make test-mutants */
    vmwrite(VMCS_EXCEPTION_BITMAP, X86_EXC_REFLECTED & ~(1u << X86_EXC_AC));
#else
    vmwrite(VMCS_EXCEPTION_BITMAP, X86_EXC_REFLECTED);
#endif
    vmwrite(VMCS_PF_ERROR_MASK, 0);
    vmwrite(VMCS_PF_ERROR_MATCH, 0);
    vmwrite(VMCS_CR3_TARGET_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmwrite(VMCS_ENTRY_INTR_INFO, 0);
    vmwrite(VMCS_IO_BITMAP_A, (uint64_t)(uintptr_t)vmx_io_bitmaps);
    vmwrite(VMCS_IO_BITMAP_B, (uint64_t)(uintptr_t)vmx_io_bitmaps + PAGE_SIZE);
    vmwrite(VMCS_MSR_BITMAP, (uint64_t)(uintptr_t)vmx_msr_bitmap);
    vmwrite(VMCS_EPT_POINTER, v->vm->npt_root_pa | EPTP_MEMTYPE_WB | EPTP_WALK_4);
    if (vmx_caps.has_vpid)
        vmwrite(VMCS_VPID, vx->vpid);
    /* CR0/CR4 bits VMX forces (NE, VMXE) are host-owned: the guest reads
       its own view from the shadows and cannot clear them. */
    uint64_t cr0_owned = vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG);
    vmwrite(VMCS_CR0_MASK, cr0_owned);
    vmwrite(VMCS_CR0_SHADOW, 0);   /* vmx_set_start writes the guest's view */
    vmwrite(VMCS_CR4_MASK, vmx_caps.cr4_fixed0 | CR4_VMXE);
    vmwrite(VMCS_CR4_SHADOW, 0);
}

int vmx_vcpu_init(struct vcpu *v)
{
    struct vmx_vcpu *vx = page_alloc_zeroed();
    _Static_assert(sizeof(struct vmx_vcpu) <= 4096, "vmx_vcpu fits a page");

    vx->vmcs = page_alloc_zeroed();
    vx->vmcs_pa = (uint64_t)(uintptr_t)vx->vmcs;
    *(uint32_t *)vx->vmcs = vmx_caps.revision;
    if (vmx_caps.has_vpid)   /* one per vCPU; 0 is the host's */
        vx->vpid = (uint16_t)(1 + __atomic_fetch_add(&next_vpid, 1, __ATOMIC_RELAXED) % MAX_VPID);
    vx->host_cpu = -1;
    vx->dr6 = GUEST_DR6_INIT_VMX;
    vx->active_cpu = -1;
    vx->last_cpu = -1;
    v->arch = vx;
    v->arch_pa = vx->vmcs_pa;
    if (vmclear(vx->vmcs_pa))   /* launch state "clear" before the first VMPTRLD */
        return -1;

    vmcs_get(v);
    write_controls(v, vx);
    vmwrite(VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);
    vmwrite(VMCS_GUEST_DEBUGCTL, 0);
    vmwrite(VMCS_GUEST_PAT, GUEST_PAT_DEFAULT_VMX);
    vmwrite(VMCS_GUEST_DR7, GUEST_DR7_INIT_VMX);
    vmwrite(VMCS_GUEST_PENDING_DBG, 0);
    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmwrite(VMCS_GUEST_ACTIVITY, GUEST_ACTIVITY_ACTIVE);
    vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
    vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
    vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
    set_seg(SEG_TR, 0, VMX_AR_TSS_BUSY, VMX_SEG_LIMIT_TSS, 0);
    set_seg(SEG_LDTR, 0, VMX_AR_UNUSABLE, 0, 0);
    vmcs_put(v);
    return 0;
}

static void set_cr0(uint64_t cr0)
{
    vmwrite(VMCS_GUEST_CR0, (cr0 | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) &
                            vmx_caps.cr0_fixed1);
}

static uint32_t seg_ar(enum seg_kind k)
{
    return k == SEG_KIND_CODE32 ? VMX_AR_CODE32
           : k == SEG_KIND_CODE64 ? VMX_AR_CODE64 : VMX_AR_DATA;
}

void vmx_set_start(struct vcpu *v, const struct vcpu_start *s)
{
    static const unsigned data_segs[] = { SEG_DS, SEG_ES, SEG_SS, SEG_FS, SEG_GS };
    int long_mode = (s->efer & EFER_LMA) != 0;

    vmcs_get(v);
    set_seg(SEG_CS, s->cs.sel, seg_ar(s->cs.kind), s->cs.limit, s->cs.base);
    for (unsigned i = 0; i < sizeof(data_segs) / sizeof(data_segs[0]); i++)
        set_seg(data_segs[i], s->data.sel, seg_ar(s->data.kind), s->data.limit, s->data.base);
    vmwrite(VMCS_GUEST_GDTR_BASE, s->gdt_base);
    vmwrite(VMCS_GUEST_GDTR_LIMIT, s->gdt_limit);
    vmwrite(VMCS_GUEST_IDTR_BASE, s->idt_base);
    vmwrite(VMCS_GUEST_IDTR_LIMIT, s->idt_limit);
    set_cr0(s->cr0);
    vmwrite(VMCS_CR0_SHADOW, s->cr0 & vmread(VMCS_CR0_MASK));
    vmwrite(VMCS_GUEST_CR3, s->cr3);
    /* VMX forces CR4.VMXE and the fixed-1 bits on; the guest reads its own
       view from the CR4 shadow. */
    vmwrite(VMCS_GUEST_CR4, s->cr4 | vmx_caps.cr4_fixed0 | CR4_VMXE);
    vmwrite(VMCS_GUEST_EFER, s->efer);
    vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry | (long_mode ? ENTRY_CTL_IA32E_GUEST : 0));
    vmcs_put(v);
}

int vmx_irq_window_open(struct vcpu *v)
{
    struct vmx_vcpu *vx = v->arch;
    /* STI/MOV-SS blocking covers one instruction: gone once RIP moved on. */
    int shadow = (vx->interruptibility & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) &&
                 v->regs.rip == vx->exit_rip;
    return (v->regs.rflags & RFLAGS_IF) && !shadow && !(vx->entry_intr & INTR_INFO_VALID);
}

void vmx_inject_irq(struct vcpu *v, uint8_t vector)
{
    struct vmx_vcpu *vx = v->arch;
    vx->entry_intr = INTR_INFO_VALID | INTR_TYPE_EXT_INTR | vector;
    vx->entry_error = 0;
    vx->entry_insn_len = 0;
}

void vmx_inject_exception(struct vcpu *v, uint8_t vector, int has_error, uint32_t error)
{
    struct vmx_vcpu *vx = v->arch;
    vx->entry_intr = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector |
                     (has_error ? INTR_INFO_ERROR_VALID : 0);
    vx->entry_error = has_error ? error : 0;
    vx->entry_insn_len = 0;
}

/* The guest's DR6 is the CPU's while its vCPU is loaded (vmx_load.c).
   Delivering a #DB clears DR7.GD; pvhv does not count on the injection
   that reflects one to do so (SVM under Bochs does not). */
void vmx_db_delivered(struct vcpu *v, uint64_t dr6_cause)
{
    (void)v;
    write_dr6(dr6_after_db(read_dr6(), dr6_cause));
    uint64_t dr7 = vmread(VMCS_GUEST_DR7);
    if (dr7 & DR7_GD)
        vmwrite(VMCS_GUEST_DR7, dr7 & ~DR7_GD);
}

void vmx_request_irq_window(struct vcpu *v, int on)
{
    struct vmx_vcpu *vx = v->arch;
    uint32_t proc = on ? vx->proc | PROC_INTR_WINDOW_EXIT : vx->proc & ~PROC_INTR_WINDOW_EXIT;
    if (proc != vx->proc) {
        vx->proc = proc;
        vx->proc_dirty = 1;
    }
}

void vmx_dr_intercept_off(struct vcpu *v)
{
    struct vmx_vcpu *vx = v->arch;
    vx->proc &= ~PROC_MOV_DR_EXIT;
    vx->proc_dirty = 1;
}

/* MSRs kept in VMCS fields, and those swapped by vmx_vcpu_run. */
static int vmcs_msr_field(uint32_t msr)
{
    switch (msr) {
    case MSR_EFER: return VMCS_GUEST_EFER;
    case MSR_PAT: return VMCS_GUEST_PAT;
    case MSR_FS_BASE: return VMCS_GUEST_FS_BASE;
    case MSR_GS_BASE: return VMCS_GUEST_GS_BASE;
    case MSR_SYSENTER_CS: return VMCS_GUEST_SYSENTER_CS;
    case MSR_SYSENTER_ESP: return VMCS_GUEST_SYSENTER_ESP;
    case MSR_SYSENTER_EIP: return VMCS_GUEST_SYSENTER_EIP;
    default: return -1;
    }
}

static int swap_msr_slot(uint32_t msr)
{
    switch (msr) {
    case MSR_KERNEL_GS_BASE: return SWAP_KERNEL_GS_BASE;
    case MSR_STAR: return SWAP_STAR;
    case MSR_LSTAR: return SWAP_LSTAR;
    case MSR_CSTAR: return SWAP_CSTAR;
    case MSR_SFMASK: return SWAP_SFMASK;
    default: return -1;
    }
}

int vmx_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct vmx_vcpu *vx = v->arch;
    int slot = swap_msr_slot(msr);
    if (slot >= 0) {
        *val = vx->swap_msr[slot];
        return 0;
    }
    int field = vmcs_msr_field(msr);
    if (field < 0)
        return -1;
    vmcs_get(v);
    *val = vmread((uint32_t)field);
    vmcs_put(v);
    return 0;
}

int vmx_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct vmx_vcpu *vx = v->arch;
    int slot = swap_msr_slot(msr);
    int field = vmcs_msr_field(msr);

    if (slot < 0 && field < 0)
        return -1;
    /* The value passed msr_guest_value_ok (hv/virt/msr.c). */
    if (slot >= 0) {
        vx->swap_msr[slot] = val;
        vx->swap_gen++;      /* reload at the next entry, wherever it is */
        return 0;
    }
    vmcs_get(v);
    if (msr == MSR_EFER)   /* LMA follows CR0.PG, not the guest's write */
        val = (val & ~EFER_LMA) | (vmread(VMCS_GUEST_EFER) & EFER_LMA);
    vmwrite((uint32_t)field, val);
    vmcs_put(v);
    return 0;
}

/* The guest's view: host-owned bits (the guest/host mask) from the shadow. */
uint64_t vmx_read_cr(struct vcpu *v, unsigned n)
{
    vmcs_get(v);
    uint64_t mask = vmread(n == 4 ? VMCS_CR4_MASK : VMCS_CR0_MASK);
    uint64_t val = (vmread(n == 4 ? VMCS_GUEST_CR4 : VMCS_GUEST_CR0) & ~mask) |
                   (vmread(n == 4 ? VMCS_CR4_SHADOW : VMCS_CR0_SHADOW) & mask);
    vmcs_put(v);
    return val;
}

void vmx_dump(struct vcpu *v, void (*out)(const char *fmt, ...))
{
    struct vmx_vcpu *vx = v->arch;
    if (vmcs_try_get(v)) {
        out("  VMCS: active on pCPU %d, not read from pCPU %u\n", vx->active_cpu,
            this_cpu()->index);
        return;
    }
    out("  VMCS: exit reason=0x%lx qual=0x%lx insn error=%lu intr info=0x%lx "
        "idt vectoring=0x%lx entry intr=0x%x\n",
        vmread(VMCS_EXIT_REASON), vmread(VMCS_EXIT_QUALIFICATION), vmread(VMCS_INSN_ERROR),
        vmread(VMCS_EXIT_INTR_INFO), vmread(VMCS_IDT_VECTORING_INFO), vx->entry_intr);
    out("  VMCS: CR0=0x%lx CR3=0x%lx CR4=0x%lx EFER=0x%lx CS=%lx/%lx entry ctls=0x%lx VPID=%u\n",
        vmread(VMCS_GUEST_CR0), vmread(VMCS_GUEST_CR3), vmread(VMCS_GUEST_CR4),
        vmread(VMCS_GUEST_EFER), vmread(VMCS_GUEST_CS_SEL), vmread(VMCS_GUEST_CS_AR),
        vmread(VMCS_ENTRY_CTLS), vx->vpid);
    vmcs_put(v);
}
