; The SVM world switch.
;   void svm_world_switch(struct vcpu_regs *regs,   ; rdi
;                         uint64_t vmcb_pa,         ; rsi
;                         uint64_t host_vmcb_pa);   ; rdx
; Called with GIF = 0 (CLGI) and RFLAGS.IF = 1, so a host interrupt during
; the guest run causes #VMEXIT(INTR) and is taken after the caller's STGI.
; VMRUN itself switches RAX/RSP/RIP/RFLAGS and the control registers through
; the VMCB; the other general registers are swapped here from/to *regs (its
; layout is struct vcpu_regs in hv/virt/vcpu.h). VMLOAD/VMSAVE move the
; guest's FS/GS/TR/LDTR and syscall MSRs; the host's copies (including the
; GS base that points at the per-CPU block) come back from host_vmcb_pa.
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

global svm_world_switch
svm_world_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    push rdx                    ; [rsp+8] host VMCB
    push rdi                    ; [rsp]   regs

    mov rax, rsi
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

    vmload
    vmrun                       ; RAX = guest VMCB PA again after #VMEXIT
    vmsave

    push rdi                    ; guest RDI; now [rsp+8] = regs
    mov rdi, [rsp + 8]
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
    add rsp, 8                  ; regs pointer
    pop rax                     ; host VMCB
    vmload

    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
