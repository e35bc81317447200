/*
 * The scheduler's machine interface in the hypervisor: TSC, per-CPU data,
 * wake IPIs, and its ticket locks (one per pCPU run queue and one per VM),
 * each on a cache line of its own so that pCPUs taking their own queue's
 * lock do not share a line.
 */
#include "port.h"

#include "../core/idt.h"
#include "../core/lapic.h"
#include "../core/percpu.h"
#include "../core/spinlock.h"
#include "../core/x86.h"

#define LOCK_LINE_BYTES 64

static struct {
    spinlock_t l;
} __attribute__((aligned(LOCK_LINE_BYTES))) sched_locks[SCHED_LOCKS];

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

uint64_t sched_port_irq_save(void) { return irq_save(); }
void sched_port_irq_restore(uint64_t flags) { irq_restore(flags); }
void sched_port_lock(unsigned lock) { spin_lock(&sched_locks[lock].l); }
int sched_port_trylock(unsigned lock) { return spin_trylock(&sched_locks[lock].l); }
void sched_port_unlock(unsigned lock) { spin_unlock(&sched_locks[lock].l); }
