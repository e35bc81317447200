/*
 * GDT contents. The accessed bits are preset so the CPU never needs to write
 * the table when a selector is loaded.
 */
#include "gdt.h"
#include "arch.h"
#include "cpu.h"

#define GDT_CODE64 0x00AF9B000000FFFFull /* P, DPL0, code r/x, L, G */
#define GDT_DATA   0x00CF93000000FFFFull /* P, DPL0, data r/w, D/B, G */

static const uint64_t guest_gdt[] __attribute__((aligned(16))) = {
    [0] = 0,
    [SEL_CODE64 / 8] = GDT_CODE64,
    [SEL_DATA / 8] = GDT_DATA,
};

/* The operand of LGDT; boot32.asm uses it in 32-bit mode, where it reads
   the limit and the low 4 bytes of the base (the table is below 4 GiB). */
struct __attribute__((packed)) gdt_ptr {
    uint16_t limit;
    uint64_t base;
};
const struct gdt_ptr guest_gdt_ptr = {
    .limit = sizeof(guest_gdt) - 1,
    .base = (uint64_t)(uintptr_t)guest_gdt,
};

void gdt_load(void)
{
    load_gdt(&guest_gdt_ptr, SEL_DATA);
}

uint64_t gdt_base(void) { return guest_gdt_ptr.base; }
uint16_t gdt_limit(void) { return guest_gdt_ptr.limit; }
