; Boot headers for both loaders. QEMU's -kernel speaks multiboot1 and refuses
; ELF64 unless the a.out kludge (explicit load addresses) is present; GRUB's
; multiboot2 command reads the second header. Both land in boot_entry32.
%include "layout.inc"

MB1_MAGIC        equ 0x1BADB002
MB1_FLAG_ALIGN   equ 1 << 0
MB1_FLAG_MEMINFO equ 1 << 1
MB1_FLAG_AOUT    equ 1 << 16
MB1_FLAGS        equ MB1_FLAG_ALIGN | MB1_FLAG_MEMINFO | MB1_FLAG_AOUT

MB2_MAGIC        equ 0xE85250D6
MB2_ARCH_I386    equ 0
MB2_TAG_END      equ 0
MB2_TAG_ENTRY    equ 3
MB2_TAG_FLAGS_OPTIONAL equ 1

extern boot_entry32
extern __load_end, __bss_end

section .multiboot
bits 32
align 4
mb1_header:
    dd MB1_MAGIC
    dd MB1_FLAGS
    dd -(MB1_MAGIC + MB1_FLAGS)
    dd mb1_header           ; header_addr
    dd HV_LOAD_ADDR         ; load_addr
    dd __load_end           ; load_end_addr
    dd __bss_end            ; bss_end_addr
    dd boot_entry32         ; entry_addr

align 8
mb2_header:
    dd MB2_MAGIC
    dd MB2_ARCH_I386
    dd mb2_header_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
align 8
    dw MB2_TAG_ENTRY
    dw MB2_TAG_FLAGS_OPTIONAL
    dd 12
    dd boot_entry32
align 8
    dw MB2_TAG_END
    dw 0
    dd 8
mb2_header_end:
