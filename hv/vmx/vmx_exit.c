/*
 * Entering the guest and turning a VMX exit into the shared form. External
 * interrupts exit without being acknowledged, so the host takes them at the
 * `sti` after the exit (the VMX twin of SVM's CLGI/STGI bracket).
 */
#include "vmx.h"

#include "fmt.h"
#include "pvstring.h"
#include "../core/percpu.h"
#include "../core/x86.h"
#include "../virt/vcpu.h"

static const char *const insn_errors[VMX_ERR_COUNT] = {
    [1] = "VMCALL executed in VMX root operation",
    [2] = "VMCLEAR with invalid physical address",
    [3] = "VMCLEAR with VMXON pointer",
    [4] = "VMLAUNCH with non-clear VMCS",
    [5] = "VMRESUME with non-launched VMCS",
    [6] = "VMRESUME after VMXOFF",
    [7] = "VM entry with invalid control field(s)",
    [8] = "VM entry with invalid host-state field(s)",
    [9] = "VMPTRLD with invalid physical address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect VMCS revision identifier",
    [12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
    [13] = "VMWRITE to read-only VMCS component",
    [15] = "VMXON executed in VMX root operation",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [17] = "VM entry with non-launched executive VMCS",
    [18] = "VM entry with executive-VMCS pointer not VMXON pointer",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT/INVVPID",
};

static void prepare_tlb(struct vcpu *v, struct vmx_vcpu *vx, unsigned cpu)
{
    /* This VPID's translations on this pCPU are stale if the vCPU ran
       elsewhere since (its page tables may have changed there). */
    int flush = vx->flush_pending || vx->last_cpu != (int)cpu;
    vx->flush_pending = 0;
    vx->last_cpu = (int)cpu;
    if (!flush || !vmx_caps.has_vpid)
        return;   /* without VPID every entry and exit flushes anyway */
    v->stats.guest_tlb_flushes++;
    if (vmx_caps.ept_vpid & VPID_CAP_INVVPID_SINGLE)
        invvpid(INVVPID_SINGLE, vx->vpid);
    else if (vmx_caps.ept_vpid & VPID_CAP_INVVPID_ALL)
        invvpid(INVVPID_ALL, 0);
    else
        invept(INVEPT_ALL, 0);
}

void vmx_request_tlb_flush(struct vcpu *v)
{
    ((struct vmx_vcpu *)v->arch)->flush_pending = 1;
}

void vmx_slice_start(struct vcpu *v, uint64_t deadline_tsc)
{
    ((struct vmx_vcpu *)v->arch)->slice_end = deadline_tsc;
}

/* What is left of the slice, in preemption-timer ticks: 0 (exit before the
   first guest instruction) if it ran out while the host handled exits. */
static void arm_preempt_timer(struct vmx_vcpu *vx)
{
    uint64_t now = rdtsc();
    uint64_t ticks = vx->slice_end > now ? (vx->slice_end - now) >> vmx_caps.preempt_rate : 0;
    vmwrite(VMCS_PREEMPT_TIMER_VALUE, ticks < VMX_PREEMPT_TIMER_MAX ? ticks : VMX_PREEMPT_TIMER_MAX);
}

static void load_swap_msrs(struct vmx_cpu *vc, struct vcpu *v, struct vmx_vcpu *vx)
{
    static const uint32_t msrs[SWAP_COUNT] = {
        [SWAP_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE, [SWAP_STAR] = MSR_STAR,
        [SWAP_LSTAR] = MSR_LSTAR, [SWAP_CSTAR] = MSR_CSTAR, [SWAP_SFMASK] = MSR_SFMASK,
    };
    if (vc->msr_owner == v && vc->msr_owner_gen == vx->swap_gen)
        return;
    for (int i = 0; i < SWAP_COUNT; i++)
        wrmsr(msrs[i], vx->swap_msr[i]);
    vc->msr_owner = v;
    vc->msr_owner_gen = vx->swap_gen;
}

/* Guest state the shared code owns (RSP/RIP/RFLAGS) and what the ops
   queued while the VMCS was not current, into the VMCS. */
static void sync_to_vmcs(struct vcpu *v, struct vmx_vcpu *vx)
{
    vmwrite(VMCS_GUEST_RSP, v->regs.rsp);
    vmwrite(VMCS_GUEST_RIP, v->regs.rip);
    vmwrite(VMCS_GUEST_RFLAGS, v->regs.rflags);
    uint32_t intr_state = vx->interruptibility;
    if (v->regs.rip != vx->exit_rip)   /* the blocking instruction was skipped */
        intr_state &= ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
    vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr_state);
    vmwrite(VMCS_ENTRY_INTR_INFO, vx->entry_intr);
    if (vx->entry_intr & INTR_INFO_ERROR_VALID)
        vmwrite(VMCS_ENTRY_EXC_ERROR, vx->entry_error);
    if (vx->entry_insn_len)
        vmwrite(VMCS_ENTRY_INSN_LEN, vx->entry_insn_len);
    if (vx->proc_dirty || !vx->launched) {
        vmwrite(VMCS_PROC_CTLS, vx->proc);
        vx->proc_dirty = 0;
    }
}

static void entry_failed(int r, uint32_t reason, struct vexit *e)
{
    e->reason = EXIT_ENTRY_FAIL;
    if (r == VMX_RUN_FAIL_INVALID) {
        pv_snprintf(e->detail, sizeof(e->detail), "VMLAUNCH/VMRESUME: VMfailInvalid (no current VMCS)");
    } else if (r == VMX_RUN_FAIL_VALID) {
        uint64_t n = vmread(VMCS_INSN_ERROR);
        e->raw = n;
        pv_snprintf(e->detail, sizeof(e->detail), "VM-instruction error %lu: %s", n,
                    n < VMX_ERR_COUNT && insn_errors[n] ? insn_errors[n] : "unknown");
    } else {
        uint32_t basic = reason & VMX_EXIT_REASON_MASK;
        pv_snprintf(e->detail, sizeof(e->detail), "exit reason %u with bit 31: %s (qualification %lu)",
                    basic, basic == VMX_EXIT_BAD_GUEST_STATE ? "invalid guest state" :
                    basic == VMX_EXIT_MSR_LOADING ? "MSR loading" :
                    basic == VMX_EXIT_MACHINE_CHECK ? "machine-check event" : "entry failure",
                    vmread(VMCS_EXIT_QUALIFICATION));
    }
}

/*
 * An intercepted #DB or #AC (X86_EXC_REFLECTED). The CPU does not update
 * DR6 for a #DB that exits (SDM 27.1); the exit qualification holds the
 * bits it would have set, so they go into DR6 (the guest's while it runs
 * here) as delivery would have left them. ICEBP's #DB is a privileged
 * software exception: a trap after the instruction.
 */
static void translate_exception(struct vexit *e, uint64_t qual)
{
    uint32_t info = (uint32_t)e->info2;
    uint8_t vec = (uint8_t)(info & INTR_INFO_VECTOR_MASK);
    uint32_t type = info & INTR_INFO_TYPE_MASK;

    if (vec >= 32 || ((1u << vec) & ~X86_EXC_REFLECTED) ||
        (type != INTR_TYPE_HW_EXCEPTION && type != INTR_TYPE_PRIV_SW_EXCEPTION)) {
        e->reason = EXIT_UNKNOWN;
        pv_snprintf(e->detail, sizeof(e->detail), "exception exit, interruption info 0x%x", info);
        return;
    }
    e->reason = EXIT_EXCEPTION;
    e->exc_vector = vec;
    e->exc_skip = type == INTR_TYPE_PRIV_SW_EXCEPTION;
    e->exc_has_error = (info & INTR_INFO_ERROR_VALID) != 0;
    if (e->exc_has_error)
        e->exc_error = (uint32_t)vmread(VMCS_EXIT_INTR_ERROR);
    if (vec == X86_EXC_DB)
        vmx_db_delivered(0, qual);
}

static void translate_exit(uint32_t reason, struct vexit *e)
{
    uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);

    e->raw = reason;
    e->info1 = qual;
    e->info2 = vmread(VMCS_EXIT_INTR_INFO);
    switch (reason & VMX_EXIT_REASON_MASK) {
    case VMX_EXIT_EXCEPTION:   /* host NMIs, and the bitmap's #DB and #AC */
        if ((e->info2 & INTR_INFO_TYPE_MASK) == INTR_TYPE_NMI)
            e->reason = EXIT_INTR;   /* vmx_vcpu_run already ran the NMI handler */
        else
            translate_exception(e, qual);
        break;
    case VMX_EXIT_EXT_INTR:
    case VMX_EXIT_INIT:
    case VMX_EXIT_SIPI:
    case VMX_EXIT_IO_SMI:
    case VMX_EXIT_OTHER_SMI:
        e->reason = EXIT_INTR;
        break;
    case VMX_EXIT_INTR_WINDOW:
        e->reason = EXIT_IRQ_WINDOW;
        break;
    case VMX_EXIT_TRIPLE_FAULT:
        e->reason = EXIT_SHUTDOWN;
        break;
    case VMX_EXIT_CR_ACCESS:
        e->reason = EXIT_CR_ACCESS;   /* emulated by vmx_cr_access() */
        break;
    case VMX_EXIT_CPUID:
        e->reason = EXIT_CPUID;
        break;
    case VMX_EXIT_INVD:
        e->reason = EXIT_INVD;
        break;
    case VMX_EXIT_HLT:
        e->reason = EXIT_HLT;
        break;
    case VMX_EXIT_PAUSE:
        e->reason = EXIT_PAUSE;
        break;
    case VMX_EXIT_VMCALL:
        e->reason = EXIT_HYPERCALL;
        /* SDM 3C 24.4.1: SS.DPL is the CPL. */
        e->cpl = (uint8_t)((vmread(VMCS_GUEST_SS_AR) >> VMX_AR_DPL_SHIFT) & VMX_AR_DPL_MASK);
        break;
    case VMX_EXIT_RDMSR:
        e->reason = EXIT_MSR_READ;
        break;
    case VMX_EXIT_WRMSR:
        e->reason = EXIT_MSR_WRITE;
        break;
    case VMX_EXIT_IO:
        e->reason = EXIT_IO;
        e->port = (uint16_t)(qual >> IO_QUAL_PORT_SHIFT);
        e->io_in = (qual & IO_QUAL_IN) != 0;
        e->io_string = (qual & (IO_QUAL_STRING | IO_QUAL_REP)) != 0;
        e->io_size = (uint8_t)((qual & IO_QUAL_SIZE_MASK) + 1);
        break;
    case VMX_EXIT_EPT_VIOLATION:
        e->reason = EXIT_NPF;
        e->gpa = vmread(VMCS_GUEST_PHYS_ADDR);
        break;
    case VMX_EXIT_WBINVD:
        e->reason = EXIT_WBINVD;
        break;
    case VMX_EXIT_DR_ACCESS:
        e->reason = EXIT_DR_ACCESS;     /* runs again once the vCPU owns them */
        break;
    case VMX_EXIT_PREEMPT_TIMER:
        e->reason = EXIT_PREEMPT_TIMER;
        break;
    case VMX_EXIT_GETSEC:
    case VMX_EXIT_VMCLEAR:
    case VMX_EXIT_VMLAUNCH:
    case VMX_EXIT_VMPTRLD:
    case VMX_EXIT_VMPTRST:
    case VMX_EXIT_VMREAD:
    case VMX_EXIT_VMRESUME:
    case VMX_EXIT_VMWRITE:
    case VMX_EXIT_VMXOFF:
    case VMX_EXIT_VMXON:
    case VMX_EXIT_INVEPT:
    case VMX_EXIT_INVVPID:
    case VMX_EXIT_VMFUNC:
    case VMX_EXIT_MONITOR:
    case VMX_EXIT_MWAIT:
    case VMX_EXIT_XSETBV:
        e->reason = EXIT_INVALID_INSN;
        break;
    case VMX_EXIT_EPT_MISCONFIG:
        e->reason = EXIT_UNKNOWN;
        e->gpa = vmread(VMCS_GUEST_PHYS_ADDR);
        pv_snprintf(e->detail, sizeof(e->detail), "EPT misconfiguration at GPA 0x%lx", e->gpa);
        break;
    default:
        e->reason = EXIT_UNKNOWN;
        pv_snprintf(e->detail, sizeof(e->detail), "VMX exit reason %u", reason & VMX_EXIT_REASON_MASK);
        break;
    }
    /* VMX reports the length of every instruction-caused exit. */
    e->insn_len = (uint32_t)vmread(VMCS_EXIT_INSN_LEN);
}

/* After an exit: RSP/RIP/RFLAGS back to the shared copy, and an event
   whose delivery this exit interrupted queued for the next entry. */
static void sync_from_vmcs(struct vcpu *v, struct vmx_vcpu *vx)
{
    v->regs.rsp = vmread(VMCS_GUEST_RSP);
    v->regs.rip = vmread(VMCS_GUEST_RIP);
    v->regs.rflags = vmread(VMCS_GUEST_RFLAGS);
    vx->exit_rip = v->regs.rip;
    vx->interruptibility = (uint32_t)vmread(VMCS_GUEST_INTERRUPTIBILITY);
    vx->entry_intr = 0;
    vx->entry_insn_len = 0;
    uint32_t idt = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
    if (idt & INTR_INFO_VALID) {
        vx->entry_intr = idt;
        vx->entry_error = (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR);
        uint32_t type = idt & INTR_INFO_TYPE_MASK;
        if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_SW_EXCEPTION ||
            type == INTR_TYPE_PRIV_SW_EXCEPTION)
            vx->entry_insn_len = (uint32_t)vmread(VMCS_EXIT_INSN_LEN);
    }
    uint64_t kgs = rdmsr(MSR_KERNEL_GS_BASE);   /* SWAPGS does not exit */
    if (kgs != vx->swap_msr[SWAP_KERNEL_GS_BASE]) {
        vx->swap_msr[SWAP_KERNEL_GS_BASE] = kgs;
        vx->swap_gen++;
        struct vmx_cpu *vc = this_cpu()->backend;
        vc->msr_owner_gen = vx->swap_gen;   /* this pCPU holds the new value */
    }
}

