/*
 * Entering the guest and turning an SVM exit into the shared form. RIP is
 * advanced by the shared handlers from insn_len: NRIP - RIP where the CPU
 * saves the next RIP (CPUID 0x8000000A EDX.NRIPS), else the lengths of the
 * guest's own encodings (QEMU TCG has no NRIP save); I/O exits always give
 * the next RIP in EXITINFO2.
 */
#include "svm.h"

#include "fmt.h"
#include "pvstring.h"
#include "../core/idt.h"
#include "../core/lapic.h"
#include "../core/percpu.h"
#include "../core/x86.h"
#include "../virt/vcpu.h"

static void prepare_tlb(struct svm_cpu *sc, struct svm_vcpu *sv, struct vcpu *v,
                        unsigned cpu)
{
    uint8_t tlb = TLB_CONTROL_NONE;
    /* Stale entries for this ASID exist on this pCPU if another vCPU used
       the ASID here since, or if this vCPU ran elsewhere in between. */
    if (sc->asid_owner[sv->asid] != v || sv->last_cpu != (int)cpu || sv->flush_pending)
        tlb = (svm_features & SVM_FEAT_FLUSH_BY_ASID) ? TLB_CONTROL_FLUSH_ASID
                                                     : TLB_CONTROL_FLUSH_ALL;
    v->stats.guest_tlb_flushes += tlb != TLB_CONTROL_NONE;
    sv->flush_pending = 0;
    sc->asid_owner[sv->asid] = v;
    sv->last_cpu = (int)cpu;
    sv->vmcb->control.tlb_control = tlb;
}

void svm_request_tlb_flush(struct vcpu *v)
{
    ((struct svm_vcpu *)v->arch)->flush_pending = 1;
}

/*
 * The clean bits for this VMRUN: the CPU may keep what it cached at the last
 * VMRUN of this VMCB on this core, except what was written since. A VMCB
 * that last ran on another core (or never ran) is all dirty.
 */
static uint32_t clean_bits(struct svm_vcpu *sv, unsigned cpu)
{
    uint32_t clean = 0;
    if ((svm_features & SVM_FEAT_VMCB_CLEAN) && sv->last_cpu == (int)cpu)
        clean = VMCB_CLEAN_ALL & ~sv->dirty;
    sv->dirty = 0;
    return clean;
}

void svm_vcpu_run(struct vcpu *v, struct vexit *e)
{
    struct percpu *cpu = this_cpu();
    struct svm_cpu *sc = cpu->backend;
    struct svm_vcpu *sv = v->arch;
    struct vmcb *vmcb = sv->vmcb;

    vmcb->save.rax = v->regs.rax;
    vmcb->save.rsp = v->regs.rsp;
    vmcb->save.rip = v->regs.rip;
    vmcb->save.rflags = v->regs.rflags;
    /* A handler that skipped the instruction in an STI/MOV-SS shadow ended
       the shadow; VMRUN would otherwise apply it to the next instruction
       (on hardware and Bochs; QEMU ignores it) and hold off the window. */
    if (!svm_shadow_active(v))
        vmcb->control.int_state &= ~INT_STATE_SHADOW;

    irq_enable();   /* host interrupts must exit the guest (V_INTR_MASKING) */
    __asm__ volatile("clgi" ::: "memory");
    if (virt_entry_must_abort(v)) {
        __asm__ volatile("stgi" ::: "memory");
        memset(e, 0, sizeof(*e));
        e->reason = EXIT_NONE;
        return;
    }
    if (v->ple_window_dirty && virt_settings.ple_hw) {
        /* hv/virt/ple.c grew or shrank it; ple_window_limit keeps it 16-bit */
        vmcb->control.pause_count = (uint16_t)v->ple_window;
        svm_mark_dirty(sv, VMCB_CLEAN_INTERCEPTS);
        v->ple_window_dirty = 0;
    }
    vmcb->control.clean = clean_bits(sv, cpu->index);
    prepare_tlb(sc, sv, v, cpu->index);
    /*
     * QEMU 7.2's VMRUN delivers an injected external interrupt at once but
     * leaves the vector in its pending-exception slot; if anything but an
     * exception or exit next stops its CPU loop (a kick from another
     * thread, a single-threaded TCG turn), it delivers the vector to the
     * guest a second time, seen as a guest IPI handler run twice for one
     * injection (tests/system/test_boot.py, 1vm-4vcpus: 7 acks for 6 IPIs
     * in 3-7% of single-threaded boots). A host interrupt already pending
     * when VMRUN sets GIF exits at the first instruction boundary after
     * the delivery, which clears that slot. Cost: one exit per injected
     * interrupt, only under QEMU TCG (svm.c, under_qemu_tcg).
     */
    if (svm_inject_exit_quirk &&
        (vmcb->control.eventinj & (EVENT_VALID | EVENT_TYPE_MASK)) == (EVENT_VALID | EVENT_TYPE_INTR)) {
        lapic_send_ipi(cpu->apic_id, VEC_WAKE);
        v->stats.inject_exits++;
    }
    cpu->vmruns++;
    svm_world_switch(&v->regs, v->arch_pa, sc->host_vmcb_pa);
    __asm__ volatile("stgi" ::: "memory");

    v->regs.rax = vmcb->save.rax;
    v->regs.rsp = vmcb->save.rsp;
    v->regs.rip = vmcb->save.rip;
    v->regs.rflags = vmcb->save.rflags;
    sv->exit_rip = v->regs.rip;
    svm_translate_exit(v, e);
    if (e->reason == EXIT_CR_ACCESS)
        svm_cr_write(v, e);
}

static void translate_io(struct vcpu *v, uint64_t info1, uint64_t info2, struct vexit *e)
{
    e->reason = EXIT_IO;
    e->port = (uint16_t)(info1 >> IOIO_PORT_SHIFT);
    e->io_in = (info1 & IOIO_IN) != 0;
    e->io_string = (info1 & (IOIO_STRING | IOIO_REP)) != 0;
    e->io_size = (info1 & IOIO_SIZE32) ? 4 : (info1 & IOIO_SIZE16) ? 2 : 1;
    e->insn_len = (uint32_t)(info2 - v->regs.rip);   /* EXITINFO2 = next RIP */
}

/*
 * An intercepted instruction: its length from NRIP where the CPU saves it
 * (checked: 1..15 bytes on), else the length of the guest's encoding.
 */
static void insn_exit(struct vcpu *v, struct vmcb *vmcb, struct vexit *e,
                      enum exit_reason reason, uint32_t hand_len)
{
    e->reason = reason;
    e->insn_len = hand_len;
    if (!(svm_features & SVM_FEAT_NRIPS))
        return;
    uint64_t len = vmcb->control.nrip - v->regs.rip;
    if (len == 0 || len > X86_MAX_INSN_LEN) {
        e->reason = EXIT_UNKNOWN;
        pv_snprintf(e->detail, sizeof(e->detail), "NRIP 0x%lx is not 1..%u bytes past RIP 0x%lx",
                    vmcb->control.nrip, X86_MAX_INSN_LEN, v->regs.rip);
        return;
    }
    e->insn_len = (uint32_t)len;
}

