/*
 * task=fuzz: accesses the guest's own page tables send where no RAM is.
 * fuzz_mem stays recoverable: a non-canonical address (#GP), a page that is
 * not present (#PF), and a 2 MiB PD entry with reserved bits set, above the
 * CPU's physical-address width or in bits 20:13 (#PF with RSVD). fuzz_fatal
 * (fuzz_extra=fatal) reaches guest-physical addresses outside the VM's RAM,
 * which pvhv answers by killing the VM ("accessed GPA ... outside its
 * memory"), and tries string port I/O, which it kills the VM for too.
 */
#include "fuzz.h"

#include "arch.h"
#include "cpu.h"
#include "paging.h"
#include "rng.h"

#define NONCANONICAL_BASE (1ull << 63 | 1ull << 47)
#define PDE_2M_RESERVED_SHIFT 13    /* bits 20:13 of a 2 MiB PDE must be 0 */
#define PDE_2M_RESERVED_BITS 8
#define PHYS_TOP_BIT 51
#define FOUR_GIB (1ull << 32)
#define LAPIC_PAGE 0xFEE00000ull
#define LAPIC_2M_BASE (LAPIC_PAGE & ~(PAGE_2M - 1))
#define PORTS 0x10000
#define STRING_IO_MAX 3

static void access(struct fuzz_op *op, uintptr_t va, int write)
{
    uint64_t v = 0;
    fuzz_arm();
    if (write)
        __asm__ volatile(FUZZ_CATCH "movq %1, (%0)\n9:" : : "r"(va), "r"(v) : "r11", "memory");
    else
        __asm__ volatile(FUZZ_CATCH "movq (%1), %0\n9:" : "+r"(v) : "r"(va) : "r11", "memory");
    fuzz_caught(op);
    op->r = (long)v;
}

void fuzz_mem(uint64_t *rng, struct fuzz_op *op)
{
    int write = (int)pv_rng_below(rng, 2);
    uintptr_t va;
    uint64_t pde;

    switch (pv_rng_below(rng, 4)) {
    case 0:
        op->name = "mem-noncanonical";
        va = NONCANONICAL_BASE | (pv_rng_next(rng) & ~7ull);
        break;
    case 1:
        op->name = "mem-notpresent";
        pde = 0;
        va = paging_fuzz_map(pde) + (pv_rng_below(rng, PAGE_2M) & ~7ull);
        break;
    case 2:
        if (fuzz_env.maxphy <= PHYS_TOP_BIT) {
            op->name = "mem-rsvd-pa";
            pde = 1ull << (fuzz_env.maxphy +
                           pv_rng_below(rng, PHYS_TOP_BIT + 1 - fuzz_env.maxphy));
            pde |= PTE_P | PTE_RW | PTE_PS;
            va = paging_fuzz_map(pde) + (pv_rng_below(rng, PAGE_2M) & ~7ull);
            break;
        }
        /* no address bits are reserved: a reserved PDE bit instead */
        __attribute__((fallthrough));
    default:
        op->name = "mem-rsvd-pde";
        pde = 1ull << (PDE_2M_RESERVED_SHIFT + pv_rng_below(rng, PDE_2M_RESERVED_BITS));
        pde |= PTE_P | PTE_RW | PTE_PS;
        va = paging_fuzz_map(pde) + (pv_rng_below(rng, PAGE_2M) & ~7ull);
        break;
    }
    op->a = va;
    op->b = write;
    fuzz_note(op);
    access(op, va, write);
}

void fuzz_fatal(uint64_t *rng, struct fuzz_op *op)
{
    uint64_t pa, top = 1ull << (fuzz_env.maxphy < PHYS_TOP_BIT ? fuzz_env.maxphy : PHYS_TOP_BIT);
    uint16_t port = (uint16_t)pv_rng_below(rng, PORTS);
    unsigned count = 1 + (unsigned)pv_rng_below(rng, STRING_IO_MAX);

    switch (pv_rng_below(rng, 4)) {
    case 0:
        op->name = "fatal-hole";            /* the first 2 MiB above RAM */
        pa = (fuzz_env.mem + PAGE_2M - 1) & ~(PAGE_2M - 1);
        break;
    case 1:
        op->name = "fatal-high";
        pa = (FOUR_GIB + pv_rng_below(rng, top - FOUR_GIB)) & ~(PAGE_2M - 1);
        break;
    case 2:
        op->name = "fatal-lapic";
        pa = LAPIC_2M_BASE;
        break;
    default:
        op->name = "fatal-outsb";
        op->a = port;
        op->b = count;
        fuzz_note(op);
        fuzz_arm();
        __asm__ volatile(FUZZ_CATCH "rep outsb\n9:" : "+c"(count) : "d"(port), "S"(op->name)
                         : "r11", "memory");
        fuzz_caught(op);
        return;
    }
    uintptr_t va = paging_fuzz_map(pa | PTE_P | PTE_RW | PTE_PS) + (LAPIC_PAGE & (PAGE_2M - 1));
    op->a = pa;
    op->b = 0;
    fuzz_note(op);
    access(op, va, 0);
}
