/*
 * The scheduler's machine interface in the hypervisor: TSC, per-CPU data,
 * wake IPIs, and its locks (one per pCPU run queue and one per VM), each on
 * a cache line of its own so that pCPUs taking their own queue's lock do
 * not share a line.
 * The locks are FIFO tickets, except under a policy with one lock for every
 * pCPU (rr, gang) when pvhv runs under a hypervisor (CPUID's hypervisor
 * bit), where they are test-and-set. There a pCPU can be descheduled by
 * the host while it waits its turn: under QEMU TCG, 16 pCPUs are 16 host
 * threads on however many host cores, and every pCPU behind a descheduled
 * one in the ticket queue waited for the host to run it again. rr and gang
 * at 16 pCPUs x 4 VMs of 16 vCPUs then took about a second per slice
 * (pCPU 15: 429 guest entries in 120 s) and hit the 120 s timeout; with
 * test-and-set the same run finished in 17 s. cfs's per-queue locks are
 * rarely contended and stay tickets.
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

static int unfair;             /* test-and-set instead of tickets */

void sched_port_init(int one_lock)
{
    uint32_t a, b, c, d;
    cpuid(CPUID_FEATURES, 0, &a, &b, &c, &d);
    unfair = one_lock && (c & CPUID_1_ECX_HYPERVISOR);
}

const char *sched_port_lock_kind(void) { return unfair ? "tas" : "ticket"; }

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
void sched_port_lock(unsigned lock)
{
    if (unfair)
        spin_lock_unfair(&sched_locks[lock].l);
    else
        spin_lock(&sched_locks[lock].l);
}
int sched_port_trylock(unsigned lock) { return spin_trylock(&sched_locks[lock].l); }
void sched_port_unlock(unsigned lock) { spin_unlock(&sched_locks[lock].l); }
