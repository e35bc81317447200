/*
 * The simulated machine of the scheduler unit tests (sched_sim.h says
 * what it offers): sched/port.h over a simulated clock and pCPUs, and a
 * step that drives pick, put, wake, block, yield and the slice tick the
 * way hv/virt/run.c does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sched_sim.h"

/* ---- sched/port.h ---- */
uint64_t now;
unsigned cur_cpu;
int need_resched[SCHED_MAX_CPUS];
static unsigned pokes[SCHED_MAX_CPUS];
int irq_ok[MAX_ENT * 4];     /* by entity slot: "IF set, vector pending" */

int port_one_lock = -1;
void sched_port_init(int one_lock) { port_one_lock = one_lock; }
uint64_t sched_port_now(void) { return now; }
unsigned sched_port_this_cpu(void) { return cur_cpu; }
void sched_port_poke(unsigned cpu) { pokes[cpu]++; }
void sched_port_resched(unsigned cpu)
{
    need_resched[cpu] = 1;
    if (cpu != cur_cpu)
        pokes[cpu]++;
}
/* The locking rule of sched.c, checked: locks only with interrupts off,
   never twice, and (except by trylock) only above every lock held. */
static int held[SCHED_LOCKS], irq_off;
uint64_t sched_port_irq_save(void) { return (uint64_t)irq_off++; }
void sched_port_irq_restore(uint64_t flags) { irq_off = (int)flags; }
void sched_port_lock(unsigned l)
{
    assert_true(l < SCHED_LOCKS && irq_off > 0);
    for (unsigned i = l; i < SCHED_LOCKS; i++)
        assert_int_equal(held[i], 0);
    held[l] = 1;
}
int sched_port_trylock(unsigned l)
{
    assert_true(l < SCHED_LOCKS && irq_off > 0 && !held[l]);
    held[l] = 1;
    return 1;
}
void sched_port_unlock(unsigned l)
{
    assert_int_equal(held[l], 1);
    held[l] = 0;
}

/* ---- simulated VMs ---- */
struct sched_group groups[SCHED_MAX_GROUPS];
struct sched_entity ents[MAX_ENT];
unsigned nr_ents;

unsigned slot(struct sched_entity *e) { return (unsigned)(e - ents); }
static int wakeable(struct sched_entity *e) { return irq_ok[slot(e)]; }

int stagger_on;       /* rr's stagger= for the next setup_machine */
int kick_yield_on;    /* kick_yield= for the next setup_machine */
int sim_no_start;     /* setup_machine leaves the entities NEW */

void setup_machine(const char *policy, unsigned cpus, unsigned vms, unsigned vcpus, int boost)
{
    now = 1;
    cur_cpu = 0;
    memset(need_resched, 0, sizeof(need_resched));
    memset(pokes, 0, sizeof(pokes));
    memset(irq_ok, 0, sizeof(irq_ok));
    memset(groups, 0, sizeof(groups));
    memset(ents, 0, sizeof(ents));
    /* cfs knobs: Linux's defaults with one TICK standing for 1 ms. */
    struct sched_params p = { .policy = policy, .slice_us = 10, .slice_cycles = SLICE,
                              .boost = boost, .nr_cpus = cpus, .irq_wakeable = wakeable,
                              .stagger = stagger_on, .kick_yield = kick_yield_on,
                              .cfs_latency = 6 * TICK, .cfs_min_gran = 3 * TICK / 4,
                              .cfs_wakeup_gran = TICK, .cfs_tick = 4 * TICK,
                              .cfs_migration_cost = TICK / 2, .cfs_balance = 4 * TICK };
    assert_int_equal(sched_init(&p), 0);
    nr_ents = 0;
    for (unsigned g = 0; g < vms; g++) {
        groups[g].id = g;
        for (unsigned c = 0; c < vcpus; c++)
            sched_entity_init(&ents[nr_ents++], &groups[g], c);
        sched_group_add(&groups[g]);
    }
    for (unsigned i = 0; i < nr_ents && !sim_no_start; i++)
        sched_start(&ents[i]);
}

/* What each simulated pCPU is doing. */
struct sim_cpu {
    struct sched_entity *cur;
    uint64_t slice_end;
};
static struct sim_cpu sim[SCHED_MAX_CPUS];


uint64_t slice_ends[SCHED_MAX_CPUS][MAX_ENDS];  /* ticks that ended a slice */
unsigned nr_slice_ends[SCHED_MAX_CPUS];
static uint64_t wake_at[MAX_ENT];
unsigned ran_ticks[MAX_ENT];
static uint64_t runnable_since[MAX_ENT];
static uint64_t max_wait[MAX_ENT];
uint64_t overlap_ticks;   /* ticks in which two groups were RUNNING */

static void check_gang_exclusive(void)
{
    int seen = -1;
    for (unsigned i = 0; i < nr_ents; i++) {
        if (ents[i].state != VCPU_RUNNING)
            continue;
        if (seen >= 0 && (unsigned)seen != ents[i].group->id)
            overlap_ticks++;
        seen = (int)ents[i].group->id;
    }
}

