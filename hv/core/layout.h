/*
 * Fixed addresses and limits of the hypervisor. The one place they are
 * written: the boot assembly's layout.inc and the linker script's load
 * address are generated from this file (tools/gen/asm_consts.py), so keep
 * each value a plain integer expression.
 */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

#define HV_LOAD_ADDR        0x100000ull
#define AP_TRAMPOLINE_ADDR  0x8000ull
#define SEL_CODE64          0x08
#define SEL_DATA            0x10
#define SEL_CODE32          0x18         /* boot/entry32.asm's GDT, AP start-up */
#define BOOT_STACK_SIZE     0x4000       /* the BSP's stack until hv_main */
#define MAX_PCPUS           64
#define HV_STACK_PAGES      8
#define LOW_MEMORY_END      0x100000ull  /* BIOS, trampoline: never allocated */
#define IDENTITY_MAP_END    (4ull << 30) /* boot/entry32.asm maps 4 GiB */

#endif
