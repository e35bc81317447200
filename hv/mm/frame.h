/*
 * Physical frame allocator: a bitmap over the usable RAM the boot loader
 * reported, below the identity-mapped limit. It never touches the memory it
 * hands out (callers zero what they need), so it also runs in the hosted
 * unit tests.
 */
#ifndef HV_FRAME_H
#define HV_FRAME_H

#include <stdint.h>

#include "../core/memmap.h"

#define FRAME_SIZE      4096ull
#define FRAME_LIMIT     (4ull << 30)            /* only the identity map */
#define FRAME_COUNT     (FRAME_LIMIT / FRAME_SIZE)

/* Marks the usable parts of the regions free, then the reserved ranges used.
   Memory at or above FRAME_LIMIT is ignored (counted in *ignored_bytes). */
void frame_init(const struct mem_region *usable, unsigned nr_usable,
                const struct mem_region *reserved, unsigned nr_reserved,
                uint64_t *ignored_bytes);
/* One frame, or 0 when none is left (frame 0 is never handed out). */
uint64_t frame_alloc(void);
/* count contiguous frames aligned to align bytes (a power of two >= 4096),
   or 0 when no such run exists. */
uint64_t frame_alloc_contig(uint64_t count, uint64_t align);
/* Returns -1 (and changes nothing) for frame 0, an unaligned address or a
   range outside the bitmap. */
int frame_free(uint64_t pa);
int frame_free_contig(uint64_t pa, uint64_t count);
uint64_t frame_free_count(void);
/* The largest aligned run that frame_alloc_contig could still return. */
uint64_t frame_largest_run(uint64_t align);

#endif
