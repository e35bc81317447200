/*
 * The guest's exits.
 */
#include "end.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "hypercall.h"
#include "percpu.h"

void cpu_park(void)
{
    for (;;) {
        irq_disable();
        halt_irqs_off();
    }
}

static __attribute__((noreturn)) void end_vm(unsigned code)
{
    if (env.pv) {
        long r = hypercall4(PV_HC_VM_DONE, code, 0, 0, 0);
        kprintf("vcpu %u: VM_DONE(%u) returned %ld\n", this_cpu(), code, r);
    } else {
        outb(DEBUG_EXIT_PORT, code ? DEBUG_EXIT_FAIL : DEBUG_EXIT_PASS);
        kprintf("no isa-debug-exit device at port 0x%x; halting\n",
                DEBUG_EXIT_PORT);
    }
    cpu_park();
}

void guest_done(void)
{
    kprintf("guest: all tasks passed\n");
    end_vm(FAIL_NONE);
}

void guest_fail(enum guest_fail_code code, const char *why)
{
    kprintf("vcpu %u: guest FAILED (code %u): %s\n", this_cpu(), code, why);
    end_vm(code);
}
