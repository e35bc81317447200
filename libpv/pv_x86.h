/*
 * The x86 names and instruction wrappers the hypervisor and the guest
 * kernel both use, written once: control-register, EFER, RFLAGS and MSR
 * numbers from the SDM, the xAPIC register block, and the privileged
 * instructions as inline functions so C code carries no raw assembly.
 * What only one side needs stays in hv/core/x86.h or guest/arch.h.
 * Freestanding; the hosted unit tests may include it but not run it.
 */
#ifndef PV_X86_H
#define PV_X86_H

#include <stdint.h>

/* Control registers. */
#define CR0_PE              (1ull << 0)
#define CR0_MP              (1ull << 1)
#define CR0_ET              (1ull << 4)
#define CR0_NE              (1ull << 5)
#define CR0_WP              (1ull << 16)
#define CR0_PG              (1ull << 31)
#define CR4_PAE             (1ull << 5)

/* MSRs and EFER bits. */
#define MSR_APIC_BASE       0x0000001Bu
#define MSR_EFER            0xC0000080u
#define MSR_STAR            0xC0000081u
#define MSR_LSTAR           0xC0000082u
#define MSR_CSTAR           0xC0000083u
#define MSR_SFMASK          0xC0000084u
#define EFER_SCE            (1ull << 0)
#define EFER_LME            (1ull << 8)
#define EFER_LMA            (1ull << 10)
#define EFER_NXE            (1ull << 11)
#define APIC_BASE_ENABLE    (1ull << 11)
#define APIC_BASE_ADDR_MASK 0xFFFFFF000ull

#define RFLAGS_RESERVED1    (1ull << 1)
#define RFLAGS_TF           (1ull << 8)
#define RFLAGS_IF           (1ull << 9)

#define PAGE_SIZE           4096ull
#define PAGE_2M             (2ull << 20)

/* xAPIC registers, as byte offsets in its 4 KiB MMIO page, and their bits. */
#define APIC_REG_ID         0x020
#define APIC_REG_TPR        0x080
#define APIC_REG_EOI        0x0B0
#define APIC_REG_SVR        0x0F0
#define APIC_REG_ICR_LO     0x300
#define APIC_REG_ICR_HI     0x310
#define APIC_REG_LVT_TIMER  0x320
#define APIC_REG_LVT_ERROR  0x370
#define APIC_ID_SHIFT       24
#define APIC_SVR_ENABLE     (1u << 8)
#define APIC_LVT_MASKED     (1u << 16)
#define APIC_ICR_FIXED      0x00000u
#define APIC_ICR_INIT       0x00500u
#define APIC_ICR_STARTUP    0x00600u
#define APIC_ICR_PENDING    (1u << 12)
#define APIC_ICR_ASSERT     (1u << 14)
#define APIC_ICR_LEVEL      (1u << 15)
#define APIC_ICR_DEST_SHIFT 24

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* CPUID leaf `leaf`, sub-leaf `sub` (ECX; 0 where the leaf has none). */
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
                         uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid"
                     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
                     : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
                     "d"((uint32_t)(v >> 32)) : "memory");
}

/* read_cr0 .. read_cr4: the control registers (CR1 does not exist). */
#define PV_READ_CR(n)                                                   \
    static inline uint64_t read_cr##n(void)                             \
    {                                                                   \
        uint64_t v;                                                     \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));               \
        return v;                                                       \
    }
PV_READ_CR(0)
PV_READ_CR(2)
PV_READ_CR(3)
PV_READ_CR(4)
#undef PV_READ_CR

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }

/* Enable interrupts and sleep; STI's one-instruction shadow makes the pair
   atomic, so an interrupt pending at the STI wakes the HLT, never misses it. */
static inline void safe_halt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

#endif
