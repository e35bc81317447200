/*
 * Thin inline wrappers for the privileged instructions only the guest
 * uses, so C code never carries raw inline assembly; the ones the
 * hypervisor uses too are libpv/pv_x86.h.
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>
#include "arch.h"
#include "pv_x86.h"   /* shared with the hypervisor */

static inline unsigned long irq_save_flags(void)
{
    unsigned long flags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
    return flags;
}

static inline void irq_restore_flags(unsigned long flags)
{
    __asm__ volatile("pushq %0; popfq" : : "r"(flags) : "memory", "cc");
}

/* Sleep with interrupts off: only a pv kick (or an NMI) ends it. */
static inline void halt_irqs_off(void) { __asm__ volatile("hlt" ::: "memory"); }

/* Reloading CR3 flushes every non-global translation of this vCPU. */
static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/* Loads a GDT (operand: limit + base) and points DS/ES/SS at data_sel;
   CS keeps its selector, which must mean the same in the new table. */
static inline void load_gdt(const void *ptr, uint16_t data_sel)
{
    __asm__ volatile("lgdt (%0)\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss"
                     : : "r"(ptr), "r"((uint32_t)data_sel) : "memory");
}

static inline void invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* (a * b) / d without overflowing the 64-bit product; the caller must make
   sure the quotient fits (checked: returns UINT64_MAX when it would not). */
static inline uint64_t muldiv64(uint64_t a, uint64_t b, uint64_t d)
{
    uint64_t hi, lo, q, r;
    __asm__("mulq %3" : "=a"(lo), "=d"(hi) : "a"(a), "rm"(b));
    if (d == 0 || hi >= d)
        return UINT64_MAX;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    (void)r;
    return q;
}

#endif
