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

%include "vcpu_regs.inc"

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
    LOAD_GUEST_GPRS

    vmload
    vmrun                       ; RAX = guest VMCB PA again after #VMEXIT
    vmsave

    push rdi                    ; guest RDI; now [rsp+8] = regs
    mov rdi, [rsp + 8]
    SAVE_GUEST_GPRS
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
