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
#define MMIO_FIRST_SLOT 2           /* slot 1 is the vmm.c window */
#define PDPT_SLOTS_BELOW_4G 4

static uint64_t mmio_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static unsigned mmio_slot;          /* the PDPT slot mmio_pd serves, 0: none */

const void *paging_identity(uint64_t pa, uint64_t len)
{
    if (pa >= GUEST_MAP_LIMIT || len > GUEST_MAP_LIMIT - pa)
        return 0;
    for (uint64_t p = pa & ~(PAGE_2M - 1); p < pa + len; p += PAGE_2M) {
        uint64_t *e = &boot_pd[p / PAGE_2M];
        if (!(*e & PTE_P)) {
            *e = p | PTE_P | PTE_RW | PTE_PS;
            invlpg((uintptr_t)p);
        }
    }
    return (const void *)(uintptr_t)pa;
}

volatile void *paging_map_mmio(uint64_t pa)
{
    unsigned slot = (unsigned)(pa / PDPT_SLOT_BYTES);
    uint64_t page = pa & ~(PAGE_2M - 1);

    if (slot < MMIO_FIRST_SLOT || slot >= PDPT_SLOTS_BELOW_4G) {
        kprintf("guest: device registers at 0x%lx: only [2 GiB, 4 GiB) can "
                "be mapped\n", pa);
        return 0;
    }
    if (mmio_slot && mmio_slot != slot) {
        kprintf("guest: device registers at 0x%lx: a second 1 GiB region "
                "(slot %u already in use)\n", pa, mmio_slot);
        return 0;
    }
    mmio_slot = slot;
    mmio_pd[(page % PDPT_SLOT_BYTES) / PAGE_2M] =
        page | PTE_P | PTE_RW | PTE_PS | PTE_PCD | PTE_PWT;
    __atomic_store_n(&boot_pdpt[slot], (uintptr_t)mmio_pd | PTE_P | PTE_RW,
                     __ATOMIC_RELEASE);
    invlpg((uintptr_t)page);
    return (volatile void *)(uintptr_t)pa;
}
