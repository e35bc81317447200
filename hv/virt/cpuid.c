/*
 * CPUID as guests see it: the host's answers with the virtualization
 * features hidden (no nested VMX/SVM, no x2APIC, no MONITOR), the hypervisor
 * bit set, the vCPU's own APIC ID, and pvhv's leaves at 0x40000000.
 */
#include "exit.h"

#include "pv_abi.h"
#include "pvstring.h"
#include "vcpu.h"
#include "vm.h"
#include "../core/x86.h"

#define CPUID_1_EBX_APIC_SHIFT   24
#define CPUID_1_EBX_APIC_MASK    0xFF000000u
#define CPUID_1_EBX_COUNT_SHIFT  16
#define CPUID_1_EBX_COUNT_MASK   0x00FF0000u
#define CPUID_EXT_TOPOLOGY       0x0000000Bu
#define CPUID_EXT_TOPOLOGY_V2    0x0000001Fu

enum exit_action handle_cpuid(struct vcpu *v, struct vexit *e)
{
    uint32_t leaf = (uint32_t)v->regs.rax, sub = (uint32_t)v->regs.rcx;
    uint32_t a = 0, b = 0, c = 0, d = 0;

    if (leaf == PV_CPUID_SIGNATURE) {
        a = PV_CPUID_MAX_LEAF;
        memcpy(&b, PV_SIGNATURE, 4);
        memcpy(&c, PV_SIGNATURE + 4, 4);
        memcpy(&d, PV_SIGNATURE + 8, 4);
    } else if (leaf == PV_CPUID_FEATURES) {
        a = virt_pv->features();
    } else if (leaf > PV_CPUID_MAX_LEAF && leaf < CPUID_EXT_MAX) {
        /* Other hypervisor leaves: nothing. */
    } else {
        cpuid(leaf, sub, &a, &b, &c, &d);
        if (leaf == CPUID_FEATURES) {
            c &= ~(CPUID_1_ECX_VMX | CPUID_1_ECX_X2APIC | CPUID_1_ECX_MONITOR);
            c |= CPUID_1_ECX_HYPERVISOR;
            /* OSXSAVE mirrors CR4.OSXSAVE: the guest's, not the host's. */
            c &= ~CPUID_1_ECX_OSXSAVE;
            if (virt->read_cr(v, 4) & CR4_OSXSAVE)
                c |= CPUID_1_ECX_OSXSAVE;
            b = (b & ~(CPUID_1_EBX_APIC_MASK | CPUID_1_EBX_COUNT_MASK)) |
                (v->id << CPUID_1_EBX_APIC_SHIFT) |
                ((v->vm->nr_vcpus & 0xFF) << CPUID_1_EBX_COUNT_SHIFT);
        } else if (leaf == CPUID_EXT_FEATURES) {
            c &= ~CPUID_81_ECX_SVM;
        } else if (leaf == CPUID_SVM_FEATURES) {
            a = b = c = d = 0;
        } else if (leaf == CPUID_EXT_TOPOLOGY || leaf == CPUID_EXT_TOPOLOGY_V2) {
            d = v->id;
        }
    }
    v->regs.rax = a;
    v->regs.rbx = b;
    v->regs.rcx = c;
    v->regs.rdx = d;
    vcpu_skip_insn(v, e);
    return ACT_CONTINUE;
}
