; boot32.asm — vCPU0's first instructions, in 32-bit protected mode with
; paging off (both under pvhv and under a multiboot loader). Contract:
;   in:  EAX = PV_BOOT_MAGIC (EBX = GPA of struct pv_boot_info) or
;        MB1_BOOT_MAGIC (EBX = multiboot info); flat 4 GiB segments; IF = 0;
;        no usable stack.
;   out: guest_main(magic, info) in 64-bit mode on guest_stacks[0], with RAM
;        identity-mapped by 2 MiB pages (at least up to __image_end).
; The RAM size has to be read here, before C can run, because C needs paging.

%include "arch.inc"

extern guest_stacks, guest_gdt_ptr, guest_main, __image_end
extern boot_pml4, boot_pdpt, boot_pd, boot_pd_entries

section .bss
boot_magic: resd 1
boot_info:  resd 1

section .text
bits 32
global guest_entry32
guest_entry32:
    cli
    cld
    mov esp, guest_stacks + GUEST_STACK_SIZE
    mov [boot_magic], eax
    mov [boot_info], ebx

    ; ECX = RAM bytes to map, 0 if the boot protocol did not say.
    xor ecx, ecx
    cmp eax, PV_BOOT_MAGIC
    jne .try_multiboot
    cmp dword [ebx + BI_MEM_BYTES_HI], 0
    jne .map_all                    ; >= 4 GiB: map what one PD can hold
    mov ecx, [ebx + BI_MEM_BYTES_LO]
    jmp .have_size
.try_multiboot:
    cmp eax, MB1_BOOT_MAGIC
    jne .have_size
    test dword [ebx + MB1I_FLAGS], MB1_INFO_MEM
    jz .have_size
    mov ecx, [ebx + MB1I_MEM_UPPER] ; KiB above 1 MiB
    cmp ecx, (GUEST_MAP_LIMIT >> 10) - 1024
    jae .map_all
    add ecx, 1024
    shl ecx, 10
    jmp .have_size
.map_all:
    mov ecx, GUEST_MAP_LIMIT
.have_size:
    ; Always map the image itself (C reports a too-small RAM size later),
    ; never more than one page directory.
    cmp ecx, __image_end
    jae .not_small
    mov ecx, __image_end
.not_small:
    cmp ecx, GUEST_MAP_LIMIT
    jbe .not_big
    mov ecx, GUEST_MAP_LIMIT
.not_big:
    add ecx, (1 << PAGE_2M_SHIFT) - 1
    shr ecx, PAGE_2M_SHIFT          ; number of 2 MiB pages, 1..512
    mov [boot_pd_entries], ecx

    ; Zero the three table pages ourselves: do not trust the loader with bss
    ; we are about to depend on.
    xor eax, eax
    mov edi, boot_pml4
    push ecx
    mov ecx, 1024
    rep stosd
    mov edi, boot_pdpt
    mov ecx, 1024
    rep stosd
    mov edi, boot_pd
    mov ecx, 1024
    rep stosd
    pop ecx

    mov edi, boot_pd
    mov eax, PTE_P | PTE_RW | PTE_PS
.fill_pd:
    mov [edi], eax                  ; high dword stays 0: below 4 GiB
    add eax, 1 << PAGE_2M_SHIFT
    add edi, 8
    dec ecx
    jnz .fill_pd
    mov dword [boot_pdpt], boot_pd + (PTE_P | PTE_RW)
    mov dword [boot_pml4], boot_pdpt + (PTE_P | PTE_RW)

    ; Long mode: GDT, PAE, CR3, EFER.LME, then paging turns on IA-32e mode.
    lgdt [guest_gdt_ptr]
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, boot_pml4
    mov cr3, eax
    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG
    mov cr0, eax
    jmp SEL_CODE64:long_mode

bits 64
long_mode:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov rsp, guest_stacks + GUEST_STACK_SIZE
    xor ebp, ebp
    mov edi, [boot_magic]
    mov esi, [boot_info]
    call guest_main
.hang:
    cli
    hlt
    jmp .hang

; No executable stack wanted: tell the linker so.
section .note.GNU-stack noalloc noexec nowrite progbits
