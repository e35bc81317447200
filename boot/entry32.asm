; 32-bit entry from either multiboot loader: EAX = loader magic, EBX = info.
; Builds identity page tables for the low 4 GiB (2 MiB pages, which also
; cover the LAPIC and ACPI tables), enters long mode and calls
; hv_main(magic, info) on the boot stack. Nothing here is used again.
%include "layout.inc"

CR0_PE   equ 1 << 0
CR0_PG   equ 1 << 31
CR4_PAE  equ 1 << 5
CR4_OSFXSR equ 1 << 9
CR4_OSXMMEXCPT equ 1 << 10
MSR_EFER equ 0xC0000080
EFER_LME equ 1 << 8
EFER_NXE equ 1 << 11
PTE_P    equ 1 << 0
PTE_W    equ 1 << 1
PTE_PS   equ 1 << 7
PAGE_2M  equ 0x200000
IDENTITY_GIB equ 4

global boot_entry32, boot_pml4, boot_gdt_ptr
extern hv_main

section .boot.text
bits 32
boot_entry32:
    cli
    mov edi, eax                ; keep the loader's magic and info
    mov esi, ebx
    mov esp, boot_stack_top

    ; PML4[0] -> PDPT, PDPT[0..3] -> four page directories of 2 MiB pages.
    mov eax, boot_pdpt
    or eax, PTE_P | PTE_W
    mov [boot_pml4], eax
    mov ecx, 0
.pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, PTE_P | PTE_W
    mov [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, IDENTITY_GIB
    jne .pdpt
    mov ecx, 0
.pd:
    mov eax, ecx
    mov edx, PAGE_2M
    mul edx                     ; edx:eax = ecx * 2 MiB (edx = bits above 4 GiB)
    or eax, PTE_P | PTE_W | PTE_PS
    mov [boot_pd + ecx * 8], eax
    mov [boot_pd + ecx * 8 + 4], edx
    inc ecx
    cmp ecx, IDENTITY_GIB * 512
    jne .pd

    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_PE
    mov cr0, eax
    lgdt [boot_gdt_ptr]
    jmp SEL_CODE64:.long_mode

bits 64
.long_mode:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    ; edi/esi still hold magic/info: the first two SysV arguments.
    call hv_main
.hang:
    cli
    hlt
    jmp .hang

section .boot.data
align 16
boot_gdt:
    dq 0
    dq 0x00209A0000000000       ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF       ; 0x10: flat data
    dq 0x00CF9A000000FFFF       ; 0x18: 32-bit code (AP trampoline)
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

section .boot.bss nobits alloc write
alignb 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * IDENTITY_GIB
boot_stack: resb BOOT_STACK_SIZE
boot_stack_top:
