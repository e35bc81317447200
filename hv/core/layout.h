/*
 * Fixed addresses and limits of the hypervisor, shared with boot/layout.inc
 * (keep both in step).
 */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

#define HV_LOAD_ADDR        0x100000ull
#define AP_TRAMPOLINE_ADDR  0x8000ull
#define SEL_CODE64          0x08
#define SEL_DATA            0x10
#define MAX_PCPUS           64
#define HV_STACK_PAGES      8
#define LOW_MEMORY_END      0x100000ull  /* BIOS, trampoline: never allocated */
#define IDENTITY_MAP_END    (4ull << 30) /* boot/entry32.asm maps 4 GiB */

#endif
