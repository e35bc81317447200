/*
 * The guest's exits: VM_DONE under pvhv; natively the vm/end records, then
 * QEMU's isa-debug-exit and the Bochs shutdown port (whichever exists).
 */
#include "end.h"
#include "arch.h"
#include "console.h"
#include "cpu.h"
#include "env.h"
#include "hypercall.h"
#include "percpu.h"
#include "records.h"

void cpu_park(void)
{
    for (;;) {
        irq_disable();
        halt_irqs_off();
    }
}

static __attribute__((noreturn)) void end_vm(unsigned code, const char *why)
{
    if (env.pv) {
        long r = hypercall4(PV_HC_VM_DONE, code, 0, 0, 0);
        kprintf("vcpu %u: VM_DONE(%u) returned %ld\n", this_cpu(), code, r);
    } else {
        records_finish(code, why);      /* parks a second caller */
        outb(DEBUG_EXIT_PORT, code ? DEBUG_EXIT_FAIL : DEBUG_EXIT_PASS);
        for (const char *s = "Shutdown"; *s; s++)
            outb(PORT_BOCHS_SHUTDOWN, (uint8_t)*s);
        kprintf("no isa-debug-exit (port 0x%x) or Bochs shutdown port "
                "(0x%x): halting, %s\n", DEBUG_EXIT_PORT,
                PORT_BOCHS_SHUTDOWN, code ? "FAILED" : "passed");
    }
    cpu_park();
}

void guest_done(void)
{
    kprintf("guest: all tasks passed\n");
    end_vm(FAIL_NONE, "all tasks passed");
}

void guest_fail(enum guest_fail_code code, const char *why)
{
    kprintf("vcpu %u: guest FAILED (code %u): %s\n", this_cpu(), code, why);
    end_vm(code, why);
}
