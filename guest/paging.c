/*
 * The page tables themselves live here (boot32.asm fills them); C only reads
 * them, and maps one extra page for the crash=npf task.
 */
#include "paging.h"
#include "arch.h"
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
