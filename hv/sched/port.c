/*
 * The scheduler's machine interface in the hypervisor: TSC, per-CPU data,
 * wake IPIs and one interrupt-safe ticket lock for all scheduler state.
 */
#include "port.h"

#include "../core/idt.h"
#include "../core/lapic.h"
#include "../core/percpu.h"
#include "../core/spinlock.h"
#include "../core/x86.h"

static spinlock_t sched_lock = SPINLOCK_INIT;

uint64_t sched_port_now(void) { return rdtsc(); }
unsigned sched_port_this_cpu(void) { return this_cpu()->index; }

void sched_port_poke(unsigned cpu)
{
    lapic_send_ipi(percpus[cpu].apic_id, VEC_WAKE);
}

void sched_port_resched(unsigned cpu)
{
    percpus[cpu].need_resched = 1;
    if (cpu != this_cpu()->index)
        lapic_send_ipi(percpus[cpu].apic_id, VEC_WAKE);
}

uint64_t sched_port_lock(void) { return spin_lock_irqsave(&sched_lock); }
void sched_port_unlock(uint64_t flags) { spin_unlock_irqrestore(&sched_lock, flags); }
