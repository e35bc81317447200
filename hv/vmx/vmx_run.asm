; The VMX world switch.
;   int vmx_world_switch(struct vcpu_regs *regs,   ; rdi
;                        int launched);            ; esi: VMRESUME if nonzero
; Returns 0 after a VM exit, 1 on VMfailInvalid, 2 on VMfailValid (the
; guest did not run; the VM-instruction error field says why).
; Called with RFLAGS.IF = 0 and the vCPU's VMCS current; the caller has
; written guest RSP/RIP/RFLAGS. A VM exit clears RFLAGS, so a host
; interrupt that caused it stays pending until the caller's `sti`.
; HOST_RSP/HOST_RIP are written here: the exit lands at .exited with RSP as
; it was at entry. The general registers other than RSP are swapped from/to
; *regs (layout: struct vcpu_regs in hv/virt/vcpu.h, same as svm_run.asm).
bits 64
section .text

R_RAX equ 0
R_RBX equ 8
R_RCX equ 16
R_RDX equ 24
R_RSI equ 32
R_RDI equ 40
R_RBP equ 48
R_R8  equ 56
R_R9  equ 64
R_R10 equ 72
R_R11 equ 80
R_R12 equ 88
R_R13 equ 96
R_R14 equ 104
R_R15 equ 112

VMCS_HOST_RSP equ 0x6C14
VMCS_HOST_RIP equ 0x6C16

RUN_EXITED       equ 0
RUN_FAIL_INVALID equ 1
RUN_FAIL_VALID   equ 2

global vmx_world_switch
vmx_world_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdi                    ; [rsp] regs: what .exited finds

    mov rax, VMCS_HOST_RSP
    vmwrite rax, rsp
    mov rax, VMCS_HOST_RIP
    lea rdx, [rel .exited]
    vmwrite rax, rdx

    test esi, esi               ; ZF: launch; MOVs below keep the flags
    mov rax, [rdi + R_RAX]
    mov rbx, [rdi + R_RBX]
    mov rcx, [rdi + R_RCX]
    mov rdx, [rdi + R_RDX]
    mov rsi, [rdi + R_RSI]
    mov rbp, [rdi + R_RBP]
    mov r8,  [rdi + R_R8]
    mov r9,  [rdi + R_R9]
    mov r10, [rdi + R_R10]
    mov r11, [rdi + R_R11]
    mov r12, [rdi + R_R12]
    mov r13, [rdi + R_R13]
    mov r14, [rdi + R_R14]
    mov r15, [rdi + R_R15]
    mov rdi, [rdi + R_RDI]
    jnz .resume
    vmlaunch
    jmp .failed
.resume:
    vmresume
.failed:                        ; CF = VMfailInvalid, ZF = VMfailValid
    mov eax, RUN_FAIL_INVALID
    jc .out
    mov eax, RUN_FAIL_VALID
    jmp .out

.exited:
    push rdi                    ; guest RDI; now [rsp+8] = regs
    mov rdi, [rsp + 8]
    mov [rdi + R_RAX], rax
    mov [rdi + R_RBX], rbx
    mov [rdi + R_RCX], rcx
    mov [rdi + R_RDX], rdx
    mov [rdi + R_RSI], rsi
    mov [rdi + R_RBP], rbp
    mov [rdi + R_R8],  r8
    mov [rdi + R_R9],  r9
    mov [rdi + R_R10], r10
    mov [rdi + R_R11], r11
    mov [rdi + R_R12], r12
    mov [rdi + R_R13], r13
    mov [rdi + R_R14], r14
    mov [rdi + R_R15], r15
    pop qword [rdi + R_RDI]
    mov eax, RUN_EXITED

.out:
    add rsp, 8                  ; regs
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
