/*
 * The vCPU state machine (NEW -> RUNNABLE <-> RUNNING -> BLOCKED -> RUNNABLE
 * ... -> DONE), co-run accounting and directed yield, over the policy's run
 * queues.
 *
 * Locking. There is no scheduler-wide lock. Each pCPU run queue has a lock
 * (port.h; policies without per_cpu_queues, rr and gang, use queue 0's for
 * their whole structure, so under them every pick, put and wake still
 * serialises on that one lock). The rule:
 *  - A RUNNABLE or RUNNING entity belongs to one queue (policy->rq_of) and
 *    its state, queue links and policy fields change under that queue's
 *    lock; sched_cpus[i].current under pCPU i's queue lock.
 *  - A BLOCKED or NEW entity belongs to no queue. The one caller whose
 *    compare-and-swap moves it to WAKING owns it, picks a queue
 *    (policy->select_rq, read without locks), locks that queue alone and
 *    queues it there: the remote-wake path takes only the target's lock.
 *  - Two queue locks are taken in index order (sched_lock_also for the
 *    policy's balancing, lock_pair for directed yield); a VM's accounting
 *    lock is the innermost. Interrupts are off from the first lock to the
 *    last unlock.
 *  - The exit path takes only its own queue's lock (slice tick, put, pick);
 *    notify and kick of a running or runnable vCPU take none for cfs.
 * No wake-up is lost: the waker stores its flag (the kicked latch, or a
 * pending interrupt) and then reads the state; the blocker publishes
 * BLOCKED as the last write of the entity and then reads the flags; both
 * with sequentially consistent accesses, so at least one sees the other,
 * and whichever then wins BLOCKED -> WAKING queues the entity. Likewise an
 * idle pCPU marks itself idle before it looks for work, and a waker looks
 * for idle pCPUs after it queued the entity.
 */
#include "sched.h"

#include "port.h"
#include "pvstring.h"

struct sched_stats sched_stats;
uint64_t sched_slice_cycles;
struct sched_cpu sched_cpus[SCHED_MAX_CPUS];
unsigned sched_nr_cpus;
struct sched_group *sched_groups[SCHED_MAX_GROUPS];
unsigned sched_nr_groups;

static const struct sched_policy *policy;
static struct sched_params params;
static uint64_t slice_us;
static int boost;
static int (*irq_wakeable)(struct sched_entity *e);

int sched_init(const struct sched_params *p)
{
    if (!strcmp(p->policy, "rr"))
        policy = &sched_rr;
    else if (!strcmp(p->policy, "gang"))
        policy = &sched_gang;
    else if (!strcmp(p->policy, "cfs"))
        policy = &sched_cfs;
    else
        return -1;
    sched_port_init(!policy->per_cpu_queues);
    params = *p;
    slice_us = p->slice_us;
    sched_slice_cycles = p->slice_cycles;
    boost = p->boost;
    irq_wakeable = p->irq_wakeable;
    sched_nr_cpus = p->nr_cpus;
    for (unsigned i = 0; i < p->nr_cpus; i++)
        sched_cpus[i] = (struct sched_cpu){ .index = i };
    sched_nr_groups = 0;
    memset(&sched_stats, 0, sizeof(sched_stats));
    if (policy->init)
        policy->init();
    return 0;
}

uint64_t sched_slice_us(void) { return slice_us; }
const struct sched_params *sched_params(void) { return &params; }
const char *sched_policy_name(void) { return policy ? policy->name : "none"; }

/* ---- locks ---- */

static unsigned rq_of_cpu(unsigned cpu) { return policy->per_cpu_queues ? cpu : 0; }
static unsigned rq_of(const struct sched_entity *e)
{
    return policy->per_cpu_queues ? policy->rq_of(e) : 0;
}

static uint64_t lock_rq(unsigned q)
{
    uint64_t f = sched_port_irq_save();
    sched_port_lock(q);
    return f;
}

static void unlock_rq(unsigned q, uint64_t f)
{
    sched_port_unlock(q);
    sched_port_irq_restore(f);
}

static void lock_pair(unsigned a, unsigned b)
{
    sched_port_lock(a < b ? a : b);
    if (a != b)
        sched_port_lock(a < b ? b : a);
}

static void unlock_pair(unsigned a, unsigned b)
{
    if (a != b)
        sched_port_unlock(b);
    sched_port_unlock(a);
}

/* Lock the queue that e belongs to (it may move while we wait); returns it. */
static unsigned lock_entity(const struct sched_entity *e)
{
    for (;;) {
        unsigned q = rq_of(e);
        sched_port_lock(q);
        if (rq_of(e) == q)
            return q;
        sched_port_unlock(q);
    }
}

