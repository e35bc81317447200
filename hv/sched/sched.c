/*
 * The vCPU state machine (NEW -> RUNNABLE <-> RUNNING -> BLOCKED -> RUNNABLE
 * ... -> DONE), co-run accounting and directed yield, over the policy's run
 * queue. One lock protects every entity's state and the queue; the wake and
 * kick paths set their flag first and take the lock second, and the
 * blocking path re-checks the flags under the lock, so no wake-up is lost.
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

uint64_t sched_tick_deadline(struct sched_cpu *cpu)
{
    uint64_t now = sched_port_now();
    if (!policy->tick_deadline)
        return now + sched_slice_cycles;
    uint64_t f = sched_port_lock();
    uint64_t d = policy->tick_deadline(cpu, now);
    sched_port_unlock(f);
    return d;
}
const char *sched_policy_name(void) { return policy ? policy->name : "none"; }

void sched_group_add(struct sched_group *g)
{
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
   runnable but not running (what gang scheduling exists to avoid). */
static void account_group(struct sched_group *g, uint64_t now)
{
    if (g->nr_running && g->nr_runnable)
        g->coskew_cycles += now - g->skew_since;
    g->skew_since = now;
}

/* Called with the lock held, after any run-queue change for e. */
static void set_state(struct sched_entity *e, enum vcpu_state s)
{
    uint64_t now = sched_port_now();
    enum vcpu_state from = e->state;
    struct sched_group *g = e->group;

    e->stats.state_cycles[from] += now - e->state_since;
    e->state_since = now;
    account_group(g, now);
    g->nr_running -= from == VCPU_RUNNING;
    g->nr_runnable -= from == VCPU_RUNNABLE;
    g->nr_running += s == VCPU_RUNNING;
    g->nr_runnable += s == VCPU_RUNNABLE;
    if (s == VCPU_RUNNING)
        for (unsigned i = 0; i < sched_nr_groups; i++)
            if (sched_groups[i] != g && sched_groups[i]->nr_running)
                sched_stats.cross_vm_overlaps++;
    e->state = s;
    if (policy->state_changed)
        policy->state_changed(e, from, s);
}

static void wake_idle_pcpu(void)
{
    unsigned me = sched_port_this_cpu();
    for (unsigned i = 0; i < sched_nr_cpus; i++) {
        if (sched_cpus[i].idle && i != me) {
            sched_port_poke(i);
            return;
        }
    }
}

void sched_wake_idle_all(void)
{
    unsigned me = sched_port_this_cpu();
    for (unsigned i = 0; i < sched_nr_cpus; i++)
        if (sched_cpus[i].idle && i != me)
            sched_port_poke(i);
}

void sched_force_resched(struct sched_cpu *cpu)
{
    sched_port_resched(cpu->index);
}

static int any_idle_pcpu(void)
{
    for (unsigned i = 0; i < sched_nr_cpus; i++)
        if (sched_cpus[i].idle)
            return 1;
    return 0;
}

/* Wake-up preemption (boost=on), like CFS gives a task that slept: with no
   idle pCPU, the pCPU whose entity has run longest gives way at once
   instead of at its slice end. Policies with their own rules (gang) opt
   out. */
static void preempt_for_wakeup(void)
{
    struct sched_cpu *victim = 0;
    uint64_t oldest = UINT64_MAX;

    if (policy->must_leave || any_idle_pcpu())
        return;
    for (unsigned i = 0; i < sched_nr_cpus; i++) {
        struct sched_entity *cur = sched_cpus[i].current;
        if (cur && cur->state == VCPU_RUNNING && cur->state_since < oldest) {
            oldest = cur->state_since;
            victim = &sched_cpus[i];
        }
    }
    if (victim) {
        sched_stats.wakeup_preemptions++;
        sched_force_resched(victim);
    }
}

static void make_runnable(struct sched_entity *e, int front)
{
    policy->enqueue(e, front);
    set_state(e, VCPU_RUNNABLE);
    wake_idle_pcpu();
}

/* Lock held: move a queued entity to the front of its queue. */
static void to_front(struct sched_entity *e)
{
    policy->remove(e);
    policy->enqueue(e, 1);
}

void sched_start(struct sched_entity *e)
{
    uint64_t f = sched_port_lock();
    e->state_since = sched_port_now();
    if (e->state == VCPU_NEW && !e->group->finished)
        make_runnable(e, 0);
    sched_port_unlock(f);
}

void sched_notify(struct sched_entity *e, int kick)
{
    uint64_t f = sched_port_lock();
    __atomic_store_n(&e->notify, 1, __ATOMIC_SEQ_CST);
    if (e->state == VCPU_BLOCKED) {
        if (kick || irq_wakeable(e)) {
            /* This wake-up completes the HLT; the latch is spent on it. */
            __atomic_store_n(&e->kicked, 0, __ATOMIC_SEQ_CST);
            if (kick)
                e->kick_tsc = sched_port_now();
            make_runnable(e, boost && !policy->own_wakeup);
            if (boost && !policy->own_wakeup)
                preempt_for_wakeup();
        }
    } else if (e->state == VCPU_RUNNABLE && boost && !policy->own_wakeup) {
        to_front(e);
    } else if (e->state == VCPU_RUNNING && e->pcpu >= 0 &&
               (unsigned)e->pcpu != sched_port_this_cpu()) {
        sched_port_poke((unsigned)e->pcpu);
    }
    sched_port_unlock(f);
}

