/*
 * task=abi's ring-3 hypercall (issue 13 item 10): the one place the guest
 * drops to user mode, kept apart from the checks that use it.
 */
#include "abi_user.h"

#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "gdt.h"
#include "paging.h"
#include "pv_abi.h"

/*
 * Issues hypercall nr (argument a0 in RBX, a1 in RCX) from ring 3 and
 * returns RAX. SYSRET drops to ring 3 and SYSCALL comes back, so no TSS
 * or user segments are needed; interrupts stay off throughout (a ring-3
 * interrupt would need a TSS stack), and the ring-3 code touches no memory.
 * Only the 2 MiB page holding this code is opened to user mode meanwhile.
 */
__attribute__((noinline)) long abi_user_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, int amd_cpu)
{
    uint64_t is_amd = (uint64_t)(amd_cpu != 0);
    uintptr_t code = (uintptr_t)&abi_user_hypercall;
    long ret;

    unsigned long flags = irq_save_flags();
    irq_disable();
    uint64_t efer = rdmsr(MSR_EFER), star = rdmsr(MSR_STAR);
    uint64_t lstar = rdmsr(MSR_LSTAR), sfmask = rdmsr(MSR_SFMASK);
    wrmsr(MSR_EFER, efer | EFER_SCE);
    wrmsr(MSR_STAR, (uint64_t)SEL_CODE64 << STAR_SYSCALL_CS_SHIFT |
                    (uint64_t)SEL_DATA << STAR_SYSRET_CS_SHIFT);
    wrmsr(MSR_SFMASK, 0);
    if (paging_user_access(code, 1) || paging_user_access(code + PAGE_SIZE, 1)) {
        kprintf("abi: abi_user_hypercall at 0x%lx is outside the boot map\n", code);
        ret = -PV_EFAULT - 1000;
    } else {
        /* Set just before the asm: no call may come in between. */
        register uint64_t amd __asm__("r8") = is_amd;
        register uint64_t arg1 __asm__("r9") = a1;
        __asm__ volatile(
            "mov %[lstar_msr], %%ecx\n\t"
            "lea 2f(%%rip), %%rax\n\t"
            "mov %%rax, %%rdx\n\t"
            "shr $32, %%rdx\n\t"
            "wrmsr\n\t"
            "lea 1f(%%rip), %%rcx\n\t"
            "mov %[uflags], %%r11\n\t"
            "sysretq\n"
            "1:\n\t"                     /* ring 3 */
            "mov %%rdi, %%rax\n\t"
            "mov %%r9, %%rcx\n\t"
            "test %%r8, %%r8\n\t"
            "jnz 3f\n\t"
            "vmcall\n\t"
            "jmp 4f\n"
            "3:\n\t"
            "vmmcall\n"
            "4:\n\t"
            "syscall\n"
            "2:\n\t"                     /* ring 0 again */
            : "=a"(ret)
            : "D"(nr), "b"(a0), "r"(amd), "r"(arg1), [lstar_msr] "i"(MSR_LSTAR),
              [uflags] "i"(RFLAGS_RESERVED1)
            : "rcx", "rdx", "r11", "memory", "cc");
    }
    paging_user_access(code, 0);
    paging_user_access(code + PAGE_SIZE, 0);
    wrmsr(MSR_LSTAR, lstar);
    wrmsr(MSR_SFMASK, sfmask);
    wrmsr(MSR_STAR, star);
    wrmsr(MSR_EFER, efer);
    irq_restore_flags(flags);
    return ret;
}
