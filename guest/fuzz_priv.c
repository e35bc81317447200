/*
 * task=fuzz: control, debug and extended control registers, and HLT with
 * interrupts off. Every write is followed, in the same asm block, by the
 * write of the value the kernel runs with, and a fault on the first one
 * resumes at that restoring write: the kernel never runs on with a value
 * it did not choose. Interrupts stay off for the pair.
 */
#include "fuzz.h"

#include "arch.h"
#include "cpu.h"
#include "hypercall.h"
#include "rng.h"

#define CR0_BITS 32
#define CR4_BITS 32
#define CR4_OSXSAVE (1ull << 18)
#define CR3_PWT_PCD 0x18ull
#define CR3_NO_FLUSH (1ull << 63)
#define PHYS_TOP_BIT 51
#define CR8_MAX 15
#define DR_COUNT 8
#define DR6_INIT 0xFFFF0FF0ull
#define DR7_INIT 0x400ull
#define XCR_MAX_INDEX 2
#define XCR0_X87 1ull
#define XCR0_VALUES 8
#define HIGH_HALF 32

/* CR3 writes QEMU 7.2 TCG's SVM gets wrong are left out on AMD unless
   fuzz_extra=tcgcr (the AMD platform here is QEMU TCG). CR0 and CR4 need
   no such care: pvhv's SVM backend intercepts and checks those writes
   (hv/svm/svm_cr.c), so they are fuzzed in full on both backends. */
static int tcg_bugs(void)
{
    return fuzz_env.amd && !(fuzz_env.extra & FUZZ_EXTRA_TCGCR);
}

/* One to three random bits flipped, or a reserved bit in the high half. */
static uint64_t flip(uint64_t *rng, uint64_t cur, unsigned low_bits)
{
    if (!pv_rng_below(rng, 4))
        return cur | 1ull << (HIGH_HALF + pv_rng_below(rng, HIGH_HALF));
    uint64_t v = cur;
    for (unsigned i = 0, n = 1 + (unsigned)pv_rng_below(rng, 3); i < n; i++)
        v ^= 1ull << pv_rng_below(rng, low_bits);
    return v;
}

void fuzz_cr0(uint64_t *rng, struct fuzz_op *op)
{
    uint64_t cur = read_cr0();
    unsigned long flags = irq_save_flags();
    int lmsw = !pv_rng_below(rng, 4);

    op->a = lmsw ? pv_rng_below(rng, 0x10000) : flip(rng, cur, CR0_BITS);
    op->b = lmsw;
    fuzz_note(op);
    fuzz_arm();
    if (lmsw)                               /* LMSW: CR0 bits 3:0, PE never cleared */
        __asm__ volatile(FUZZ_CATCH "lmsw %w0\n9:\tmov %1, %%cr0"
                         : : "r"(op->a), "r"(cur) : "r11", "memory");
    else
        __asm__ volatile(FUZZ_CATCH "mov %0, %%cr0\n9:\tmov %1, %%cr0"
                         : : "r"(op->a), "r"(cur) : "r11", "memory");
    fuzz_caught(op);
    irq_restore_flags(flags);
    op->r = (long)read_cr0();
}

void fuzz_cr3(uint64_t *rng, struct fuzz_op *op)
{
    uint64_t cur = read_cr3();
    unsigned long flags = irq_save_flags();

    /* QEMU TCG's SVM answers CR3 bits at or above MAXPHYADDR with
       VMEXIT_INVALID, not #GP (the emulator's bug): AMD only on request. */
    unsigned kinds = tcg_bugs() ? 2 : 4;
    switch (pv_rng_below(rng, kinds)) {
    case 0: op->a = cur; break;
    case 1: op->a = cur | CR3_PWT_PCD; break;
    case 2: op->a = cur | CR3_NO_FLUSH; break;
    default:                                /* a bit at or above MAXPHYADDR */
        if (fuzz_env.maxphy > PHYS_TOP_BIT) {
            op->a = cur | CR3_NO_FLUSH;
            break;
        }
        op->a = cur | 1ull << (fuzz_env.maxphy +
                               pv_rng_below(rng, PHYS_TOP_BIT + 1 - fuzz_env.maxphy));
        break;
    }
    fuzz_note(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "mov %0, %%cr3\n9:\tmov %1, %%cr3"
                     : : "r"(op->a), "r"(cur) : "r11", "memory");
    fuzz_caught(op);
    irq_restore_flags(flags);
}

void fuzz_cr4(uint64_t *rng, struct fuzz_op *op)
{
    uint64_t cur = read_cr4();
    unsigned long flags = irq_save_flags();

    op->a = flip(rng, cur, CR4_BITS);
    fuzz_note(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "mov %0, %%cr4\n9:\tmov %1, %%cr4"
                     : : "r"(op->a), "r"(cur) : "r11", "memory");
    fuzz_caught(op);
    irq_restore_flags(flags);
}

