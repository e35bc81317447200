/*
 * task=fuzz, the first operations (issue 13 item 2, first cut): random
 * hypercalls with random arguments, MSR reads and writes, port I/O and
 * CPUID leaves. MSRs this kernel relies on (EFER, FS/GS bases, PAT, the
 * steal-time area) are only ever written with values that must be refused;
 * hypercalls that would end the VM, print junk or let the hypervisor write
 * into this kernel's memory get arguments that must be refused too.
 */
#include "fuzz.h"

#include "cpu.h"
#include "hypercall.h"
#include "pv_abi.h"
#include "rng.h"

#define COM1_FIRST PV_GUEST_COM1
#define COM1_LAST (PV_GUEST_COM1 + PV_GUEST_COM1_PORTS - 1)
#define PORT_DIAG 0x80              /* where COM1 writes go instead */
#define PORTS 0x10000
#define VEC_BELOW_EXTERNAL 31       /* SEND_IPI refuses vectors below 32 */
#define MISALIGN 8                  /* breaks LOCKINFO's and OPLOG's 64-byte rule */
#define MSR_EFER 0xC0000080u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_PAT 0x277u
#define EFER_RESERVED_BIT (1ull << 20)
#define NONCANONICAL (1ull << 63 | 1ull << 47)
#define CPUID_PV_LEAVES 0x20
#define CPUID_SUBLEAVES 0x10

/* MSRs worth trying beside random indices: the ones a hypervisor handles. */
static const uint32_t msrs[] = {
    MSR_EFER, 0xC0000081u, 0xC0000082u, 0xC0000083u, 0xC0000084u, MSR_FS_BASE,
    MSR_GS_BASE, MSR_KERNEL_GS_BASE, 0xC0000103u, MSR_PAT, 0x174u, 0x175u, 0x176u,
    0x1Bu, 0x10u, 0x3Au, 0x48u, 0x49u, 0x8Bu, 0xFEu, 0x2FFu, 0x480u, 0x48Du,
    0x1D9u, 0xDA0u, 0x6E0u, 0xC0010114u, 0xC0010117u, 0xC0000104u,
    PV_MSR_STEAL_TIME, 0x4b564d00u, 0x4b564d01u, 0x4b564d02u, 0x4b564d04u, 0x40000000u,
};
#define NMSRS (sizeof(msrs) / sizeof(msrs[0]))

static const uint64_t hypercalls[] = {
    PV_HC_KICK_CPU, PV_HC_SEND_IPI, PV_HC_SCHED_YIELD, PV_HC_VCPU_START, PV_HC_REPORT,
    PV_HC_LOCKINFO, PV_HC_OPLOG, PV_HC_FLUSH_TLB, 0, 1, 9, 12, PV_HC_BASE, PV_HC_BASE + 8,
    PV_HC_BASE + 0xFFFF, ~0ull,
};
#define NHCS (sizeof(hypercalls) / sizeof(hypercalls[0]))

void fuzz_hypercall(uint64_t *rng, struct fuzz_op *op)
{
    uint64_t nr = pv_rng_below(rng, 4) ? hypercalls[pv_rng_below(rng, NHCS)] : pv_rng_next(rng);
    uint64_t a0 = fuzz_value(rng), a1 = fuzz_value(rng), a2 = fuzz_value(rng);
    uint64_t a3 = fuzz_value(rng);

    if (nr == PV_HC_SEND_IPI)               /* vectors below 32: always refused */
        a3 = pv_rng_below(rng, VEC_BELOW_EXTERNAL + 1);
    if (nr == PV_HC_VM_DONE || nr == PV_HC_CONSOLE_WRITE)
        nr = PV_HC_BASE + 0x100;            /* would end the VM / print junk */
    if (nr == PV_HC_LOCKINFO || nr == PV_HC_OPLOG)
        a0 |= MISALIGN;                     /* never aim the hypervisor at our memory */
    op->a = nr;
    op->b = a0;
    fuzz_note(op);
    op->r = hypercall4(nr, a0, a1, a2, a3);
}

static uint32_t msr_index(uint64_t *rng)
{
    return pv_rng_below(rng, 2) ? msrs[pv_rng_below(rng, NMSRS)] : (uint32_t)pv_rng_next(rng);
}

