; isr.asm — the 256 interrupt entry stubs and their common path. Each stub
; pushes a dummy error code where the CPU pushes none, then its vector, so
; every frame has one layout (struct isr_frame in idt.h); the common path
; saves the general registers and calls isr_dispatch(frame). Same ring, no
; IST: the handler runs on the interrupted stack, which keeps the RSP-based
; vCPU id lookup valid inside handlers.

extern isr_dispatch

section .text
bits 64

; Vectors where the CPU pushes an error code: #DF #TS #NP #SS #GP #PF #AC
; #CP #VC #SX.
%macro ISR_STUB 1
isr_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

%assign v 0
%rep 256
ISR_STUB v
%assign v v + 1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp            ; 5 + 2 + 15 quadwords: RSP stays 16-aligned
    call isr_dispatch
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16             ; vector and error code
    iretq

section .rodata
global isr_stub_table
isr_stub_table:
%assign v 0
%rep 256
    dq isr_stub_ %+ v
%assign v v + 1
%endrep

; No executable stack wanted: tell the linker so.
section .note.GNU-stack noalloc noexec nowrite progbits
