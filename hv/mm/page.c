/*
 * Zeroing wrappers over the frame allocator for hypervisor-internal use,
 * where running out of memory after the up-front checks is a bug.
 */
#include "page.h"

#include "frame.h"
#include "pvstring.h"
#include "../core/panic.h"

void *pages_alloc_zeroed(uint64_t count)
{
    uint64_t pa = frame_alloc_contig(count, FRAME_SIZE);
    if (!pa)
        panic("out of memory allocating %lu hypervisor pages (%lu frames free)",
              count, frame_free_count());
    memset((void *)(uintptr_t)pa, 0, count * FRAME_SIZE);
    return (void *)(uintptr_t)pa;
}

void *page_alloc_zeroed(void) { return pages_alloc_zeroed(1); }
