; Application-processor start-up code. The BSP copies the bytes between
; ap_tramp_start and ap_tramp_end to AP_TRAMPOLINE_ADDR and fills the
; parameter block at its end (CR3, stack, C entry), then sends INIT-SIPI-SIPI.
; The AP arrives in real mode at AP_TRAMPOLINE_ADDR, so every address here is
; computed relative to that copy, never to where the linker put this section.
%include "layout.inc"

CR0_PE   equ 1 << 0
CR0_PG   equ 1 << 31
CR4_PAE  equ 1 << 5
CR4_OSFXSR equ 1 << 9
CR4_OSXMMEXCPT equ 1 << 10
MSR_EFER equ 0xC0000080
EFER_LME equ 1 << 8
EFER_NXE equ 1 << 11

%define REL(x) (AP_TRAMPOLINE_ADDR + (x) - ap_tramp_start)

global ap_tramp_start, ap_tramp_end, ap_tramp_params

section .rodata
bits 16
ap_tramp_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    lgdt [REL(tramp_gdt_ptr)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword SEL_CODE32:REL(.prot)

bits 32
.prot:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT
    mov cr4, eax
    mov eax, [REL(ap_tramp_params)]          ; CR3 (below 4 GiB)
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME | EFER_NXE
    wrmsr
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp SEL_CODE64:REL(.long)

bits 64
.long:
    mov rsp, [REL(ap_tramp_params) + 8]
    mov rax, [REL(ap_tramp_params) + 16]
    xor ebp, ebp
    call rax                                  ; never returns
.hang:
    hlt
    jmp .hang

align 16
tramp_gdt:
    dq 0
    dq 0x00209A0000000000       ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF       ; 0x10: flat data
    dq 0x00CF9A000000FFFF       ; 0x18: 32-bit code
tramp_gdt_end:
tramp_gdt_ptr:
    dw tramp_gdt_end - tramp_gdt - 1
    dd REL(tramp_gdt)

align 8
ap_tramp_params:                ; filled by the BSP: cr3, rsp, entry
    dq 0, 0, 0
ap_tramp_end:
