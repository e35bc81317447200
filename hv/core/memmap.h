/*
 * A physical address range, as the boot loader's memory map reports it and
 * the frame allocator consumes it (core hands it up; mm reads it).
 */
#ifndef HV_MEMMAP_H
#define HV_MEMMAP_H

#include <stdint.h>

struct mem_region {
    uint64_t start, end;                        /* [start, end) */
};

#endif