static void note_waits(void)
{
    for (unsigned i = 0; i < nr_ents; i++) {
        if (ents[i].state == VCPU_RUNNABLE) {
            if (!runnable_since[i])
                runnable_since[i] = now;
            if (now - runnable_since[i] > max_wait[i])
                max_wait[i] = now - runnable_since[i];
        } else {
            runnable_since[i] = 0;
        }
    }
}

static void sim_step(unsigned cpus, const struct sim_rules *r, int gang_check)
{
    /* Kicks due now come from "another pCPU" (the last one). */
    for (unsigned i = 0; i < nr_ents; i++) {
        if (wake_at[i] && now >= wake_at[i]) {
            wake_at[i] = 0;
            cur_cpu = cpus - 1;
            __atomic_store_n(&ents[i].kicked, 1, __ATOMIC_SEQ_CST);
            sched_notify(&ents[i], 1);
        }
    }
    for (unsigned c = 0; c < cpus; c++) {
        struct sim_cpu *s = &sim[c];
        struct sched_cpu *scpu = &sched_cpus[c];
        cur_cpu = c;
        if (!s->cur) {
            sched_idle_exit(scpu);
            s->cur = sched_pick(scpu);
            if (!s->cur) {
                sched_idle_enter(scpu);
                continue;
            }
            assert_int_equal(s->cur->state, VCPU_RUNNING);
            assert_int_equal(s->cur->pcpu, (int)c);
            need_resched[c] = 0;
            s->slice_end = sched_tick_deadline(scpu);
        }
        struct sched_entity *e = s->cur;
        unsigned i = slot(e);
        ran_ticks[i]++;
        if (r->work == BLOCKS && ran_ticks[i] % r->block_every == 0) {
            wake_at[i] = now + r->wake_after * TICK;
            sched_put(e, SCHED_PUT_BLOCK);
            s->cur = 0;
            continue;
        }
        if (r->work == YIELDS && ran_ticks[i] % 3 == 0 && sched_yield_to_sibling(e)) {
            sched_put(e, SCHED_PUT_YIELD);
            s->cur = 0;
            continue;
        }
        if (now + TICK >= s->slice_end)
            need_resched[c] = 1;          /* the slice timer */
        if (need_resched[c]) {
            slice_ends[c][nr_slice_ends[c] < MAX_ENDS ? nr_slice_ends[c]++ : MAX_ENDS - 1] =
                now + TICK;
            if (sched_must_leave(scpu, e)) {
                sched_put(e, SCHED_PUT_PREEMPT);
                s->cur = 0;
                continue;
            }
            need_resched[c] = 0;
            now += TICK;              /* the next slice starts at the tick */
            s->slice_end = sched_tick_deadline(scpu);
            now -= TICK;
        }
    }
    if (gang_check)
        check_gang_exclusive();
    note_waits();
    now += TICK;
}

void sim_run(unsigned cpus, unsigned steps, const struct sim_rules *r, int gang_check)
{
    memset(sim, 0, sizeof(sim));
    memset(wake_at, 0, sizeof(wake_at));
    memset(ran_ticks, 0, sizeof(ran_ticks));
    memset(runnable_since, 0, sizeof(runnable_since));
    memset(max_wait, 0, sizeof(max_wait));
    memset(nr_slice_ends, 0, sizeof(nr_slice_ends));
    overlap_ticks = 0;
    for (unsigned t = 0; t < steps; t++)
        sim_step(cpus, r, gang_check);
}

/* Every entity's ticks are within `bound` of the mean. */
void assert_fair(unsigned bound)
{
    unsigned total = 0;
    for (unsigned i = 0; i < nr_ents; i++)
        total += ran_ticks[i];
    unsigned mean = total / nr_ents;
    for (unsigned i = 0; i < nr_ents; i++) {
        unsigned d = ran_ticks[i] > mean ? ran_ticks[i] - mean : mean - ran_ticks[i];
        if (d > bound)
            fail_msg("entity %u ran %u ticks, mean %u, bound %u", i, ran_ticks[i], mean, bound);
    }
}

double groups_jain(void)
{
    double per[SCHED_MAX_GROUPS] = { 0 }, sum = 0, squares = 0;
    for (unsigned i = 0; i < nr_ents; i++)
        per[ents[i].group->slot] += ran_ticks[i];
    for (unsigned g = 0; g < sched_nr_groups; g++) {
        sum += per[g];
        squares += per[g] * per[g];
    }
    return squares > 0 ? sum * sum / (sched_nr_groups * squares) : 1;
}

void assert_no_starvation(uint64_t bound)
{
    for (unsigned i = 0; i < nr_ents; i++)
        if (max_wait[i] > bound)
            fail_msg("entity %u waited %lu cycles runnable (bound %lu)", i,
                     (unsigned long)max_wait[i], (unsigned long)bound);
}

void assert_state_time_adds_up(void)
{
    for (unsigned i = 0; i < nr_ents; i++) {
        struct sched_entity *e = &ents[i];
        uint64_t sum = 0;
        for (unsigned s = 0; s < VCPU_STATES; s++)
            sum += e->stats.state_cycles[s];
        /* Every cycle since start is in some state, up to the current one. */
        assert_true(sum + (now - e->state_since) == now - 1);
    }
}
