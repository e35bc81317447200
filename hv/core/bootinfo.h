/*
 * What the boot loader handed over, copied out of the multiboot1 or
 * multiboot2 structures into one loader-independent form before the frame
 * allocator may reuse that memory.
 */
#ifndef HV_BOOTINFO_H
#define HV_BOOTINFO_H

#include <stdint.h>

#include "memmap.h"

#define BOOT_CMDLINE_MAX 1024
#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 16        /* one guest kernel per VM (MAX_VMS) */

struct boot_module {
    uint64_t start, end;       /* physical, [start, end) */
    char name[64];
};

struct boot_info {
    const char *loader;        /* "multiboot1" or "multiboot2" */
    char cmdline[BOOT_CMDLINE_MAX];
    int cmdline_truncated;
    struct mem_region usable[BOOT_MAX_REGIONS];
    unsigned nr_usable;
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned nr_modules;
    unsigned modules_dropped;  /* past BOOT_MAX_MODULES */
    uint64_t info_start, info_end;  /* the loader's structure itself */
    uint64_t rsdp;             /* physical address of a copy of the RSDP, or 0 */
};

/* Returns 0, or -1 with a message in err if the magic is unknown. */
int bootinfo_parse(uint32_t magic, uint64_t info, struct boot_info *bi,
                   char *err, unsigned errlen);

#endif
