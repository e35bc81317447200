/*
 * Barriers between VMs sharing a pCPU (issue 13 item 10), where the CPU
 * offers them, when a vCPU of another VM than the last one comes on:
 * IBPB (branch predictions trained by one VM must not steer the next:
 * CPUID.7.EDX[26] on Intel, CPUID.80000008.EBX[12] on AMD), L1D flush (the
 * L1TF leak, CPUID.7.EDX[28]) and VERW, which clears the CPU buffers on
 * CPUs that say MD_CLEAR (CPUID.7.EDX[10]; MDS). The emulators offer none
 * of them (QEMU qemu64, Bochs' models), so there only the switches are
 * counted; the run record's virt_features lists those in use.
 */
#include "barrier.h"

#include "virt.h"
#include "vm.h"
#include "../core/layout.h"
#include "../core/percpu.h"
#include "../core/x86.h"

#define CPUID_EXT_ADDR          0x80000008u
#define CPUID_7_EDX_MD_CLEAR    (1u << 10)
#define CPUID_7_EDX_IBRS_IBPB   (1u << 26)
#define CPUID_7_EDX_L1D_FLUSH   (1u << 28)
#define CPUID_88_EBX_IBPB       (1u << 12)
#define MSR_PRED_CMD            0x00000049u
#define PRED_CMD_IBPB           1ull
#define MSR_FLUSH_CMD           0x0000010Bu
#define FLUSH_CMD_L1D           1ull

static int ibpb, l1d_flush, md_clear;
static const struct vm *last_vm[MAX_PCPUS];
static uint64_t switches[MAX_PCPUS];

void vm_barrier_probe(void)
{
    uint32_t max, ext, a, b, c, d;
    cpuid(CPUID_VENDOR, 0, &max, &b, &c, &d);
    cpuid(CPUID_EXT_MAX, 0, &ext, &b, &c, &d);
    if (max >= CPUID_STRUCT_EXT) {
        cpuid(CPUID_STRUCT_EXT, 0, &a, &b, &c, &d);
        ibpb = (d & CPUID_7_EDX_IBRS_IBPB) != 0;
        l1d_flush = (d & CPUID_7_EDX_L1D_FLUSH) != 0;
        md_clear = (d & CPUID_7_EDX_MD_CLEAR) != 0;
    }
    if (ext >= CPUID_EXT_ADDR) {
        cpuid(CPUID_EXT_ADDR, 0, &a, &b, &c, &d);
        ibpb |= (b & CPUID_88_EBX_IBPB) != 0;
    }
    if (ibpb)
        virt_feature_use("ibpb");
    if (l1d_flush)
        virt_feature_use("l1d_flush");
    if (md_clear)
        virt_feature_use("md_clear");
}

void vm_barrier_switch(struct percpu *cpu, struct vm *vm)
{
    if (cpu->index >= MAX_PCPUS || last_vm[cpu->index] == vm)
        return;
    int first = last_vm[cpu->index] == 0;
    last_vm[cpu->index] = vm;
    if (first)
        return;                 /* nothing of another VM to hide yet */
    switches[cpu->index]++;
    if (ibpb)
        wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
    if (l1d_flush)
        wrmsr(MSR_FLUSH_CMD, FLUSH_CMD_L1D);
    if (md_clear) {
        uint16_t ds;
        __asm__ volatile("mov %%ds, %0" : "=r"(ds));
        __asm__ volatile("verw %0" : : "m"(ds) : "cc");
    }
}

uint64_t vm_barrier_switches(unsigned pcpu)
{
    return pcpu < MAX_PCPUS ? switches[pcpu] : 0;
}
