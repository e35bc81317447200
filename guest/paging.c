/*
 * The page tables themselves live here (boot32.asm fills them); C only reads
 * them, and maps one extra page for the crash=npf task. A native boot adds
 * firmware tables and the local APIC (paging.h).
 */
#include "paging.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"

uint64_t boot_pml4[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
uint64_t boot_pdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
uint64_t boot_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
uint32_t boot_pd_entries; /* written by boot32.asm */

uint64_t paging_cr3(void)
{
    return (uint64_t)(uintptr_t)boot_pml4;
}

uint64_t paging_mapped_bytes(void)
{
    return (uint64_t)boot_pd_entries * PAGE_2M;
}

static uint64_t beyond(uint64_t mem_bytes)
{
    return (mem_bytes + PAGE_2M - 1) & ~(PAGE_2M - 1);
}

int paging_map_beyond_possible(uint64_t mem_bytes)
{
    return beyond(mem_bytes) / PAGE_2M < PT_ENTRIES;
}

uintptr_t paging_map_beyond(uint64_t mem_bytes)
{
    uint64_t pa = beyond(mem_bytes);
    uint64_t idx = pa / PAGE_2M;

    if (idx >= PT_ENTRIES)
        return 0;
    boot_pd[idx] = pa | PTE_P | PTE_RW | PTE_PS;
    invlpg((uintptr_t)pa);
    return (uintptr_t)pa;
}

#define PDPT_SLOT_BYTES (1ull << 30)
#define HIGH_FIRST_SLOT 2           /* slot 1 is the vmm.c window */
#define PDPT_SLOTS_BELOW_4G 4

/* Identity page directories for [2 GiB, 4 GiB), filled on demand: firmware
   tables (cached) and device registers (uncached). */
static uint64_t high_pd[PDPT_SLOTS_BELOW_4G - HIGH_FIRST_SLOT][PT_ENTRIES]
    __attribute__((aligned(PAGE_SIZE)));

/* Maps the 2 MiB page at page (2 MiB aligned) with extra PTE bits; 0 on
   success, -1 if no identity slot can hold it. */
static int map_2m(uint64_t page, uint64_t bits)
{
    unsigned slot = (unsigned)(page / PDPT_SLOT_BYTES);
    uint64_t *e;

    if (slot == 0) {
        e = &boot_pd[page / PAGE_2M];
    } else if (slot >= HIGH_FIRST_SLOT && slot < PDPT_SLOTS_BELOW_4G) {
        uint64_t *pd = high_pd[slot - HIGH_FIRST_SLOT];
        e = &pd[(page % PDPT_SLOT_BYTES) / PAGE_2M];
        __atomic_store_n(&boot_pdpt[slot], (uintptr_t)pd | PTE_P | PTE_RW,
                         __ATOMIC_RELEASE);
    } else {
        return -1;
    }
    if (!(*e & PTE_P) || (*e & (PTE_PCD | PTE_PWT)) != bits) {
        *e = page | PTE_P | PTE_RW | PTE_PS | bits;
        invlpg((uintptr_t)page);
    }
    return 0;
}

const void *paging_identity(uint64_t pa, uint64_t len)
{
    uint64_t limit = PDPT_SLOTS_BELOW_4G * PDPT_SLOT_BYTES;

    if (pa >= limit || len > limit - pa)
        return 0;
    for (uint64_t p = pa & ~(PAGE_2M - 1); p < pa + len; p += PAGE_2M)
        if (map_2m(p, 0) != 0)
            return 0;
    return (const void *)(uintptr_t)pa;
}

volatile void *paging_map_mmio(uint64_t pa)
{
    uint64_t page = pa & ~(PAGE_2M - 1);
    unsigned slot = (unsigned)(pa / PDPT_SLOT_BYTES);

    if (slot < HIGH_FIRST_SLOT || map_2m(page, PTE_PCD | PTE_PWT) != 0) {
        kprintf("guest: device registers at 0x%lx: only [2 GiB, 4 GiB) can "
                "be mapped\n", pa);
        return 0;
    }
    return (volatile void *)(uintptr_t)pa;
}

int paging_user_access(uintptr_t va, int on)
{
    if (va >= GUEST_MAP_LIMIT)
        return -1;
    /* A user access needs US at every level; the upper two entries keep it
       (it means nothing while the leaves lack it). */
    __atomic_fetch_or(&boot_pml4[0], PTE_US, __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&boot_pdpt[0], PTE_US, __ATOMIC_SEQ_CST);
    if (on)
        __atomic_fetch_or(&boot_pd[va / PAGE_2M], PTE_US, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&boot_pd[va / PAGE_2M], ~PTE_US, __ATOMIC_SEQ_CST);
    write_cr3(read_cr3());      /* drop cached walks that lack US */
    return 0;
}

#define FUZZ_PDPT_SLOT 8            /* VA 8 GiB: nothing else lives there */
static uint64_t fuzz_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

uintptr_t paging_fuzz_map(uint64_t pde)
{
    uintptr_t va = (uintptr_t)FUZZ_PDPT_SLOT * PDPT_SLOT_BYTES;
    __atomic_store_n(&boot_pdpt[FUZZ_PDPT_SLOT], (uintptr_t)fuzz_pd | PTE_P | PTE_RW,
                     __ATOMIC_RELEASE);
    fuzz_pd[0] = pde;
    invlpg(va);
    return va;
}
