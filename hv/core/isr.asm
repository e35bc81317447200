; Interrupt and exception entry stubs: one per vector, generated with %rep
; so the table cannot drift. Each pushes a dummy error code where the CPU
; does not, then the vector, and jumps to the common path, which saves the
; general registers as struct trap_frame (hv/core/idt.h) and calls
; isr_dispatch(frame) on the interrupted stack.
bits 64
section .text

extern isr_dispatch
global isr_stub_table

; Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30.
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%assign v 0
%rep 256
isr_stub_ %+ v:
%if HAS_ERR(v) == 0
    push 0
%endif
    push v
    jmp isr_common
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
    mov rdi, rsp
    mov rbx, rsp
    and rsp, -16            ; SysV alignment for the C handler
    call isr_dispatch
    mov rsp, rbx
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
align 8
isr_stub_table:
%assign v 0
%rep 256
    dq isr_stub_ %+ v
%assign v v + 1
%endrep
