/*
 * The deadlock watchdog's actions (issue 13 item 8); the decision is
 * hv/sched/watchdog.c. Checked when a vCPU blocks, so a VM whose last
 * vCPU halts with nothing to wake it is killed by that HLT, and at each BSP
 * tick, which is what measures how long a wake-up has been pending.
 */
#include "watchdog.h"

#include "vcpu.h"
#include "vm.h"
#include "../core/console.h"
#include "../core/time.h"
#include "../sched/watchdog.h"

#define LOST_WAKEUP_NS 1000000000ul   /* a pending wake-up older than 1 s */
#define NS_PER_MS 1000000ul

void watchdog_check_vm(struct vm *vm)
{
    struct sched_wd_report r;

    if (vm->state != VM_RUNNING)
        return;
#ifdef PVHV_MUTANT_no_watchdog          /* planted bug: make test-mutants */
    return;
#endif
    switch (sched_watchdog_check(&vm->sg, ns_to_cycles(LOST_WAKEUP_NS), &r)) {
    case SCHED_WD_OK:
        return;
    case SCHED_WD_DEADLOCK:
        /* Registers only: the backend dump would have to load the control
           blocks of vCPUs that ran on other pCPUs. */
        hv_printf("pvhv: vm%u deadlocked; its vCPUs:\n", vm->id);
        for (unsigned c = 0; c < vm->nr_vcpus; c++) {
            struct vcpu *v = &vm->vcpus[c];
            hv_printf("pvhv:   vcpu%u %s kicked=%d RIP=0x%lx RFLAGS=0x%lx\n", c,
                      vcpu_state_names[v->se.state], v->se.kicked, v->regs.rip,
                      v->regs.rflags);
        }
        vm_finish(vm, VM_KILLED, 0, "deadlock: all %u started vCPUs halted with no kick, "
                  "IPI or timer pending", r.index);
        return;
    case SCHED_WD_LOST_WAKEUP:
        hv_printf("pvhv: vm%u vcpu%u: lost wake-up: blocked for %lu ms with %s pending\n",
                  vm->id, r.index, cycles_to_ns(r.pending_cycles) / NS_PER_MS,
                  r.kicked ? "a kick" : "an interrupt it can take");
        vm_finish(vm, VM_KILLED, 0, "lost wake-up (a pvhv bug): vcpu %u blocked for %lu ms "
                  "with %s pending", r.index, cycles_to_ns(r.pending_cycles) / NS_PER_MS,
                  r.kicked ? "a kick" : "an interrupt");
        return;
    }
}

void watchdog_tick(void)
{
    for (unsigned i = 0; i < nr_vms; i++)
        watchdog_check_vm(&vms[i]);
}
