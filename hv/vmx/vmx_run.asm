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

%include "vcpu_regs.inc"
%include "vmx_arch.inc"        ; VMCS encodings, generated from vmx_arch.h

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
    LOAD_GUEST_GPRS
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
    SAVE_GUEST_GPRS
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
