; ap_entry.asm — where secondary vCPUs begin (the rip of their
; struct pv_vcpu_context). Contract, from pv_abi.h: 64-bit mode, paging on
; with vCPU0's CR3, CS/DS from the context, IF = 0, RSP = top of this vCPU's
; guest_stacks slot (16-byte aligned), RDI = vCPU id. Calls ap_main(id),
; which never returns.

extern ap_main

section .text
bits 64
global ap_entry64
ap_entry64:
    xor ebp, ebp            ; end of the frame-pointer chain
    call ap_main            ; the call leaves RSP ABI-aligned for C
.hang:
    cli
    hlt
    jmp .hang

; No executable stack wanted: tell the linker so.
section .note.GNU-stack noalloc noexec nowrite progbits