void sched_group_finish(struct sched_group *g)
{
    uint64_t f = sched_port_lock();
    g->finished = 1;
    for (unsigned i = 0; i < g->nr; i++) {
        struct sched_entity *e = g->members[i];
        if (e->state == VCPU_RUNNABLE)
            policy->remove(e);
        if (e->state == VCPU_RUNNING) {
            e->notify = 1;
            if (e->pcpu >= 0 && (unsigned)e->pcpu != sched_port_this_cpu())
                sched_port_poke((unsigned)e->pcpu);
        } else if (e->state != VCPU_DONE) {
            set_state(e, VCPU_DONE);
        }
    }
    sched_port_unlock(f);
}

int sched_yield_to(struct sched_entity *e, struct sched_entity *target)
{
    int yielded = 0;
    uint64_t f = sched_port_lock();
    if (target != e && target->state == VCPU_RUNNABLE) {
        to_front(target);
        e->stats.directed_yields++;
        yielded = 1;
    } else {
        e->stats.yields_no_candidate++;
    }
    sched_port_unlock(f);
    return yielded;
}

/* May c be a directed-yield target? KVM's kvm_vcpu_on_spin takes only
   vCPUs that are ready to run but preempted (here: RUNNABLE), and a vCPU
   that is itself in a pause loop only every other time it is considered
   (kvm_vcpu_eligible_for_directed_yield), since it is probably a waiter
   too. */
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
    if (!params.kick_yield || target->state != VCPU_RUNNABLE)
        return 0;
    int yielded = sched_yield_to(e, target);
    if (yielded)
        e->stats.kick_yields++;
    return yielded;
}

int sched_yield_to_sibling(struct sched_entity *e)
{
    struct sched_group *g = e->group;
    int yielded = 0;
    uint64_t f = sched_port_lock();
    /* From the sibling after the last one boosted, round the VM, so
       siblings take turns (KVM's last_boosted_vcpu). */
    for (unsigned i = 1; i <= g->nr && !yielded; i++) {
        unsigned idx = (g->last_boosted + i) % g->nr;
        struct sched_entity *c = g->members[idx];
        if (c != e && yield_candidate(c)) {
            to_front(c);
            g->last_boosted = idx;
            yielded = 1;
        }
    }
    /* The yielder leaves its pCPU in a pause loop: until it runs again it
       is itself a poor target. */
    e->in_spin_loop = yielded;
    e->dy_eligible = 0;
    if (yielded)
        e->stats.directed_yields++;
    else
        e->stats.yields_no_candidate++;
    sched_port_unlock(f);
    return yielded;
}

struct sched_entity *sched_pick(struct sched_cpu *cpu)
{
    uint64_t f = sched_port_lock();
    struct sched_entity *e = policy->pick(cpu);
    if (e) {
        uint64_t now = sched_port_now();
        if (e->kick_tsc) {
            pv_hist_add(&e->stats.kick_to_run, now - e->kick_tsc);
            e->kick_tsc = 0;
        }
        set_state(e, VCPU_RUNNING);
        e->in_spin_loop = 0;
        e->pcpu = (int)cpu->index;
        e->stats.switches++;
        if (e->last_pcpu >= 0 && e->last_pcpu != (int)cpu->index)
            e->stats.migrations++;
        e->last_pcpu = (int)cpu->index;
        cpu->current = e;
    }
    sched_port_unlock(f);
    return e;
}

void sched_put(struct sched_entity *e, enum sched_put_how how)
{
    uint64_t f = sched_port_lock();
    struct sched_cpu *cpu = &sched_cpus[e->pcpu];
    if (cpu->current == e)
        cpu->current = 0;
    e->pcpu = -1;
    if (e->group->finished) {
        set_state(e, VCPU_DONE);
    } else if (how == SCHED_PUT_BLOCK) {
#ifdef PVHV_MUTANT_no_kicked_latch      /* planted bug: make test-mutants */
        __atomic_store_n(&e->kicked, 0, __ATOMIC_RELEASE);
#endif
        if (__atomic_exchange_n(&e->kicked, 0, __ATOMIC_ACQ_REL) || irq_wakeable(e))
            make_runnable(e, 0);
        else
            set_state(e, VCPU_BLOCKED);
    } else {
        if (how == SCHED_PUT_PREEMPT)
            e->stats.preemptions++;
        make_runnable(e, 0);
    }
    sched_port_unlock(f);
}

int sched_must_leave(struct sched_cpu *cpu, struct sched_entity *e)
{
    uint64_t f = sched_port_lock();
    int r = policy->must_leave ? policy->must_leave(cpu, e) : policy->has_runnable(cpu);
    sched_port_unlock(f);
    return r;
}

int sched_idle_enter(struct sched_cpu *cpu)
{
    uint64_t f = sched_port_lock();
    int work = policy->has_runnable(cpu);
    if (!work)
        cpu->idle = 1;
    sched_port_unlock(f);
    return !work;
}

void sched_idle_exit(struct sched_cpu *cpu) { cpu->idle = 0; }
