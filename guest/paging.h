/*
 * The guest's identity map of its RAM, built by boot32.asm before long mode
 * (one PML4 -> one PDPT -> one PD of 2 MiB pages), and the one change the
 * guest ever makes to it: mapping a page past the end of RAM on purpose.
 * A natively booted guest also maps what the machine's firmware and local
 * APIC put outside its RAM: ACPI tables (below 1 GiB) and the APIC page.
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include <stdint.h>

/* Physical address of the top-level table: the CR3 every vCPU uses. */
uint64_t paging_cr3(void);
/* Bytes identity-mapped from 0 (a multiple of 2 MiB). */
uint64_t paging_mapped_bytes(void);
/* Maps the 2 MiB page starting at the first 2 MiB boundary at or above
   mem_bytes and returns its address, or 0 if no PD slot is left. */
uintptr_t paging_map_beyond(uint64_t mem_bytes);
/* Whether paging_map_beyond(mem_bytes) has a PD slot to use. */
int paging_map_beyond_possible(uint64_t mem_bytes);

/* Native boot: makes [pa, pa + len) readable through the identity map,
   adding 2 MiB pages past the RAM where needed (firmware tables sit right
   above the RAM the loader reports). NULL if any of it lies in [1 GiB,
   2 GiB) (virtually the vmm.c window, not identity) or above 4 GiB. */
const void *paging_identity(uint64_t pa, uint64_t len);
/* Native boot: identity-maps, uncached, the 2 MiB page holding pa, which
   must lie in [2 GiB, 4 GiB) (where PCs put the local APIC); returns pa as
   a pointer, or NULL (and says why) when it does not. */
volatile void *paging_map_mmio(uint64_t pa);
/* task=abi: lets (on=1) or stops (on=0) user mode reaching the 2 MiB
   page holding va (below 1 GiB), for a moment of ring 3 on this vCPU
   (the guest has no SMEP/SMAP, so the kernel's access is unchanged).
   Returns -1 if va is not in the boot identity map. */
int paging_user_access(uintptr_t va, int on);

/* task=fuzz: makes a 2 MiB virtual page (at 8 GiB, outside everything
   else) use the PD entry pde as given, however bad, and returns its
   address. Only vCPU0 of a fuzzed VM touches it. */
uintptr_t paging_fuzz_map(uint64_t pde);

#endif