static int kernel_msr(uint32_t msr)
{
    return msr == MSR_EFER || msr == MSR_FS_BASE || msr == MSR_GS_BASE ||
           msr == MSR_KERNEL_GS_BASE || msr == MSR_PAT || msr == PV_MSR_STEAL_TIME;
}

void fuzz_rdmsr(uint64_t *rng, struct fuzz_op *op)
{
    uint32_t lo = 0, hi = 0;
    op->a = msr_index(rng);
    fuzz_note(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "rdmsr\n9:" : "+a"(lo), "+d"(hi) : "c"((uint32_t)op->a)
                     : "r11", "memory");
    fuzz_caught(op);
    op->r = (long)((uint64_t)hi << 32 | lo);
}

void fuzz_wrmsr(uint64_t *rng, struct fuzz_op *op)
{
    op->a = msr_index(rng);
    op->b = fuzz_value(rng);
    if (kernel_msr((uint32_t)op->a))        /* only values that must be refused */
        op->b = op->a == MSR_EFER ? EFER_RESERVED_BIT : NONCANONICAL;
    fuzz_note(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "wrmsr\n9:"
                     : : "c"((uint32_t)op->a), "a"((uint32_t)op->b), "d"((uint32_t)(op->b >> 32))
                     : "r11", "memory");
    fuzz_caught(op);
}

static uint16_t port(uint64_t *rng)
{
    uint64_t p = pv_rng_below(rng, PORTS);
    return (uint16_t)(p >= COM1_FIRST && p <= COM1_LAST ? PORT_DIAG : p); /* readable console */
}

void fuzz_in(uint64_t *rng, struct fuzz_op *op)
{
    uint16_t p = port(rng);
    unsigned size = (unsigned)pv_rng_below(rng, 3);
    uint32_t v = 0;
    op->a = p;
    op->b = 1u << size;
    fuzz_note(op);
    fuzz_arm();
    if (size == 0)
        __asm__ volatile(FUZZ_CATCH "inb %%dx, %%al\n9:" : "+a"(v) : "d"(p) : "r11", "memory");
    else if (size == 1)
        __asm__ volatile(FUZZ_CATCH "inw %%dx, %%ax\n9:" : "+a"(v) : "d"(p) : "r11", "memory");
    else
        __asm__ volatile(FUZZ_CATCH "inl %%dx, %%eax\n9:" : "+a"(v) : "d"(p) : "r11", "memory");
    fuzz_caught(op);
    op->r = v;
}

void fuzz_out(uint64_t *rng, struct fuzz_op *op)
{
    uint16_t p = port(rng);
    unsigned size = (unsigned)pv_rng_below(rng, 3);
    uint32_t v = (uint32_t)pv_rng_next(rng);
    op->a = p;
    op->b = v;
    fuzz_note(op);
    fuzz_arm();
    if (size == 0)
        __asm__ volatile(FUZZ_CATCH "outb %%al, %%dx\n9:" : : "a"(v), "d"(p) : "r11", "memory");
    else if (size == 1)
        __asm__ volatile(FUZZ_CATCH "outw %%ax, %%dx\n9:" : : "a"(v), "d"(p) : "r11", "memory");
    else
        __asm__ volatile(FUZZ_CATCH "outl %%eax, %%dx\n9:" : : "a"(v), "d"(p) : "r11", "memory");
    fuzz_caught(op);
}

void fuzz_cpuid(uint64_t *rng, struct fuzz_op *op)
{
    uint32_t a, b, c, d;
    switch (pv_rng_below(rng, 3)) {
    case 0: op->a = PV_CPUID_SIGNATURE + pv_rng_below(rng, CPUID_PV_LEAVES); break;
    case 1: op->a = pv_rng_below(rng, CPUID_PV_LEAVES); break;
    default: op->a = (uint32_t)pv_rng_next(rng); break;
    }
    op->b = pv_rng_below(rng, 2) ? pv_rng_below(rng, CPUID_SUBLEAVES) : (uint32_t)pv_rng_next(rng);
    fuzz_note(op);
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
                     : "a"((uint32_t)op->a), "c"((uint32_t)op->b));
    op->r = a;
}
