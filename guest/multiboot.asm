; multiboot.asm — a multiboot1 header so plain QEMU (-kernel) can boot the
; guest natively, for testing without the hypervisor and as the native
; baseline. QEMU refuses ELF64 multiboot images, so the header uses the a.out
; kludge (flag bit 16): it names where the image loads and where it starts.
; The linker script puts this section first, well inside the first 8 KiB.

%include "arch.inc"

%define MB1_FLAG_ALIGN   (1 << 0)   ; page-align modules (none are used)
%define MB1_FLAG_MEMINFO (1 << 1)   ; ask for mem_lower/mem_upper
%define MB1_FLAG_AOUT    (1 << 16)  ; the address fields below are valid
%define MB1_FLAGS (MB1_FLAG_ALIGN | MB1_FLAG_MEMINFO | MB1_FLAG_AOUT)

extern __image_start, __load_end, __image_end, guest_entry32

section .multiboot progbits alloc noexec nowrite align=4
mb1_header:
    dd MB1_HEADER_MAGIC
    dd MB1_FLAGS
    dd -(MB1_HEADER_MAGIC + MB1_FLAGS)
    dd mb1_header          ; header_addr
    dd __image_start       ; load_addr: the image's first byte
    dd __load_end          ; load_end_addr: end of .data
    dd __image_end         ; bss_end_addr: the loader zeroes up to here
    dd guest_entry32       ; entry_addr

; No executable stack wanted: tell the linker so.
section .note.GNU-stack noalloc noexec nowrite progbits
