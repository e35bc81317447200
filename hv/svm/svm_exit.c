/*
 * Entering the guest and turning an SVM exit into the shared form. RIP is
 * advanced by the shared handlers from insn_len: TCG has no NRIP save, so
 * the lengths are the instructions' own (I/O exits give the next RIP).
 */
#include "svm.h"

#include "pvstring.h"
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
    sv->flush_pending = 0;
    sc->asid_owner[sv->asid] = v;
    sv->last_cpu = (int)cpu;
    *vmcb8(sv->vmcb, VMCB_TLB_CONTROL) = tlb;
}

void svm_request_tlb_flush(struct vcpu *v)
{
    ((struct svm_vcpu *)v->arch)->flush_pending = 1;
}

void svm_vcpu_run(struct vcpu *v, struct vexit *e)
{
    struct percpu *cpu = this_cpu();
    struct svm_cpu *sc = cpu->backend;
    struct svm_vcpu *sv = v->arch;
    uint8_t *vmcb = sv->vmcb;

    *vmcb64(vmcb, VMCB_RAX) = v->regs.rax;
    *vmcb64(vmcb, VMCB_RSP) = v->regs.rsp;
    *vmcb64(vmcb, VMCB_RIP) = v->regs.rip;
    *vmcb64(vmcb, VMCB_RFLAGS) = v->regs.rflags;
    *vmcb32(vmcb, VMCB_CLEAN) = 0;

    irq_enable();   /* host interrupts must exit the guest (V_INTR_MASKING) */
    __asm__ volatile("clgi" ::: "memory");
    if (virt_entry_must_abort(v)) {
        __asm__ volatile("stgi" ::: "memory");
        memset(e, 0, sizeof(*e));
        e->reason = EXIT_NONE;
        return;
    }
    prepare_tlb(sc, sv, v, cpu->index);
    cpu->vmruns++;
    svm_world_switch(&v->regs, v->arch_pa, sc->host_vmcb_pa);
    __asm__ volatile("stgi" ::: "memory");

    v->regs.rax = *vmcb64(vmcb, VMCB_RAX);
    v->regs.rsp = *vmcb64(vmcb, VMCB_RSP);
    v->regs.rip = *vmcb64(vmcb, VMCB_RIP);
    v->regs.rflags = *vmcb64(vmcb, VMCB_RFLAGS);
    svm_translate_exit(v, e);
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

void svm_translate_exit(struct vcpu *v, struct vexit *e)
{
    uint8_t *vmcb = ((struct svm_vcpu *)v->arch)->vmcb;
    uint64_t code = *vmcb64(vmcb, VMCB_EXITCODE);
    uint64_t info1 = *vmcb64(vmcb, VMCB_EXITINFO1);
    uint64_t info2 = *vmcb64(vmcb, VMCB_EXITINFO2);
    uint64_t intinfo = *vmcb64(vmcb, VMCB_EXITINTINFO);

    memset(e, 0, sizeof(*e));
    e->raw = code;
    e->info1 = info1;
    e->info2 = info2;
    *vmcb64(vmcb, VMCB_EVENTINJ) = 0;
    /* An event whose delivery this exit interrupted is delivered again. */
    if (intinfo & EVENT_VALID)
        *vmcb64(vmcb, VMCB_EVENTINJ) = intinfo;

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
        e->reason = EXIT_CPUID;
        e->insn_len = INSN_LEN_CPUID;
        break;
    case SVM_EXIT_PAUSE:
        e->reason = EXIT_PAUSE;
        e->insn_len = INSN_LEN_PAUSE;
        break;
    case SVM_EXIT_HLT:
        e->reason = EXIT_HLT;
        e->insn_len = INSN_LEN_HLT;
        break;
    case SVM_EXIT_IOIO:
        translate_io(v, info1, info2, e);
        break;
    case SVM_EXIT_MSR:
        e->reason = info1 == EXITINFO1_MSR_WRITE ? EXIT_MSR_WRITE : EXIT_MSR_READ;
        e->insn_len = INSN_LEN_MSR;
        break;
    case SVM_EXIT_SHUTDOWN:
        e->reason = EXIT_SHUTDOWN;
        break;
    case SVM_EXIT_VMMCALL:
        e->reason = EXIT_HYPERCALL;
        e->insn_len = INSN_LEN_VMMCALL;
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
    case SVM_EXIT_NPF:
        e->reason = EXIT_NPF;
        e->gpa = info2;
        break;
    default:
        e->reason = EXIT_UNKNOWN;
        break;
    }
}
