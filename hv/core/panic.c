/*
 * The panic dump. It uses the unlocked console (the lock may be held by the
 * CPU that crashed) and stops the other pCPUs before reporting the failure.
 */
#include "panic.h"

#include "console.h"
#include "fmt.h"
#include "idt.h"
#include "lapic.h"
#include "percpu.h"
#include "power.h"
#include "x86.h"

#include <stdarg.h>

static const char *const exception_names[VEC_EXCEPTIONS] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization",
    "#CP control protection", "reserved 22", "reserved 23", "reserved 24",
    "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31",
};

static volatile int panicking;
static panic_dump_fn dump_hook;

void panic_set_dump_hook(panic_dump_fn fn) { dump_hook = fn; }

static void dump(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = pv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    console_write_unlocked(buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1));
}

static void dump_cpu_and_vcpu(void)
{
    struct percpu *cpu = this_cpu();
    dump("pCPU %u (APIC %u): CR0=%lx CR2=%lx CR3=%lx CR4=%lx RFLAGS=%lx\n",
         cpu->index, cpu->apic_id, read_cr0(), read_cr2(), read_cr3(),
         read_cr4(), read_rflags());
    if (dump_hook)
        dump_hook(dump);
}

static void __attribute__((noreturn)) stop_and_fail(void)
{
    lapic_broadcast_others(VEC_STOP);
    power_finish(0, "hypervisor panic");
}

static void enter_panic(void)
{
    irq_disable();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL)) {
        for (;;)
            __asm__ volatile("cli; hlt");
    }
    console_break_lock();
}

void panic(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    enter_panic();
    va_start(ap, fmt);
    pv_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    dump("\nPANIC: %s\n", buf);
    dump_cpu_and_vcpu();
    stop_and_fail();
}

void panic_exception(struct trap_frame *f)
{
    enter_panic();
    dump("\nPANIC: exception %s (vector %lu, error %lx) in the hypervisor\n",
         exception_names[f->vector], f->vector, f->error);
    dump("RIP=%lx CS=%lx RFLAGS=%lx RSP=%lx SS=%lx\n", f->rip, f->cs,
         f->rflags, f->rsp, f->ss);
    dump("RAX=%lx RBX=%lx RCX=%lx RDX=%lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    dump("RSI=%lx RDI=%lx RBP=%lx R8=%lx\n", f->rsi, f->rdi, f->rbp, f->r8);
    dump("R9=%lx R10=%lx R11=%lx R12=%lx\n", f->r9, f->r10, f->r11, f->r12);
    dump("R13=%lx R14=%lx R15=%lx\n", f->r13, f->r14, f->r15);
    dump_cpu_and_vcpu();
    stop_and_fail();
}