/* Holding mine, also lock the queue e belongs to; returns it. */
static unsigned lock_entity_with(unsigned mine, const struct sched_entity *e)
{
    for (;;) {
        unsigned q = rq_of(e);
        lock_pair(mine, q);
        if (rq_of(e) == q)
            return q;
        unlock_pair(mine, q);
    }
}

int sched_lock_also(unsigned held, unsigned other)
{
    if (held < other) {
        sched_port_lock(other);
        return 0;
    }
    if (sched_port_trylock(other))
        return 0;
    sched_port_unlock(held);        /* keep the order: lower index first */
    sched_port_lock(other);
    sched_port_lock(held);
    return 1;
}

void sched_unlock_also(unsigned other) { sched_port_unlock(other); }

/* ---- groups and states ---- */

void sched_group_add(struct sched_group *g)
{
    g->slot = sched_nr_groups;
    sched_groups[sched_nr_groups++] = g;
}

void sched_entity_init(struct sched_entity *e, struct sched_group *g, unsigned index)
{
    e->state = VCPU_NEW;
    e->pcpu = -1;
    e->last_pcpu = -1;
    e->group = g;
    e->index = index;
    g->members[index] = e;
    if (index >= g->nr)
        g->nr = index + 1;
}

/* Co-run skew: time some entity of the group ran while a sibling was
   runnable but not running (what gang scheduling exists to avoid). Under
   the group's lock. */
static void account_group(struct sched_group *g, uint64_t now)
{
    if (g->nr_running && g->nr_runnable)
        g->coskew_cycles += now - g->skew_since;
    g->skew_since = now;
}

/* With the lock of e's queue held (or e claimed as WAKING), after any
   run-queue change for e. The new state is the last write: once it reads
   BLOCKED another pCPU may claim e. */
static void set_state(struct sched_entity *e, enum vcpu_state s)
{
    uint64_t now = sched_port_now();
    enum vcpu_state from = sched_queue_state(e);
    struct sched_group *g = e->group;

    e->stats.state_cycles[from] += now - e->state_since;
    e->state_since = now;
    sched_port_lock(SCHED_LOCK_GROUP(g->slot));
    account_group(g, now);
    g->nr_running -= from == VCPU_RUNNING;
    g->nr_runnable -= from == VCPU_RUNNABLE;
    g->nr_running += s == VCPU_RUNNING;
    g->nr_runnable += s == VCPU_RUNNABLE;
    __atomic_add_fetch(&g->gen, 1, __ATOMIC_SEQ_CST);
    sched_port_unlock(SCHED_LOCK_GROUP(g->slot));
    if (s == VCPU_RUNNING)
        for (unsigned i = 0; i < sched_nr_groups; i++)
            if (sched_groups[i] != g && __atomic_load_n(&sched_groups[i]->nr_running, __ATOMIC_RELAXED))
                SCHED_STAT_INC(cross_vm_overlaps);
    if (policy->state_changed)
        policy->state_changed(e, from, s);
    __atomic_store_n(&e->state, s, __ATOMIC_SEQ_CST);
}

/* BLOCKED or NEW -> WAKING: 1 if this caller now owns e. */
static int claim(struct sched_entity *e, enum vcpu_state from)
{
    enum vcpu_state expect = from;
    if (!__atomic_compare_exchange_n(&e->state, &expect, VCPU_WAKING, 0,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return 0;
    e->wake_from = from;
    return 1;
}

static void wake_idle_pcpu(void)
{
    unsigned me = sched_port_this_cpu();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);    /* queued before we look */
    for (unsigned i = 0; i < sched_nr_cpus; i++) {
        if (__atomic_load_n(&sched_cpus[i].idle, __ATOMIC_SEQ_CST) && i != me) {
            sched_port_poke(i);
            return;
        }
    }
}

void sched_wake_idle_all(void)
{
    unsigned me = sched_port_this_cpu();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < sched_nr_cpus; i++)
        if (__atomic_load_n(&sched_cpus[i].idle, __ATOMIC_SEQ_CST) && i != me)
            sched_port_poke(i);
}

void sched_force_resched(struct sched_cpu *cpu)
{
    sched_port_resched(cpu->index);
}

static int any_idle_pcpu(void)
{
    for (unsigned i = 0; i < sched_nr_cpus; i++)
        if (__atomic_load_n(&sched_cpus[i].idle, __ATOMIC_SEQ_CST))
            return 1;
    return 0;
}

/* Wake-up preemption (boost=on), like CFS gives a task that slept: with no
   idle pCPU, the pCPU whose entity has run longest gives way at once
   instead of at its slice end. Policies with their own rules (gang, cfs)
   opt out; the ones that use it have one lock for every pCPU, held. */
static void preempt_for_wakeup(void)
{
    struct sched_cpu *victim = 0;
    uint64_t oldest = UINT64_MAX;

    if (policy->must_leave || policy->per_cpu_queues || any_idle_pcpu())
        return;
    for (unsigned i = 0; i < sched_nr_cpus; i++) {
        struct sched_entity *cur = sched_cpus[i].current;
        if (cur && cur->state == VCPU_RUNNING && cur->state_since < oldest) {
            oldest = cur->state_since;
            victim = &sched_cpus[i];
        }
    }
    if (victim) {
        SCHED_STAT_INC(wakeup_preemptions);
        sched_force_resched(victim);
    }
}

int sched_boost_take(struct sched_entity *e)
{
    uint64_t now = sched_port_now();
    uint64_t start = __atomic_load_n(&e->boost_window, __ATOMIC_RELAXED);
    if (now - start >= sched_slice_cycles) {
        __atomic_store_n(&e->boost_window, now, __ATOMIC_RELAXED);
        __atomic_store_n(&e->boosts, 0, __ATOMIC_RELAXED);
    }
    if (__atomic_add_fetch(&e->boosts, 1, __ATOMIC_RELAXED) <= SCHED_BOOSTS_PER_SLICE)
        return 1;
    __atomic_add_fetch(&e->stats.boosts_limited, 1, __ATOMIC_RELAXED);
    SCHED_STAT_INC(boosts_limited);
    return 0;
}

/* Lock of e's queue held. */
static void make_runnable(struct sched_entity *e, int front)
{
    policy->enqueue(e, front);
    set_state(e, VCPU_RUNNABLE);
    wake_idle_pcpu();
}

/* With e's queue's lock: may a wake-up put e at the front? (rr.c) */
static int may_boost(const struct sched_entity *e)
{
    return !policy->may_boost || policy->may_boost(e);
}

/* Lock of e's queue held: move a queued entity to the front of its queue. */
static void to_front(struct sched_entity *e)
{
    policy->remove(e);
    policy->enqueue(e, 1);
}

/* e is WAKING and ours: queue it where the policy wants it (or end it if
   its VM finished meanwhile; rr: kick swaps). Only the target queue's lock. */
static void wake_claimed(struct sched_entity *e, int front)
{
    unsigned q = policy->per_cpu_queues ? policy->select_rq(e) : 0;
    e->wake_rq = (int)q;
    uint64_t f = lock_rq(q);
    int swap;
    if (__atomic_load_n(&e->group->finished, __ATOMIC_SEQ_CST)) {
        set_state(e, VCPU_DONE);
    } else if (front && e->wake_kick && policy->kick_swap && !any_idle_pcpu() &&
               (swap = policy->kick_swap(e)) >= 0) {   /* rr: take the kicker's pCPU */
        make_runnable(e, 1);
        sched_force_resched(&sched_cpus[swap]);
    } else {
        front = front && may_boost(e) && sched_boost_take(e);
        make_runnable(e, front);
        if (front)
            preempt_for_wakeup();
    }
    unlock_rq(q, f);
}

void sched_start(struct sched_entity *e)
{
    if (!claim(e, VCPU_NEW))
        return;
    e->wake_kick = 0;
    e->state_since = sched_port_now();
    wake_claimed(e, 0);
}

void sched_notify(struct sched_entity *e, int kick)
{
    __atomic_store_n(&e->notify, 1, __ATOMIC_SEQ_CST);
    enum vcpu_state s = __atomic_load_n(&e->state, __ATOMIC_SEQ_CST);
    int front = boost && !policy->own_wakeup;

    if (s == VCPU_BLOCKED) {
        if ((kick || irq_wakeable(e)) && claim(e, VCPU_BLOCKED)) {
            /* This wake-up completes the HLT; the latch is spent on it. */
            __atomic_store_n(&e->kicked, 0, __ATOMIC_SEQ_CST);
            if (kick)
                e->kick_tsc = sched_port_now();
            e->wake_kick = kick;
            wake_claimed(e, front);
        }
    } else if (s == VCPU_RUNNABLE && front) {
        uint64_t f = sched_port_irq_save();
        unsigned q = lock_entity(e);
        if (e->state == VCPU_RUNNABLE && may_boost(e) && sched_boost_take(e))
            to_front(e);
        unlock_rq(q, f);
    } else if (s == VCPU_RUNNING) {
        int cpu = __atomic_load_n(&e->pcpu, __ATOMIC_SEQ_CST);
        if (cpu >= 0 && (unsigned)cpu != sched_port_this_cpu())
            sched_port_poke((unsigned)cpu);
    }
}

/* One member of a finished VM: out of its queue, or poked off its pCPU. */
static void finish_entity(struct sched_entity *e)
{
    for (;;) {
        enum vcpu_state s = __atomic_load_n(&e->state, __ATOMIC_SEQ_CST);
        if (s == VCPU_DONE)
            return;
        if (s == VCPU_WAKING) {         /* its waker sees finished soon */
            __asm__ volatile("pause");
            continue;
        }
        if ((s == VCPU_BLOCKED || s == VCPU_NEW) && !claim(e, s))
            continue;
        uint64_t f = sched_port_irq_save();
        unsigned q = lock_entity(e);
        if (s == VCPU_RUNNABLE || s == VCPU_RUNNING) {
            if (e->state != s) {        /* it moved before we locked */
                unlock_rq(q, f);
                continue;
            }
        }
        if (s == VCPU_RUNNING) {
            __atomic_store_n(&e->notify, 1, __ATOMIC_SEQ_CST);
            if (e->pcpu >= 0 && (unsigned)e->pcpu != sched_port_this_cpu())
                sched_port_poke((unsigned)e->pcpu);
        } else {
            if (s == VCPU_RUNNABLE)
                policy->remove(e);
            set_state(e, VCPU_DONE);
        }
        unlock_rq(q, f);
        return;
    }
}

void sched_group_finish(struct sched_group *g)
{
    __atomic_store_n(&g->finished, 1, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < g->nr; i++)
        finish_entity(g->members[i]);
}

/* ---- yields (e runs on this pCPU, so its queue is stable) ---- */

int sched_yield_to(struct sched_entity *e, struct sched_entity *target)
{
    int yielded = 0;
    unsigned mine = rq_of(e);
    if (target != e && __atomic_load_n(&target->state, __ATOMIC_SEQ_CST) == VCPU_RUNNABLE) {
        uint64_t f = sched_port_irq_save();
        unsigned q = lock_entity_with(mine, target);
        if (target->state == VCPU_RUNNABLE) {
            to_front(target);
            yielded = 1;
        }
        unlock_pair(mine < q ? mine : q, mine < q ? q : mine);
        sched_port_irq_restore(f);
    }
    if (yielded)
        e->stats.directed_yields++;
    else
        e->stats.yields_no_candidate++;
    return yielded;
}

/* May c be a directed-yield target? KVM's kvm_vcpu_on_spin takes only
   vCPUs that are ready to run but preempted (here: RUNNABLE), and a vCPU
   that is itself in a pause loop only every other time it is considered
   (kvm_vcpu_eligible_for_directed_yield), since it is probably a waiter
   too. With c's queue locked. */
static int yield_candidate(struct sched_entity *c)
{
    if (c->state != VCPU_RUNNABLE)
        return 0;
    if (!c->in_spin_loop)
        return 1;
    int eligible = c->dy_eligible;
    c->dy_eligible = !c->dy_eligible;
    return eligible;
}

int sched_kick_yield(struct sched_entity *e, struct sched_entity *target)
{
    if (!params.kick_yield || __atomic_load_n(&target->state, __ATOMIC_SEQ_CST) != VCPU_RUNNABLE)
        return 0;
    int yielded = sched_yield_to(e, target);
    if (yielded)
        e->stats.kick_yields++;
    return yielded;
}

int sched_yield_to_sibling(struct sched_entity *e)
{
    struct sched_group *g = e->group;
    unsigned mine = rq_of(e);
    int yielded = 0;
    uint64_t f = sched_port_irq_save();
    /* From the sibling after the last one boosted, round the VM, so
       siblings take turns (KVM's last_boosted_vcpu). */
    unsigned last = __atomic_load_n(&g->last_boosted, __ATOMIC_RELAXED);
    for (unsigned i = 1; i <= g->nr && !yielded; i++) {
        unsigned idx = (last + i) % g->nr;
        struct sched_entity *c = g->members[idx];
        if (c == e || __atomic_load_n(&c->state, __ATOMIC_SEQ_CST) != VCPU_RUNNABLE)
            continue;
        unsigned q = lock_entity_with(mine, c);
        if (yield_candidate(c)) {
            to_front(c);
            __atomic_store_n(&g->last_boosted, idx, __ATOMIC_RELAXED);
            yielded = 1;
        }
        unlock_pair(mine < q ? mine : q, mine < q ? q : mine);
    }
    /* The yielder leaves its pCPU in a pause loop: until it runs again it
       is itself a poor target. */
    sched_port_lock(mine);
    e->in_spin_loop = yielded;
    e->dy_eligible = 0;
    sched_port_unlock(mine);
    sched_port_irq_restore(f);
    if (yielded)
        e->stats.directed_yields++;
    else
        e->stats.yields_no_candidate++;
    return yielded;
}

/* ---- the run loop's side: only this pCPU's own queue lock ---- */

uint64_t sched_tick_deadline(struct sched_cpu *cpu)
{
    uint64_t now = sched_port_now();
    if (!policy->tick_deadline)
        return now + sched_slice_cycles;
    unsigned q = rq_of_cpu(cpu->index);
    uint64_t f = lock_rq(q);
    uint64_t d = policy->tick_deadline(cpu, now);
    unlock_rq(q, f);
    return d;
}

struct sched_entity *sched_pick(struct sched_cpu *cpu)
{
    unsigned q = rq_of_cpu(cpu->index);
    uint64_t f = lock_rq(q);
    struct sched_entity *e = policy->pick(cpu);
    if (e) {
        uint64_t now = sched_port_now();
        if (e->kick_tsc) {
            pv_hist_add(&e->stats.kick_to_run, now - e->kick_tsc);
            e->kick_tsc = 0;
        }
        e->in_spin_loop = 0;
        __atomic_store_n(&e->pcpu, (int)cpu->index, __ATOMIC_SEQ_CST);
        e->stats.switches++;
        if (e->last_pcpu >= 0 && e->last_pcpu != (int)cpu->index)
            e->stats.migrations++;
        e->last_pcpu = (int)cpu->index;
        cpu->current = e;
        set_state(e, VCPU_RUNNING);
    }
    unlock_rq(q, f);
    return e;
}

void sched_put(struct sched_entity *e, enum sched_put_how how)
{
    struct sched_cpu *cpu = &sched_cpus[e->pcpu];
    unsigned q = rq_of(e);
    int recheck = 0;
    uint64_t f = lock_rq(q);
    if (cpu->current == e)
        cpu->current = 0;
    __atomic_store_n(&e->pcpu, -1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&e->group->finished, __ATOMIC_SEQ_CST)) {
        set_state(e, VCPU_DONE);
    } else if (how == SCHED_PUT_BLOCK) {
#ifdef PVHV_MUTANT_no_kicked_latch      /* planted bug: make test-mutants */
        __atomic_store_n(&e->kicked, 0, __ATOMIC_RELEASE);
#endif
        if (__atomic_exchange_n(&e->kicked, 0, __ATOMIC_ACQ_REL) || irq_wakeable(e)) {
            make_runnable(e, 0);
        } else {
            set_state(e, VCPU_BLOCKED);     /* others may claim e from here */
            recheck = 1;
        }
    } else {
        if (how == SCHED_PUT_PREEMPT)
            e->stats.preemptions++;
        make_runnable(e, 0);
    }
    unlock_rq(q, f);
    /* A kick or interrupt that came after our look but before BLOCKED was
       published saw e still running: it is ours to act on. */
    if (recheck && (__atomic_load_n(&e->kicked, __ATOMIC_SEQ_CST) || irq_wakeable(e)) &&
        claim(e, VCPU_BLOCKED)) {
        e->wake_kick = __atomic_exchange_n(&e->kicked, 0, __ATOMIC_SEQ_CST);
        wake_claimed(e, 0);
    }
}

int sched_must_leave(struct sched_cpu *cpu, struct sched_entity *e)
{
    unsigned q = rq_of_cpu(cpu->index);
    uint64_t f = lock_rq(q);
    int r = policy->must_leave ? policy->must_leave(cpu, e) : policy->has_runnable(cpu);
    unlock_rq(q, f);
    return r;
}

int sched_idle_enter(struct sched_cpu *cpu)
{
    unsigned q = rq_of_cpu(cpu->index);
    uint64_t f = lock_rq(q);
    /* Idle before looking: a waker that queues after our look sees it. */
    __atomic_store_n(&cpu->idle, 1, __ATOMIC_SEQ_CST);
    int work = policy->has_runnable(cpu);
    if (work)
        __atomic_store_n(&cpu->idle, 0, __ATOMIC_SEQ_CST);
    unlock_rq(q, f);
    return !work;
}

void sched_idle_exit(struct sched_cpu *cpu) { __atomic_store_n(&cpu->idle, 0, __ATOMIC_SEQ_CST); }