void vmx_vcpu_run(struct vcpu *v, struct vexit *e)
{
    struct percpu *cpu = this_cpu();
    struct vmx_cpu *vc = cpu->backend;
    struct vmx_vcpu *vx = v->arch;

    memset(e, 0, sizeof(*e));
    irq_disable();   /* from the abort check to the entry: no lost wake-up */
    if (virt_entry_must_abort(v)) {
        irq_enable();
        e->reason = EXIT_NONE;
        return;
    }
    if (vc->current != vx || vc->slice != vx) {   /* vmx_vcpu_load did not run */
        irq_enable();
        e->reason = EXIT_ENTRY_FAIL;
        pv_snprintf(e->detail, sizeof(e->detail), "VMCS of vCPU %u not current on pCPU %u",
                    v->id, cpu->index);
        return;
    }
    if (v->ple_window_dirty && virt_settings.ple_hw) {
        vmwrite(VMCS_PLE_WINDOW, v->ple_window);   /* hv/virt/ple.c grew or shrank it */
        v->ple_window_dirty = 0;
    }
    sync_to_vmcs(v, vx);
    load_swap_msrs(vc, v, vx);
    prepare_tlb(v, vx, cpu->index);
    if (vmx_caps.has_preempt_timer)
        arm_preempt_timer(vx);
    cpu->vmruns++;
    int r = vmx_world_switch(&v->regs, vx->launched);
    /* A host NMI exited the guest (NMI exiting) and was consumed by the
       exit: hand it to the host's handler, whose IRET also ends the NMI
       blocking the exit left behind. */
    if (r == VMX_RUN_EXITED &&
        (vmread(VMCS_EXIT_REASON) & (VMX_EXIT_ENTRY_FAILED | VMX_EXIT_REASON_MASK)) ==
            VMX_EXIT_EXCEPTION &&
        (vmread(VMCS_EXIT_INTR_INFO) & (INTR_INFO_VALID | INTR_INFO_TYPE_MASK)) ==
            (INTR_INFO_VALID | INTR_TYPE_NMI))
        __asm__ volatile("int $2" ::: "memory");
    irq_enable();    /* a host interrupt that caused the exit is taken here */

    if (r != VMX_RUN_EXITED) {
        entry_failed(r, 0, e);
    } else {
        uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
        if (reason & VMX_EXIT_ENTRY_FAILED) {
            entry_failed(r, reason, e);
            e->raw = reason;
        } else {
            vx->launched = 1;
            sync_from_vmcs(v, vx);
            translate_exit(reason, e);
            if (e->reason == EXIT_CR_ACCESS)
                vmx_cr_access(v, e);
        }
    }
}
