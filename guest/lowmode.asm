; lowmode.asm — leave long mode for real mode or 32-bit ring 3 and come
; back (guest/lowmode.c, task=abi and crash=VM:acloop; issue 13). The C
; side copies the bytes between lm_start and lm_end to LOW_BASE (guest
; RAM below 1 MiB, which pvhv's loader never uses) and calls lm_entry
; there with interrupts off; every address in here is computed relative
; to that copy (REL), never to where the linker put this section.
;
;   in:  EDI = op (OP_REAL, OP_AC, OP_AC_LOOP), 64-bit mode, IF = 0,
;        paging identity below 4 GiB, CR3 below 4 GiB, CR4.PCIDE = 0
;   out: back in 64-bit mode on the caller's stack, GDTR/IDTR restored,
;        results in lm_data (lowmode.h, struct lm_data). OP_AC_LOOP never
;        returns where #AC is raised (that is its point).
;
; The path: 64-bit -> compatibility mode (own GDT) -> paging off, EFER.LME
; off: 32-bit protected mode. OP_REAL: 16-bit protected mode -> CR0.PE off
; -> real mode, own IVT; three instructions pvhv answers with #GP(0) run
; there, the handler records the frame it got. OP_AC*: SYSEXIT to ring 3
; with CR0.AM and EFLAGS.AC, then a misaligned load; every IDT gate leads
; to a conforming code segment, so the #AC handler runs at CPL 3 on the
; ring-3 stack (no TSS needed) and SYSENTERs back. OP_AC_LOOP starts with
; a misaligned ring-3 stack, so delivering that #AC raises #AC again, for
; ever (CVE-2015-5307: on hardware, without an #AC intercept, the CPU
; loops inside its microcode and never takes an interrupt again).
; Back: EFER.LME on, paging on, far jump to 64-bit code.

%include "arch.inc"

%define LOW_BASE    0x6000          ; = LM_LOW_BASE, lowmode.h
%define STACK0      0x5FF0          ; ring 0 and real-mode stack (down to 0x5000)
%define STACK3      0x4FF0          ; ring 3 stack (down to 0x4000)
%define OP_REAL     0
%define OP_AC       1
%define OP_AC_LOOP  2
%define RECS        4               ; = LM_RECS
%define CR0_AM      (1 << 18)
%define EFLAGS_AC   (1 << 18)
%define MSR_SYSENTER_CS  0x174
%define MSR_SYSENTER_ESP 0x175
%define MSR_SYSENTER_EIP 0x176
%define UNKNOWN_MSR 0x12345678      ; task_abi.c's "unknown MSR" too
%define EFER_RESERVED (1 << 20)

; this GDT's selectors
%define S_CODE32    0x08
%define S_DATA32    0x10            ; = SEL_DATA: the flat data selector either way
%define S_CODE16    0x18
%define S_DATA16    0x20
%define S_CODE64    0x28
%define S_SYS_CS    0x30            ; SYSENTER_CS: CS, +8 SS, +16 ring-3 CS, +24 ring-3 SS
%define S_USER_DS   (0x48 | 3)
%define S_CONFORM   0x50

%define REL(x) (LOW_BASE + (x) - lm_start)

global lm_start, lm_end, lm_data, lm_entry

section .rodata
align 16
lm_start:

bits 64
lm_entry:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [REL(save_rsp)], rsp
    sgdt [REL(save_gdtr)]
    sidt [REL(save_idtr)]
    mov [REL(lm_data.op)], edi
    lgdt [REL(gdt_ptr)]
    push S_CODE32
    push REL(pm32)
    retfq

bits 32
pm32:
    mov ax, S_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, STACK0
    mov eax, cr0                    ; paging off: IA-32e mode ends (LMA = 0)
    and eax, ~CR0_PG
    mov cr0, eax
    mov ecx, MSR_EFER
    rdmsr
    and eax, ~EFER_LME
    wrmsr
    cmp dword [REL(lm_data.op)], OP_REAL
    jne ac_part
    jmp S_CODE16:REL(pm16)

bits 16
pm16:
    mov ax, S_DATA16
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~CR0_PE
    mov cr0, eax
    jmp 0:REL(real)

real:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, STACK0
    lidt [REL(rm_idtr)]
    ; 1. RDMSR of an MSR nobody has: pvhv's #GP(0).
    mov word [REL(rm_skip)], 2
    mov dword [REL(lm_data.want_ip)], REL(.t0)
    mov [REL(lm_data.sp_before)], sp
    mov ecx, UNKNOWN_MSR
.t0:
    rdmsr
    ; 2. WRMSR of EFER with a reserved bit: pvhv's #GP(0).
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_RESERVED
    mov dword [REL(lm_data.want_ip) + 4], REL(.t1)
    mov [REL(lm_data.sp_before) + 4], sp
.t1:
    wrmsr
    ; 3. CR0.PG without PE: #GP(0), from pvhv's CR0 emulation on SVM.
    mov eax, cr0
    or eax, CR0_PG
    mov word [REL(rm_skip)], 3
    mov dword [REL(lm_data.want_ip) + 8], REL(.t2)
    mov [REL(lm_data.sp_before) + 8], sp
.t2:
    mov cr0, eax
    jmp back16

; Every vector of the IVT: [sp] = vector, then what the CPU pushed. A
; #GP whose IP is the instruction under test resumes after it; anything
; else (another vector, or a frame with an error code in front, so the
; "IP" is wrong) ends real mode at once, the frame recorded.
rm_exc:
    push bp
    mov bp, sp                      ; [bp+2] vector, [bp+4] first word pushed
    mov ebx, [REL(lm_data.nrec)]
    cmp ebx, RECS
    jae .abort
    imul bx, bx, 24
    add bx, REL(lm_data.rec)
    movzx eax, word [bp + 2]
    mov [bx], eax
    lea ax, [bp + 4]
    movzx eax, ax
    mov [bx + 4], eax               ; SP when the CPU had pushed its frame
    movzx eax, word [bp + 4]
    mov [bx + 8], eax
    movzx eax, word [bp + 6]
    mov [bx + 12], eax
    movzx eax, word [bp + 8]
    mov [bx + 16], eax
    movzx eax, word [bp + 10]
    mov [bx + 20], eax
    mov ebx, [REL(lm_data.nrec)]
    inc dword [REL(lm_data.nrec)]
    cmp word [bp + 2], 13
    jne .abort
    shl bx, 2
    mov ax, [bx + REL(lm_data.want_ip)]
    cmp ax, [bp + 4]
    jne .abort
    mov ax, [REL(rm_skip)]
    add [bp + 4], ax
    pop bp
    add sp, 2
    iret
.abort:
    mov dword [REL(lm_data.aborted)], 1
    mov sp, STACK0
    jmp back16

back16:
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword S_CODE32:REL(pm32_back)

bits 32
pm32_back:
    mov ax, S_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, STACK0
    jmp back32

ac_part:
    lidt [REL(pm_idtr)]
    xor edx, edx
    mov ecx, MSR_SYSENTER_CS
    mov eax, S_SYS_CS
    wrmsr
    mov ecx, MSR_SYSENTER_ESP
    mov eax, STACK0
    wrmsr
    mov ecx, MSR_SYSENTER_EIP
    mov eax, REL(ring0_back)
    wrmsr
    mov eax, cr0
    or eax, CR0_AM
    mov cr0, eax
    mov ax, S_USER_DS
    mov ds, ax
    mov es, ax
    mov edx, REL(ring3)
    mov ecx, STACK3
    cmp dword [REL(lm_data.op)], OP_AC_LOOP
    jne .go
    sub ecx, 3                      ; a stack no #AC frame can be pushed on
.go:
    sysexit

ring3:
    pushfd
    or dword [esp], EFLAGS_AC
    popfd
    mov [REL(lm_data.sp_before)], esp
    mov dword [REL(lm_data.want_ip)], REL(.load)
.load:
    mov eax, [REL(lm_data.misaligned) + 1]
    mov dword [REL(lm_data.ac_none)], 1     ; the platform raised no #AC
    sysenter

; Every gate of the 32-bit IDT leads here through the conforming segment,
; at the CPL the exception came from: [esp] = vector, then the frame.
pm_exc:
    mov ebx, [REL(lm_data.nrec)]
    cmp ebx, RECS
    jae .out
    imul ebx, ebx, 24
    add ebx, REL(lm_data.rec)
    mov eax, [esp]
    mov [ebx], eax
    lea eax, [esp + 4]
    mov [ebx + 4], eax
    mov eax, [esp + 4]
    mov [ebx + 8], eax
    mov eax, [esp + 8]
    mov [ebx + 12], eax
    mov eax, [esp + 12]
    mov [ebx + 16], eax
    mov eax, [esp + 16]
    mov [ebx + 20], eax
    inc dword [REL(lm_data.nrec)]
.out:
    sysenter

ring0_back:
    mov ax, S_DATA32
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr0
    and eax, ~CR0_AM
    mov cr0, eax
    ; fall through
back32:
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0                    ; CR3 and CR4.PAE never changed
    or eax, CR0_PG
    mov cr0, eax
    jmp S_CODE64:REL(lm_back)

bits 64
lm_back:
    lgdt [REL(save_gdtr)]
    lidt [REL(save_idtr)]
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, [REL(save_rsp)]
    push SEL_CODE64
    push REL(.done)
    retfq
.done:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret

; Real-mode vector stubs, 8 bytes each: push the vector, go to rm_exc.
bits 16
align 8
rm_stubs:
%assign i 0
%rep 32
    push byte i
    jmp near rm_exc
    times 3 nop
%assign i i + 1
%endrep

bits 32
align 8
pm_stubs:
%assign i 0
%rep 32
    push byte i
    jmp near pm_exc
    nop
%assign i i + 1
%endrep

align 8
rm_ivt:
%assign i 0
%rep 32
    dw REL(rm_stubs) + 8 * i, 0
%assign i i + 1
%endrep

align 8
pm_idt:                             ; 32-bit interrupt gates, DPL 0
%assign i 0
%rep 32
    dw (REL(pm_stubs) + 8 * i) & 0xFFFF, S_CONFORM, 0x8E00, (REL(pm_stubs) + 8 * i) >> 16
%assign i i + 1
%endrep
pm_idt_end:

align 16
gdt:                                ; accessed bits preset (VMX wants them in CS)
    dq 0
    dq 0x00CF9B000000FFFF           ; 0x08 32-bit code
    dq 0x00CF93000000FFFF           ; 0x10 flat data
    dq 0x00009B000000FFFF           ; 0x18 16-bit code, base 0, 64 KiB
    dq 0x000093000000FFFF           ; 0x20 16-bit data, base 0, 64 KiB
    dq 0x00AF9B000000FFFF           ; 0x28 64-bit code
    dq 0x00CF9B000000FFFF           ; 0x30 SYSENTER CS (32-bit code)
    dq 0x00CF93000000FFFF           ; 0x38 SYSENTER SS
    dq 0x00CFFB000000FFFF           ; 0x40 ring-3 code (SYSEXIT)
    dq 0x00CFF3000000FFFF           ; 0x48 ring-3 data (SYSEXIT SS)
    dq 0x00CF9F000000FFFF           ; 0x50 conforming 32-bit code, DPL 0
gdt_end:

align 8
gdt_ptr:
    dw gdt_end - gdt - 1
    dq REL(gdt)
align 8
rm_idtr:
    dw 32 * 4 - 1
    dd REL(rm_ivt)
align 8
pm_idtr:
    dw pm_idt_end - pm_idt - 1
    dd REL(pm_idt)
align 8
save_gdtr: dq 0, 0
save_idtr: dq 0, 0
save_rsp:  dq 0
rm_skip:   dw 0

align 16
lm_data:                            ; struct lm_data, lowmode.h
.op:         dd 0
.nrec:       dd 0
.aborted:    dd 0
.ac_none:    dd 0
.want_ip:    dd 0, 0, 0, 0
.sp_before:  dd 0, 0, 0, 0
.rec:        times RECS * 6 dd 0
.misaligned: dd 0, 0
lm_end:

; No executable stack wanted: tell the linker so.
section .note.GNU-stack noalloc noexec nowrite progbits
