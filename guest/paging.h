/*
 * The guest's identity map of its RAM, built by boot32.asm before long mode
 * (one PML4 -> one PDPT -> one PD of 2 MiB pages), and the one change the
 * guest ever makes to it: mapping a page past the end of RAM on purpose.
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

#endif
