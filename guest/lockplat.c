/*
 * Platform hooks for libpv/lock*.c inside the guest.
 */
#include "lockplat.h"
#include "cpu.h"
#include "env.h"
#include "hypercall.h"
#include "lockinfo.h"
#include "percpu.h"
#include "steal.h"

static unsigned plat_cpu_id(void) { return this_cpu(); }
static unsigned long plat_irq_save(void) { return irq_save_flags(); }
static void plat_irq_restore(unsigned long f) { irq_restore_flags(f); }
/* The lock calls this with interrupts off: only a kick (or the kicked latch
   set by an earlier kick) ends the halt. */
static void plat_halt(void) { lockinfo_halt(); }
static void plat_kick(unsigned cpu) { hc_kick_cpu(cpu); }
static void plat_relax(void) { cpu_relax(); }
static int plat_vcpu_is_preempted(unsigned cpu) { return vcpu_is_preempted(cpu); }

static struct pv_lock_platform plat = {
    .cpu_id = plat_cpu_id,
    .irq_save = plat_irq_save,
    .irq_restore = plat_irq_restore,
    .halt = plat_halt,
    .kick = plat_kick,
    .relax = plat_relax,
    .vcpu_is_preempted = plat_vcpu_is_preempted,
    .qnodes = guest_qnodes,
};

const struct pv_lock_platform *lockplat_get(void)
{
    int unhalt = pv_has(PV_FEATURE_PV_UNHALT);

    plat.nr_cpus = env.bi->nr_vcpus;
    /* Without PV_UNHALT (natively, say) nothing could wake a halted
       waiter: no halt and no kick, so pvticket spins like ticket and never
       issues a hypercall. */
    plat.halt = unhalt ? plat_halt : 0;
    plat.kick = unhalt ? plat_kick : 0;
    return &plat;
}

int lockplat_can_sleep(void)
{
    return pv_has(PV_FEATURE_PV_UNHALT);
}
