/*
 * Host-side x86 architecture names the guest does not share (more MSRs and
 * CR bits, CPUID bits, the ports the hypervisor drives, CR0/CR4 access);
 * the shared ones are libpv/pv_x86.h. Backend-specific numbers live in
 * svm/svm_arch.h and vmx/vmx_arch.h.
 */
#ifndef HV_X86_H
#define HV_X86_H

#include <stdint.h>

#include "pv_x86.h"   /* what the guest shares: CR/EFER/MSR names, instructions */

#define MSR_FS_BASE         0xC0000100u
#define MSR_GS_BASE         0xC0000101u
#define MSR_KERNEL_GS_BASE  0xC0000102u
#define MSR_TSC             0x00000010u
#define MSR_PAT             0x00000277u
#define MSR_MISC_ENABLE     0x000001A0u
#define MSR_MTRRCAP         0x000000FEu
#define MSR_SYSENTER_CS     0x00000174u
#define MSR_SYSENTER_ESP    0x00000175u
#define MSR_SYSENTER_EIP    0x00000176u

#define EFER_SVME           (1ull << 12)

#define CR4_OSFXSR          (1ull << 9)
#define CR4_OSXMMEXCPT      (1ull << 10)
#define CR4_VMXE            (1ull << 13)
#define CR4_OSXSAVE         (1ull << 18)

/* Exception vectors pvhv intercepts to reflect them (issue 13 item 10:
   a #DB or #AC raised while delivering itself loops inside the CPU with no
   way out for the host, CVE-2015-8104 and CVE-2015-5307). */
#define X86_EXC_DB          1
#define X86_EXC_AC          17
#define X86_EXC_REFLECTED   ((1u << X86_EXC_DB) | (1u << X86_EXC_AC))
/* DR6 as #DB leaves it (SDM 17.2.3): B0-B3 say which breakpoint hit; the
   active-low bits (RTM, bus lock) read 1 when not the cause. */
#define DR6_TRAP_BITS       0xFull
#define DR6_FIXED_1         0xFFFF0FF0ull
#define DR6_ACTIVE_LOW      ((1ull << 11) | (1ull << 16))
#define DR6_BS              (1ull << 14)   /* single-step trap */
#define DR7_GD              (1ull << 13)   /* general detect: cleared by #DB delivery */

/* DR6 as a #DB delivery leaves it: B0-B3 replaced by this cause's, the
   cause bits set (the active-low ones, BLD and RTM, cleared). */
static inline uint64_t dr6_after_db(uint64_t dr6, uint64_t cause)
{
    return ((dr6 & ~DR6_TRAP_BITS) | DR6_FIXED_1 | cause) ^ (cause & DR6_ACTIVE_LOW);
}

#define PAGE_SHIFT          12

/* CPUID leaves and bits the hypervisor looks at. */
#define CPUID_VENDOR            0x00000000u
#define CPUID_FEATURES          0x00000001u
#define CPUID_STRUCT_EXT        0x00000007u
#define CPUID_EXT_MAX           0x80000000u
#define CPUID_EXT_FEATURES      0x80000001u
#define CPUID_BRAND_FIRST       0x80000002u
#define CPUID_SVM_FEATURES      0x8000000Au
#define CPUID_HV_SIGNATURE      0x40000000u   /* set by a hypervisor: EBX, ECX, EDX name it */
#define CPUID_1_ECX_VMX         (1u << 5)
#define CPUID_1_ECX_X2APIC      (1u << 21)
#define CPUID_1_ECX_HYPERVISOR  (1u << 31)
#define CPUID_1_ECX_MONITOR     (1u << 3)
#define CPUID_1_ECX_OSXSAVE     (1u << 27)
#define CPUID_81_ECX_SVM        (1u << 2)

/* Legacy I/O ports the hypervisor itself drives. */
#define PORT_PIT_CH2        0x42
#define PORT_PIT_CMD        0x43
#define PORT_PIT_GATE       0x61
#define PORT_DEBUG_EXIT     0xF4   /* QEMU isa-debug-exit */
#define PORT_BOCHS_SHUTDOWN 0x8900 /* Bochs: write "Shutdown" */

static inline void write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uint64_t read_dr6(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}

static inline void write_dr6(uint64_t v) { __asm__ volatile("mov %0, %%dr6" : : "r"(v)); }

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

#endif