void fuzz_cr8(uint64_t *rng, struct fuzz_op *op)
{
    uint64_t seen = 0;
    unsigned long flags = irq_save_flags();

    op->a = pv_rng_below(rng, 4) ? pv_rng_below(rng, CR8_MAX + 1) : fuzz_value(rng);
    fuzz_note(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "mov %1, %%cr8\n\tmov %%cr8, %0\n9:\tmov %2, %%cr8"
                     : "+r"(seen) : "r"(op->a), "r"(0ull) : "r11", "memory");
    fuzz_caught(op);
    irq_restore_flags(flags);
    op->r = (long)seen;
}

/* MOV to DRn needs n as an immediate: one asm block per register. The
   restoring value is what the kernel runs with (DR7 also leaves GD clear,
   which the #DB a GD write raises clears anyway, so the retry succeeds). */
#define DR_WRITE(n, safe) \
    __asm__ volatile(FUZZ_CATCH "mov %0, %%dr" #n "\n9:\tmov %1, %%dr" #n \
                     : : "r"(v), "r"(safe) : "r11", "memory")
#define DR_READ(n) \
    __asm__ volatile(FUZZ_CATCH "mov %%dr" #n ", %0\n9:" : "+r"(seen) : : "r11", "memory")

void fuzz_dr(uint64_t *rng, struct fuzz_op *op)
{
    unsigned n = (unsigned)pv_rng_below(rng, DR_COUNT);
    int write = (int)pv_rng_below(rng, 2);
    uint64_t v = fuzz_value(rng), seen = 0;
    unsigned long flags = irq_save_flags();

    op->name = write ? "dr-write" : "dr-read";
    op->a = n;
    op->b = write ? v : 0;
    fuzz_note(op);
    fuzz_arm();
    if (write) {
        switch (n) {
        case 0: DR_WRITE(0, 0ull); break;
        case 1: DR_WRITE(1, 0ull); break;
        case 2: DR_WRITE(2, 0ull); break;
        case 3: DR_WRITE(3, 0ull); break;
        case 4: DR_WRITE(4, DR6_INIT); break;   /* DR6 unless CR4.DE (then #UD) */
        case 5: DR_WRITE(5, DR7_INIT); break;
        case 6: DR_WRITE(6, DR6_INIT); break;
        default: DR_WRITE(7, DR7_INIT); break;
        }
    } else {
        switch (n) {
        case 0: DR_READ(0); break;
        case 1: DR_READ(1); break;
        case 2: DR_READ(2); break;
        case 3: DR_READ(3); break;
        case 4: DR_READ(4); break;
        case 5: DR_READ(5); break;
        case 6: DR_READ(6); break;
        default: DR_READ(7); break;
        }
    }
    fuzz_caught(op);
    irq_restore_flags(flags);
    op->r = (long)seen;
}

/* XSETBV needs CR4.OSXSAVE: set it for the attempt where XSAVE exists. */
void fuzz_xsetbv(uint64_t *rng, struct fuzz_op *op)
{
    static const uint64_t xcr0s[XCR0_VALUES] = { 0, 1, 2, 3, 7, 0xE7, 0x2FF, ~0ull };
    uint64_t cur = read_cr4();
    uint64_t with = fuzz_env.xsave ? cur | CR4_OSXSAVE : cur;
    unsigned long flags = irq_save_flags();
    uint32_t lo, hi;

    op->a = pv_rng_below(rng, 4) ? pv_rng_below(rng, XCR_MAX_INDEX) : (uint32_t)pv_rng_next(rng);
    op->b = pv_rng_below(rng, 2) ? xcr0s[pv_rng_below(rng, XCR0_VALUES)] : fuzz_value(rng);
    fuzz_note(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "mov %0, %%cr4\n9:" : : "r"(with) : "r11", "memory");
    fuzz_caught(op);
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "xsetbv\n9:"
                     : : "c"((uint32_t)op->a), "a"((uint32_t)op->b), "d"((uint32_t)(op->b >> 32))
                     : "r11", "memory");
    fuzz_caught(op);
    lo = hi = 0;
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "xgetbv\n9:" : "+a"(lo), "+d"(hi) : "c"(0) : "r11", "memory");
    fuzz_caught(op);
    /* If the write took, put x87-only back before OSXSAVE goes. */
    fuzz_arm();
    __asm__ volatile(FUZZ_CATCH "xsetbv\n9:" : : "c"(0), "a"((uint32_t)XCR0_X87), "d"(0)
                     : "r11", "memory");
    (void)idt_catch_disarm();
    __asm__ volatile("mov %0, %%cr4" : : "r"(cur) : "memory");
    irq_restore_flags(flags);
    op->r = (long)((uint64_t)hi << 32 | lo);
}

/* HLT with IF=0 (and across STI), bounded: a kick to itself first, which
   the hypervisor latches so the HLT returns at once. */
void fuzz_hlt(uint64_t *rng, struct fuzz_op *op)
{
    unsigned long flags = irq_save_flags();
    op->a = pv_rng_below(rng, 2);
    fuzz_note(op);
    op->r = hc_kick_cpu(0);
    if (op->r == 0) {
        if (op->a)
            safe_halt();
        else
            halt_irqs_off();
    }
    irq_restore_flags(flags);
}
