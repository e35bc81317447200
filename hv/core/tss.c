/*
 * Per-pCPU GDT copies with a TSS descriptor. The four boot descriptors keep
 * their selectors, so CS/SS/DS stay valid across the LGDT. The TSS itself is
 * empty (no IST, no I/O bitmap): the host never changes privilege level.
 */
#include "tss.h"

#include "layout.h"
#include "percpu.h"
#include "pvstring.h"

#define BOOT_GDT_ENTRIES 4
#define GDT_ENTRIES      (BOOT_GDT_ENTRIES + 2)   /* a TSS descriptor takes two */
#define TSS_TYPE_AVAIL   0x89ull                  /* present, 64-bit TSS available */

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");
_Static_assert(SEL_TSS == BOOT_GDT_ENTRIES * 8, "TSS follows the boot descriptors");

struct cpu_gdt {
    uint64_t gdt[GDT_ENTRIES];
    struct tss64 tss;
    int installed;
};

static struct cpu_gdt gdts[MAX_PCPUS] __attribute__((aligned(16)));
extern const uint8_t boot_gdt_ptr[];   /* boot/entry32.asm: limit, base */

uint64_t tss_install(struct percpu *cpu)
{
    struct cpu_gdt *g = &gdts[cpu->index];
    uint64_t base = (uint64_t)(uintptr_t)&g->tss;

    if (g->installed)
        return base;
    uint64_t boot_base;
    memcpy(&boot_base, boot_gdt_ptr + 2, sizeof(boot_base));
    memcpy(g->gdt, (const void *)(uintptr_t)boot_base, BOOT_GDT_ENTRIES * 8);
    g->tss.iomap_base = sizeof(struct tss64);     /* no I/O bitmap */
    uint64_t limit = sizeof(struct tss64) - 1;
    g->gdt[BOOT_GDT_ENTRIES] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
                               (TSS_TYPE_AVAIL << 40) | (((limit >> 16) & 0xF) << 48) |
                               (((base >> 24) & 0xFF) << 56);
    g->gdt[BOOT_GDT_ENTRIES + 1] = base >> 32;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) ptr = { sizeof(g->gdt) - 1, (uint64_t)(uintptr_t)g->gdt };
    __asm__ volatile("lgdt %0" : : "m"(ptr) : "memory");
    __asm__ volatile("ltr %w0" : : "r"((uint16_t)SEL_TSS) : "memory");
    g->installed = 1;
    return base;
}