void svm_translate_exit(struct vcpu *v, struct vexit *e)
{
    struct vmcb *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    uint64_t code = vmcb->control.exitcode;
    uint64_t info1 = vmcb->control.exitinfo1;
    uint64_t info2 = vmcb->control.exitinfo2;
    uint64_t intinfo = vmcb->control.exitintinfo;

    memset(e, 0, sizeof(*e));
    e->raw = code;
    e->info1 = info1;
    e->info2 = info2;
    vmcb->control.eventinj = 0;
    /* An event whose delivery this exit interrupted is delivered again. */
    if (intinfo & EVENT_VALID)
        vmcb->control.eventinj = intinfo;

    if ((uint32_t)code == SVM_EXIT_INVALID) {
        e->reason = EXIT_ENTRY_FAIL;
        memcpy(e->detail, "VMRUN rejected the guest state in the VMCB",
               sizeof("VMRUN rejected the guest state in the VMCB"));
        return;
    }
    switch (code) {
    case SVM_EXIT_INTR:
    case SVM_EXIT_NMI:
    case SVM_EXIT_SMI:
    case SVM_EXIT_INIT:
        e->reason = EXIT_INTR;
        break;
    case SVM_EXIT_VINTR:
        e->reason = EXIT_IRQ_WINDOW;
        break;
    case SVM_EXIT_CPUID:
        insn_exit(v, vmcb, e, EXIT_CPUID, INSN_LEN_CPUID);
        break;
    case SVM_EXIT_INVD:
        insn_exit(v, vmcb, e, EXIT_INVD, INSN_LEN_INVD);
        break;
    case SVM_EXIT_PAUSE:
        insn_exit(v, vmcb, e, EXIT_PAUSE, INSN_LEN_PAUSE);
        break;
    case SVM_EXIT_HLT:
        insn_exit(v, vmcb, e, EXIT_HLT, INSN_LEN_HLT);
        break;
    case SVM_EXIT_IOIO:
        translate_io(v, info1, info2, e);
        break;
    case SVM_EXIT_MSR:
        insn_exit(v, vmcb, e, info1 == EXITINFO1_MSR_WRITE ? EXIT_MSR_WRITE : EXIT_MSR_READ,
                  INSN_LEN_MSR);
        break;
    case SVM_EXIT_SHUTDOWN:
        e->reason = EXIT_SHUTDOWN;
        break;
    case SVM_EXIT_WRITE_CR0:
    case SVM_EXIT_WRITE_CR4:
        e->reason = EXIT_CR_ACCESS;   /* emulated by svm_cr_write() */
        break;
    case SVM_EXIT_WBINVD:
        insn_exit(v, vmcb, e, EXIT_WBINVD, INSN_LEN_WBINVD);
        break;
    case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR0 + SVM_DR_COUNT - 1:
    case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR0 + SVM_DR_COUNT - 1:
        e->reason = EXIT_DR_ACCESS;     /* runs again once the vCPU owns them */
        break;
    case SVM_EXIT_VMMCALL:
        insn_exit(v, vmcb, e, EXIT_HYPERCALL, INSN_LEN_VMMCALL);
        e->cpl = vmcb->save.cpl;
        break;
    case SVM_EXIT_VMRUN:
    case SVM_EXIT_VMLOAD:
    case SVM_EXIT_VMSAVE:
    case SVM_EXIT_STGI:
    case SVM_EXIT_CLGI:
    case SVM_EXIT_SKINIT:
    case SVM_EXIT_INVLPGA:
    case SVM_EXIT_MONITOR:
    case SVM_EXIT_MWAIT:
    case SVM_EXIT_XSETBV:
        e->reason = EXIT_INVALID_INSN;
        break;
    case SVM_EXIT_EXCP_BASE + X86_EXC_DB:   /* DR6 in the VMCB is already set */
        /* Delivering a #DB clears DR7.GD; the injection that reflects it
           does not (Bochs' AMD models: a general-detect #DB came back on
           every MOV DR after it), so it is cleared here, as KVM does. */
        svm_clear_dr7_gd(v->arch);
        /* fall through */
    case SVM_EXIT_EXCP_BASE + X86_EXC_AC:
        e->reason = EXIT_EXCEPTION;
        e->exc_vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
        e->exc_has_error = e->exc_vector == X86_EXC_AC;
        e->exc_error = (uint32_t)info1;
        break;
    case SVM_EXIT_NPF:
        e->reason = EXIT_NPF;
        e->gpa = info2;
        break;
    default:
        e->reason = EXIT_UNKNOWN;
        break;
    }
}
