; pvhv's own loader for Bochs: an option ROM that the Bochs BIOS calls during
; POST. GRUB under an SMP Bochs costs seconds before pvhv prints anything;
; here tools/pvhv_run.py has Bochs place hv.elf's image and a prepared
; multiboot1 information block in RAM (bochsrc optramimage), and this ROM
; only adds the BIOS memory map (INT 15h E820), enters 32-bit protected
; mode and jumps to the hypervisor's multiboot entry. It never returns to
; the BIOS.
;
; Contract with tools/pvhv_bochs.py: boot/bochs/optrom_layout.h (the
; addresses and the boot-data header; optrom_layout.inc is generated from
; it). The info block leaves mmap_length/mmap_addr for this ROM to fill.
; Assembled flat (nasm -f bin) for the address OPTROM_ADDR; the Makefile
; sets the checksum byte.

%include "optrom_layout.inc"

MMAP_ADDR       equ 0x1000          ; E820 buffer: below 1 MiB for ES:DI
MMAP_MAX        equ 32              ; entries
MB1_LOADER_MAGIC equ 0x2BADB002
MB1_INFO_MMAP   equ 1 << 6
MB1_FLAGS_OFF   equ 0
MB1_MMAP_LEN_OFF equ 44
MB1_MMAP_ADDR_OFF equ 48
E820_FUNC       equ 0xE820
E820_SMAP       equ 0x534D4150      ; 'SMAP'
E820_ENTRY      equ 20
MB1_MMAP_ENTRY  equ 24              ; u32 size, then the E820 entry
PORT_A20        equ 0x92
A20_ENABLE      equ 1 << 1
CR0_PE          equ 1 << 0
SEL_CODE        equ 0x08
SEL_DATA        equ 0x10

bits 16
org 0
rom_header:
    db 0x55, 0xAA
    db OPTROM_SIZE / 512
    jmp init                        ; the BIOS far-calls offset 3

init:
    cli
    cld
    ; The E820 map, in multiboot1's layout (a size word before each entry).
    xor ax, ax
    mov es, ax
    mov di, MMAP_ADDR + 4
    xor ebx, ebx
    xor bp, bp                      ; entries so far
.e820:
    mov eax, E820_FUNC
    mov edx, E820_SMAP
    mov ecx, E820_ENTRY
    int 0x15
    jc .e820_done                   ; carry: no (more) entries
    cmp eax, E820_SMAP
    jne .e820_done
    mov dword [es:di - 4], E820_ENTRY
    add di, MB1_MMAP_ENTRY
    inc bp
    test ebx, ebx                   ; 0: that was the last one
    jz .e820_done
    cmp bp, MMAP_MAX
    jb .e820
.e820_done:
    cli                             ; INT 15h may have set IF
    in al, PORT_A20
    or al, A20_ENABLE
    out PORT_A20, al
    mov ax, cs
    mov ds, ax
    o32 lgdt [gdt_ptr]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword SEL_CODE:(OPTROM_ADDR + pm32)

bits 32
pm32:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    cmp dword [BOOTDATA_ADDR], BOOTDATA_SIG
    jne .hang                       ; nothing loaded: stop visibly here
    mov ebx, [BOOTDATA_ADDR + BOOTDATA_INFO_OFF]
    movzx eax, bp
    imul eax, MB1_MMAP_ENTRY
    mov [ebx + MB1_MMAP_LEN_OFF], eax
    mov dword [ebx + MB1_MMAP_ADDR_OFF], MMAP_ADDR
    or dword [ebx + MB1_FLAGS_OFF], MB1_INFO_MMAP
    mov ecx, [BOOTDATA_ADDR + BOOTDATA_ENTRY_OFF]
    mov eax, MB1_LOADER_MAGIC
    jmp ecx
.hang:
    hlt
    jmp .hang

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF           ; 0x08: flat 32-bit code
    dq 0x00CF92000000FFFF           ; 0x10: flat data
gdt_end:
gdt_ptr:
    dw gdt_end - gdt - 1
    dd OPTROM_ADDR + gdt

    times OPTROM_SIZE - 1 - ($ - $$) db 0
    db 0                            ; checksum, set by the Makefile
