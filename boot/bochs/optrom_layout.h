/*
 * The contract between pvhv's Bochs option ROM (boot/bochs/optrom.asm) and
 * tools/pvhv_bochs.py, which has Bochs place the hypervisor and a boot-data
 * block in RAM. Written only here: the ROM's optrom_layout.inc is generated
 * from this file (tools/gen/asm_consts.py), and pvhv_bochs.py reads the
 * same defines with the same parser. Keep each value a plain integer
 * expression. Not included by any C file.
 *
 * Boot data at BOOTDATA_ADDR: u32 signature, u32 entry (32-bit physical),
 * u32 address of the multiboot1 information, then the information block.
 */
#ifndef BOCHS_OPTROM_LAYOUT_H
#define BOCHS_OPTROM_LAYOUT_H

#define OPTROM_ADDR          0xD0000     /* bochsrc optromimage address */
#define OPTROM_SIZE          1024        /* bytes, a multiple of 512 */
#define BOOTDATA_ADDR        0x01000000  /* above any hv.elf image */
#define BOOTDATA_SIG         0x42485650  /* 'PVHB' little-endian */
#define BOOTDATA_ENTRY_OFF   4
#define BOOTDATA_INFO_OFF    8
#define BOOTDATA_HEADER_SIZE 16          /* the multiboot1 information follows */

#endif
