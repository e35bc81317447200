/*
 * The run timeout and the end of the run. hv/virt/run.c calls these through
 * its hooks on the BSP; nothing below this file knows how a run ends.
 */
#include "end.h"

#include "report.h"
#include "core/console.h"
#include "core/nmi.h"
#include "core/time.h"
#include "core/x86.h"
#include "virt/exit.h"
#include "virt/run.h"
#include "virt/vm.h"
#include "virt/watchdog.h"

static uint64_t deadline_tsc;    /* 0 = none, or already fired */
static uint64_t timeout_ms;

static void check_timeout(void)
{
    if (!deadline_tsc || rdtsc() < deadline_tsc)
        return;
    deadline_tsc = 0;
    for (unsigned i = 0; i < nr_vms; i++) {
        if (vms[i].state != VM_RUNNING)
            continue;
        /* Say where every vCPU was: a hang is a bug to be found. */
        hv_printf("pvhv: vm%u timed out; its vCPUs:\n", vms[i].id);
        for (unsigned c = 0; c < vms[i].nr_vcpus; c++)
            vcpu_dump(&vms[i].vcpus[c], exit_dump_line);
        vm_finish(&vms[i], VM_KILLED, 0, "timeout: still running after timeout=%lu ms",
                  timeout_ms);
    }
}

static void bsp_tick(void)
{
    check_timeout();
    watchdog_tick();
    nmi_test_tick();
}

static const struct run_hooks hooks = {
    .bsp_tick = bsp_tick,
    .finish = report_and_finish,
};

void end_init(uint64_t ms)
{
    timeout_ms = ms;
    if (ms)
        deadline_tsc = rdtsc() + ns_to_cycles(ms * 1000000ull);
    run_set_hooks(&hooks);
}
