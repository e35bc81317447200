/*
 * task=abi's exception checks (issue 13 item 10): pvhv intercepts #DB and
 * #AC - a guest whose delivery of one raises it again would otherwise lock
 * the CPU in microcode (CVE-2015-8104, CVE-2015-5307) - and must hand each
 * one back to the guest as the CPU would have: a single-step trap after
 * the stepped instruction with DR6.BS set, and a data breakpoint after the
 * write with DR6.B0 set (on VMX the hypervisor writes DR6 itself). That
 * each #DB arrives is a check; the DR6 bits are counted for the record:
 * Bochs' AMD models leave the VMCB's DR6 as it was on a #DB intercept
 * (hardware and QEMU set it first; KVM relies on that), so there the
 * guest sees no cause bit and only the platform is at fault.
 */
#include "abi_exc.h"

#include "arch.h"
#include "console.h"
#include "idt.h"

#define EXC_DB 1
#define DR6_B0 (1ul << 0)
#define DR6_BS (1ul << 14)
#define DR6_CLEAR 0xFFFF0FF0ul     /* DR6 with no cause bit set */
#define DR7_RESET 0x400ul
#define DR7_L0 (1ul << 0)
#define DR7_RW0_WRITE (1ul << 16)
#define DR7_LEN0_4 (3ul << 18)

static volatile uint32_t watched;
static unsigned dr6_ok;

static uint64_t read_dr6(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr6, %0" : "=r"(v));
    return v;
}

static void write_dr(int which, uint64_t v)
{
    if (which == 0)
        __asm__ volatile("mov %0, %%dr0" : : "r"(v) : "memory");
    else if (which == 6)
        __asm__ volatile("mov %0, %%dr6" : : "r"(v) : "memory");
    else
        __asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory");
}

static void single_step(void (*check)(const char *what, int ok))
{
    write_dr(6, DR6_CLEAR);
    idt_expect_fault(EXC_DB, 0);
    /* TF set by POPF traps after the instruction that follows it. */
    __asm__ volatile("pushfq\n\t"
                     "orq %0, (%%rsp)\n\t"
                     "popfq\n\t"
                     "nop" : : "i"(RFLAGS_TF) : "memory", "cc");
    int seen = idt_fault_seen();
    check("single-step #DB reflected", seen);
    dr6_ok += seen && (read_dr6() & DR6_BS);
}

/* CPUID always exits, so the CPU never sees it end: the hypervisor owes
   the single-step trap, with RIP right after the CPUID and DR6.BS set
   (it writes DR6 itself here, on every backend). Left to the CPU the
   trap comes one instruction late, after the NOP. */
static void single_step_over_exit(void (*check)(const char *what, int ok))
{
    uint32_t a = 0, c = 0;
    uint64_t after;

    write_dr(6, DR6_CLEAR);
    idt_expect_fault(EXC_DB, 0);
    __asm__ volatile("pushfq\n\t"
                     "orq %[tf], (%%rsp)\n\t"
                     "popfq\n\t"
                     "cpuid\n"
                     "1:\tnop\n\t"
                     "leaq 1b(%%rip), %[after]"
                     : [after] "=r"(after), "+a"(a), "+c"(c)
                     : [tf] "i"(RFLAGS_TF)
                     : "rbx", "rdx", "memory", "cc");
    int seen = idt_fault_seen();
    uint64_t rip = idt_fault_rip(), dr6 = read_dr6();
    int ok = seen && rip == after && (dr6 & DR6_BS);
    if (!ok)
        kprintf("abi: single step over CPUID: #DB %s at 0x%lx (want 0x%lx), DR6 0x%lx\n",
                seen ? "taken" : "not taken", rip, after, dr6);
    check("single-step trap right after an exiting instruction", ok);
}

static void data_breakpoint(void (*check)(const char *what, int ok))
{
    write_dr(6, DR6_CLEAR);
    write_dr(0, (uint64_t)(uintptr_t)&watched);
    write_dr(7, DR7_RESET | DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_4);
    idt_expect_fault(EXC_DB, 0);
    watched = watched + 1;
    int seen = idt_fault_seen();
    write_dr(7, DR7_RESET);
    check("data-breakpoint #DB reflected", seen);
    dr6_ok += seen && (read_dr6() & DR6_B0);
}

/* DR7.GD: the next MOV DR raises #DB (a fault, DR6.BD), and delivering
   it clears GD, so the handler may use the debug registers and the MOV,
   run again, goes through (SDM vol. 3B 17.2.4). A hypervisor that
   reflects an intercepted #DB must clear GD itself: the injected event
   does not (KVM clears it in kvm_inject_exception). Left set, the MOV
   faults again and again (seen under Bochs' AMD model with task=fuzz,
   "the resume point ... faulted 8 times"). The handler resumes at the
   MOV, so a second #DB there is an unexpected exception and ends the VM. */
#define DR7_GD (1ul << 13)
#define DR6_BD (1ul << 13)

static uint64_t read_dr7(void)
{
    uint64_t v;
    __asm__ volatile("mov %%dr7, %0" : "=r"(v) : : "memory");
    return v;
}

static unsigned gd_raised;

/* Returns the checks made: none where the platform raises no
   general-detect #DB at all (QEMU 7.2 TCG ignores DR7.GD). */
static unsigned general_detect(void (*check)(const char *what, int ok))
{
    write_dr(6, DR6_CLEAR);
    write_dr(7, DR7_RESET | DR7_GD);
    idt_expect_fault(EXC_DB, 0);
    uint64_t dr7 = read_dr7();
    int seen = idt_fault_seen();
    write_dr(7, DR7_RESET);
    if (!seen) {
        kprintf("abi: MOV DR with DR7.GD raised no #DB (DR7 0x%lx: the platform does "
                "not implement general detect)\n", dr7);
        return 0;
    }
    gd_raised = 1;
    if (dr7 & DR7_GD)
        kprintf("abi: general detect: DR7 read 0x%lx after the #DB\n", dr7);
    check("general-detect #DB reflected once, DR7.GD cleared", !(dr7 & DR7_GD));
    dr6_ok += (read_dr6() & DR6_BD) != 0;
    return 1;
}

unsigned abi_exc_run(void (*check)(const char *what, int ok))
{
    single_step(check);
    single_step_over_exit(check);
    data_breakpoint(check);
    return 3 + general_detect(check);
}

unsigned abi_exc_gd_raised(void) { return gd_raised; }

unsigned abi_exc_dr6_ok(void) { return dr6_ok; }
