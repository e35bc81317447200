/*
 * Lock accounting for the phenomenon pvhv studies. Times are TSC spans; the
 * parts of them the vCPU spent preempted come from steal time, so "spin"
 * is time the vCPU was on a pCPU and spinning, "halt" time it was halted in
 * the slow path, both as fractions of the time it was not kept off a pCPU
 * (task time minus steal). Preemptions are counted exactly: the hypervisor
 * adds to the high half of a word at each preemption, and the one lock xadd
 * that opens or closes our window returns that half (see pv_abi.h).
 */
#include "lockinfo.h"

#include "cpu.h"
#include "env.h"
#include "fmt.h"
#include "hypercall.h"
#include "percpu.h"
#include "pv_abi.h"
#include "steal.h"

#define NS_PER_S 1000000000ull

struct lockinfo_cpu {
    struct lockinfo_stats st;
    uint64_t task_t0, task_s0;
    uint64_t held_seq, held_steal;  /* at the start of the current section */
} __attribute__((aligned(64)));

static struct pv_lockinfo pages[PV_MAX_VCPUS] __attribute__((aligned(PV_LOCKINFO_ALIGN)));
static struct lockinfo_cpu cpus[PV_MAX_VCPUS];

static uint32_t preempts(uint64_t word) { return (uint32_t)(word >> PV_LOCKINFO_PREEMPT_SHIFT); }

long lockinfo_register(unsigned cpu)
{
    if (!env.pv || cpu >= PV_MAX_VCPUS)
        return 0;
    /* Identity-mapped: the page's address is its GPA. */
    return hypercall4(PV_HC_LOCKINFO, (uint64_t)(uintptr_t)&pages[cpu], PV_LOCKINFO_ENABLE,
                      0, 0);
}

void lockinfo_task_begin(unsigned cpu)
{
    struct lockinfo_cpu *c = &cpus[cpu];
    c->st = (struct lockinfo_stats){ 0 };
    c->task_s0 = steal_ns(cpu);
    c->task_t0 = rdtsc();
}

void lockinfo_task_end(unsigned cpu)
{
    struct lockinfo_cpu *c = &cpus[cpu];
    c->st.task_cycles = rdtsc() - c->task_t0;
    c->st.task_steal_ns = steal_ns(cpu) - c->task_s0;
}

void lockinfo_lock(pv_spinlock_t *lock)
{
    unsigned cpu = this_cpu();
    struct lockinfo_cpu *c = &cpus[cpu];
    struct pv_lockinfo *p = &pages[cpu];
    uint64_t s0 = steal_ns(cpu), t0 = rdtsc();
    uint64_t w0 = __atomic_fetch_add(&p->waiting, 1, __ATOMIC_SEQ_CST);

    pv_spin_lock(lock);
    /* Steal before the held window opens: any preemption inside it shows
       as steal growing between here and the read after it closes. */
    c->held_steal = steal_ns(cpu);
    c->held_seq = __atomic_fetch_add(&p->held, 1, __ATOMIC_SEQ_CST);
    uint64_t w1 = __atomic_fetch_sub(&p->waiting, 1, __ATOMIC_SEQ_CST);
    c->st.wait_cycles += rdtsc() - t0;
    c->st.wait_steal_ns += c->held_steal - s0;
    c->st.waiter_preempt += preempts(w1) - preempts(w0);
}

void lockinfo_unlock(pv_spinlock_t *lock)
{
    unsigned cpu = this_cpu();
    struct lockinfo_cpu *c = &cpus[cpu];
    uint64_t h1 = __atomic_fetch_sub(&pages[cpu].held, 1, __ATOMIC_SEQ_CST);
    uint32_t n = preempts(h1) - preempts(c->held_seq);

    c->st.lhp += n;
    c->st.lhp_sections += n != 0;
    c->st.steal_sections += steal_ns(cpu) != c->held_steal;
    pv_spin_unlock(lock);
}

void lockinfo_halt(void)
{
    unsigned cpu = this_cpu();
    struct lockinfo_cpu *c = &cpus[cpu];
    uint64_t s0 = steal_ns(cpu), t0 = rdtsc();

    halt_irqs_off();
    c->st.halt_cycles += rdtsc() - t0;
    c->st.halt_steal_ns += steal_ns(cpu) - s0;
}

const struct lockinfo_stats *lockinfo_stats(unsigned cpu) { return &cpus[cpu].st; }

void lockinfo_add(struct lockinfo_stats *a, const struct lockinfo_stats *b)
{
    a->task_cycles += b->task_cycles;
    a->task_steal_ns += b->task_steal_ns;
    a->wait_cycles += b->wait_cycles;
    a->wait_steal_ns += b->wait_steal_ns;
    a->halt_cycles += b->halt_cycles;
    a->halt_steal_ns += b->halt_steal_ns;
    a->lhp += b->lhp;
    a->lhp_sections += b->lhp_sections;
    a->steal_sections += b->steal_sections;
    a->waiter_preempt += b->waiter_preempt;
}

static uint64_t ns_to_cycles(uint64_t ns) { return muldiv64(ns, env.bi->tsc_hz, NS_PER_S); }

/* a - b, or 0 when steal (converted from ns) rounds past the TSC span. */
static uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

static uint64_t spin_cycles(const struct lockinfo_stats *s)
{
    uint64_t wait_on_cpu = minus(s->wait_cycles, ns_to_cycles(s->wait_steal_ns));
    return minus(wait_on_cpu, minus(s->halt_cycles, ns_to_cycles(s->halt_steal_ns)));
}

static uint64_t halt_cycles(const struct lockinfo_stats *s)
{
    return minus(s->halt_cycles, ns_to_cycles(s->halt_steal_ns));
}

static uint64_t run_cycles(const struct lockinfo_stats *s)
{
    return minus(s->task_cycles, ns_to_cycles(s->task_steal_ns));
}

void lockinfo_fracs(const struct lockinfo_stats *s, uint64_t *spin, uint64_t *halt,
                    uint64_t *waste)
{
    uint64_t run = run_cycles(s), sp = spin_cycles(s), h = halt_cycles(s);

    *spin = run ? muldiv64(sp < run ? sp : run, LOCKINFO_PARTS, run) : 0;
    *halt = run ? muldiv64(h < run ? h : run, LOCKINFO_PARTS, run) : 0;
    *waste = *spin + *halt < LOCKINFO_PARTS ? *spin + *halt : LOCKINFO_PARTS;
}

int lockinfo_json(char *buf, size_t n, const struct lockinfo_stats *s)
{
    uint64_t spin, halt, waste;

    lockinfo_fracs(s, &spin, &halt, &waste);
    return pv_snprintf(buf, n,
                       ",\"spin_waste\":%lu.%04lu,\"spin_frac\":%lu.%04lu,"
                       "\"halt_frac\":%lu.%04lu,\"spin_cycles\":%lu,\"halt_cycles\":%lu,"
                       "\"run_cycles\":%lu,\"lhp\":%lu,\"lhp_sections\":%lu,"
                       "\"steal_sections\":%lu,\"waiter_preempt\":%lu",
                       waste / LOCKINFO_PARTS, waste % LOCKINFO_PARTS,
                       spin / LOCKINFO_PARTS, spin % LOCKINFO_PARTS,
                       halt / LOCKINFO_PARTS, halt % LOCKINFO_PARTS, spin_cycles(s),
                       halt_cycles(s), run_cycles(s), s->lhp, s->lhp_sections,
                       s->steal_sections, s->waiter_preempt);
}
