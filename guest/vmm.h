/*
 * Guest memory management beyond the boot identity map: a frame allocator
 * over the free RAM above the image, and a window of 4 KiB pages at
 * VMM_WINDOW_BASE (just above the 1 GiB identity map, so no RAM alias of
 * ours is disturbed) whose pages can be mapped, unmapped and remapped. The
 * page tables are shared by every vCPU of the VM; these calls flush only
 * the calling vCPU's TLB (INVLPG): other vCPUs need flush_tlb_others().
 */
#ifndef GUEST_VMM_H
#define GUEST_VMM_H

#include <stdint.h>
#include "arch.h"

#define VMM_WINDOW_BASE  GUEST_MAP_LIMIT          /* 1 GiB */
#define VMM_WINDOW_PAGES PT_ENTRIES               /* one 2 MiB page table */

/* vCPU0, before any window use: hooks a page table for the 2 MiB region
   at VMM_WINDOW_BASE into the shared tables, every page not present.
   Idempotent (a second call unmaps every window page again). */
void vmm_init(void);
/* Hands out n contiguous 4 KiB frames of free RAM (identity-mapped, so the
   GPA is also a usable pointer); 0 when fewer are left. Never freed. */
uint64_t vmm_alloc_frames(uint64_t n);
/* Frames vmm_alloc_frames could still hand out. */
uint64_t vmm_frames_left(void);

/* The window page holding va (must be inside the window). pa: a 4 KiB
   frame of RAM. Each changes one PTE atomically and INVLPGs locally. */
void vmm_map(uintptr_t va, uint64_t pa);
void vmm_unmap(uintptr_t va);
/* Returns the frame that was mapped before (0 if none). */
uint64_t vmm_remap(uintptr_t va, uint64_t pa);
/* The frame va maps now, 0 if not present. */
uint64_t vmm_lookup(uintptr_t va);

#endif
