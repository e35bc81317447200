/*
 * The cfs policy: the paper's host, Linux's Completely Fair Scheduler, with
 * every vCPU one task of equal weight. Each pCPU has its own run queue
 * ordered by virtual runtime; the slice a vCPU gets is the scheduling
 * period shared among the queue (never less than the minimum granularity);
 * a woken vCPU preempts the running one only when it lags it by more than
 * the wake-up granularity; periodic and idle-time balancing move waiting
 * vCPUs between queues, leaving cache-hot ones (ran within the migration
 * cost) in place; and every pCPU ticks at its own phase. Departures from
 * Linux are listed in README.md ("sched=cfs").
 */
#include "sched.h"

#include "port.h"

#define NO_CPU (-1)
#define SCALE_CPUS_MAX 8       /* Linux's tunable scaling stops at 8 CPUs */

struct cfs_rq {
    struct sched_entity *head; /* queued entities, by vruntime (FIFO on ties) */
    unsigned nr_queued;        /* not counting the running one */
    uint64_t min_vruntime;     /* never decreases */
    struct sched_entity *next; /* buddy: a yield target or a preempting wakee */
    struct sched_entity *last; /* buddy: the vCPU a wakee preempted */
    struct sched_entity *skip; /* buddy: the vCPU that yielded */
    int resched;               /* wake-up preemption asked current to go */
    uint64_t next_balance;     /* clock of the next periodic balance */
    unsigned balance_failed;   /* balances that found only cache-hot vCPUs */
};

static struct cfs_rq rqs[SCHED_MAX_CPUS];
static uint64_t latency, min_gran, wakeup_gran, tick, migration_cost, balance_every;
static unsigned nr_latency;    /* queue length up to which the period is latency */
static uint64_t kick_lead;     /* how far a kicked wakee may lead and still go first */

static unsigned ilog2(unsigned n)
{
    unsigned l = 0;
    while (n >>= 1)
        l++;
    return l;
}

static void cfs_init(void)
{
    const struct sched_params *p = sched_params();
    unsigned cpus = sched_nr_cpus < SCALE_CPUS_MAX ? sched_nr_cpus : SCALE_CPUS_MAX;
    uint64_t factor = 1 + ilog2(cpus ? cpus : 1);   /* SCHED_TUNABLESCALING_LOG */

    latency = p->cfs_latency * factor;
    min_gran = p->cfs_min_gran * factor;
    wakeup_gran = p->cfs_wakeup_gran * factor;
    tick = p->cfs_tick ? p->cfs_tick : 1;
    migration_cost = p->cfs_migration_cost;
    balance_every = p->cfs_balance;
    kick_lead = latency / 2;
    nr_latency = min_gran ? (unsigned)((latency + min_gran - 1) / min_gran) : 1;
    for (unsigned i = 0; i < SCHED_MAX_CPUS; i++)
        rqs[i] = (struct cfs_rq){ .next_balance = balance_every };
}

static struct sched_entity *running_on(unsigned cpu) { return sched_cpus[cpu].current; }
static unsigned nr_running(unsigned cpu) { return rqs[cpu].nr_queued + (running_on(cpu) != 0); }

static void update_min_vruntime(unsigned cpu)
{
    struct cfs_rq *rq = &rqs[cpu];
    struct sched_entity *cur = running_on(cpu);
    uint64_t m = UINT64_MAX;
    if (cur)
        m = cur->cfs.vruntime;
    if (rq->head && rq->head->cfs.vruntime < m)
        m = rq->head->cfs.vruntime;
    if (m != UINT64_MAX && m > rq->min_vruntime)
        rq->min_vruntime = m;
}

/* Charge the running entity e (on cpu) for the time since it was last
   charged. Equal weights: virtual time is real time. */
static void update_curr(struct sched_entity *e, unsigned cpu, uint64_t now)
{
    uint64_t delta = now > e->cfs.exec_start ? now - e->cfs.exec_start : 0;
    e->cfs.vruntime += delta;
    e->cfs.sum_exec += delta;
    e->cfs.exec_start = now;
    update_min_vruntime(cpu);
}

static void insert(unsigned cpu, struct sched_entity *e)
{
    struct cfs_rq *rq = &rqs[cpu];
    struct sched_entity **p = &rq->head;
    while (*p && (*p)->cfs.vruntime <= e->cfs.vruntime)
        p = &(*p)->next;
    e->next = *p;
    *p = e;
    e->cfs.rq = (int)cpu;
    e->cfs.queued = 1;
    rq->nr_queued++;
}

/* A buddy is only a hint: it may have left this queue (run elsewhere,
   blocked, migrated) since it was set. Picking one that is not queued here
   would run a vCPU that is not ours, perhaps on two pCPUs at once. */
static int queued_here(const struct sched_entity *e, unsigned cpu)
{
    return e && e->cfs.queued && e->cfs.rq == (int)cpu;
}

/* Linux's clear_buddies: forget e as any buddy of rq (only e). */
static void clear_buddies(struct cfs_rq *rq, const struct sched_entity *e)
{
    if (rq->next == e)
        rq->next = 0;
    if (rq->last == e)
        rq->last = 0;
    if (rq->skip == e)
        rq->skip = 0;
}

static void unlink(struct sched_entity *e)
{
    if (!e->cfs.queued)
        return;
    struct cfs_rq *rq = &rqs[e->cfs.rq];
    struct sched_entity **p = &rq->head;
    while (*p && *p != e)
        p = &(*p)->next;
    if (*p)
        *p = e->next;
    e->next = 0;
    e->cfs.queued = 0;
    rq->nr_queued--;
    clear_buddies(rq, e);
}

/* The scheduling period for n runnable entities, and one entity's share. */
static uint64_t slice_of(unsigned n)
{
    uint64_t period = n > nr_latency ? n * min_gran : latency;
    return period / (n ? n : 1);
}

/* Linux's wakeup_preempt_entity: 1 if a is ahead of b (b has run more) by
   more than a wake-up granularity, -1 if not ahead at all, else 0. */
static int ahead_by_gran(const struct sched_entity *a, const struct sched_entity *b)
{
    if (b->cfs.vruntime <= a->cfs.vruntime)
        return -1;
    return b->cfs.vruntime - a->cfs.vruntime > wakeup_gran ? 1 : 0;
}

static int is_idle(unsigned cpu) { return !running_on(cpu) && !rqs[cpu].nr_queued; }

static unsigned least_loaded(void)
{
    unsigned best = 0;
    for (unsigned i = 1; i < sched_nr_cpus; i++)
        if (nr_running(i) < nr_running(best))
            best = i;
    return best;
}

/* select_task_rq_fair, reduced to one cache domain: the previous pCPU if
   idle, else an idle one, else the previous one. */
static unsigned wake_target(const struct sched_entity *e)
{
    if (e->last_pcpu < 0 || (unsigned)e->last_pcpu >= sched_nr_cpus)
        return least_loaded();
    unsigned prev = (unsigned)e->last_pcpu;
    if (is_idle(prev))
        return prev;
    for (unsigned k = 1; k < sched_nr_cpus; k++) {
        unsigned c = (prev + k) % sched_nr_cpus;
        if (is_idle(c))
            return c;
    }
    return prev;
}

static void kick_cpu(unsigned cpu)
{
    if (cpu != sched_port_this_cpu())
        sched_port_poke(cpu);
}

/* May e, woken by a pv kick, go before b (the vCPU it would preempt, or
   the leftmost at the pick)? If it leads b by at most kick_lead: half a
   latency, the most a sleeper's placement may differ from the queue's
   minimum (place_woken), so the kicked vCPU is never put further ahead
   than a vCPU that slept long would be. */
static int kick_may_lead(const struct sched_entity *e, const struct sched_entity *b)
{
    return e->cfs.vruntime <= b->cfs.vruntime + kick_lead;
}

/* A woken entity e was queued on cpu: preempt its current one if e lags
   it by more than the wake-up granularity, or, if a pv kick woke e and the
   current one is of e's VM (its kicker, see kick_target), if e does not
   lead it by more than kick_lead (boost=off: never). As in
   Linux's check_preempt_wakeup, the wakee becomes the next buddy, so the
   pick after the preemption runs it even if another queued vCPU is
   leftmost, and with at least nr_latency runnable the preempted one
   becomes the last buddy (LAST_BUDDY), to get the pCPU back after it. */
static void check_preempt_wakeup(unsigned cpu, struct sched_entity *e, uint64_t now)
{
    struct sched_entity *cur = running_on(cpu);
    if (!cur) {
        kick_cpu(cpu);
        return;
    }
    if (!sched_params()->boost || rqs[cpu].resched)
        return;
    update_curr(cur, cpu, now);
    int preempt = e->cfs.kicked && cur->group == e->group ? kick_may_lead(e, cur)
                                                           : ahead_by_gran(e, cur) == 1;
    if (preempt && sched_boost_take(e)) {
        rqs[cpu].next = e;
        if (nr_running(cpu) >= nr_latency)
            rqs[cpu].last = cur;
        rqs[cpu].resched = 1;
        SCHED_STAT_INC(wakeup_preemptions);
        sched_port_resched(cpu);
    }
}

/* A vCPU woken from HLT kept its vruntime, so the time it slept is credit:
   it is placed at most half a latency behind the queue's minimum
   (GENTLE_FAIR_SLEEPERS). Woken on another pCPU's queue, its vruntime is
   carried over relative to the two queues' minimums, as Linux does for a
   migrating task. */
static void place_woken(struct sched_entity *e, unsigned cpu)
{
    int from = e->cfs.rq;
    if (from >= 0 && (unsigned)from != cpu) {
        int64_t rel = (int64_t)(e->cfs.vruntime - rqs[from].min_vruntime);
        int64_t v = (int64_t)rqs[cpu].min_vruntime + rel;
        e->cfs.vruntime = v > 0 ? (uint64_t)v : 0;
    }
    uint64_t floor = rqs[cpu].min_vruntime > latency / 2
                   ? rqs[cpu].min_vruntime - latency / 2 : 0;
    if (e->cfs.vruntime < floor)
        e->cfs.vruntime = floor;
}

static void cfs_enqueue(struct sched_entity *e, int front)
{
    uint64_t now = sched_port_now();
    unsigned me = sched_port_this_cpu();

    switch (sched_queue_state(e)) {
    case VCPU_RUNNING: {        /* preempted or yielded: back on its queue */
        unsigned cpu = (unsigned)e->last_pcpu;
        update_curr(e, cpu, now);
        e->cfs.last_ran = now;
        rqs[cpu].resched = 0;
        insert(cpu, e);
        update_min_vruntime(cpu);
        break;
    }
    case VCPU_RUNNABLE: {       /* a directed-yield target: the next buddy */
        unsigned cpu = (unsigned)e->cfs.rq;
        insert(cpu, e);
        if (front) {
            rqs[cpu].next = e;
            if (running_on(me))
                rqs[me].skip = running_on(me);
            if (cpu != me && running_on(cpu)) {   /* yield_to's resched */
                rqs[cpu].resched = 1;
                sched_port_resched(cpu);
            }
        }
        break;
    }
    case VCPU_NEW: {            /* START_DEBIT: a new vCPU owes one slice */
        unsigned cpu = (unsigned)e->wake_rq;        /* cfs_select_rq's */
        e->cfs.vruntime = rqs[cpu].min_vruntime + slice_of(nr_running(cpu) + 1);
        e->cfs.exec_start = now;
        insert(cpu, e);
        kick_cpu(cpu);
        break;
    }
    default: {                  /* woken from HLT */
        unsigned cpu = (unsigned)e->wake_rq;        /* cfs_select_rq's */
        place_woken(e, cpu);
        e->cfs.kicked = e->wake_kick;
        insert(cpu, e);
        check_preempt_wakeup(cpu, e, now);
        break;
    }
    }
}

static void cfs_remove(struct sched_entity *e) { unlink(e); }

/* Locking (sched.c): a queue's entities, fields and buddies change under
   its pCPU's lock. Choosing a queue (least_loaded, wake_target,
   busiest_other) and place_woken read other queues' counts and minimums
   without their locks, as hints; moving an entity takes both queues. */
static unsigned cfs_rq_of(const struct sched_entity *e)
{
    return (unsigned)__atomic_load_n(&e->cfs.rq, __ATOMIC_RELAXED);
}

/* Departure (the convoy of README "sched=cfs"): a vCPU woken by a pv kick
   (PV_KICK_CPU) was handed a lock by its kicker, which runs on this pCPU
   and is of the same VM. Unless wake_target finds an idle pCPU, the
   kicked vCPU joins the kicker's queue, as Linux's wake-affine places a
   wakee beside a waker that is about to sleep, and there may preempt the
   kicker (check_preempt_wakeup): the pCPU time it takes is its own VM's.
   On its previous queue it would wait behind another VM's vCPU, which it
   rarely lags by a wake-up granularity, while the rest of its VM spins on
   the lock it holds. */
static unsigned kick_target(const struct sched_entity *e)
{
    unsigned t = wake_target(e), me = sched_port_this_cpu();
    if (is_idle(t) || me >= sched_nr_cpus)
        return t;
    const struct sched_entity *kicker = running_on(me);
    return kicker && kicker != e && kicker->group == e->group ? me : t;
}

static unsigned cfs_select_rq(struct sched_entity *e)
{
    if (sched_queue_state(e) == VCPU_NEW)
        return least_loaded();
    return e->wake_kick ? kick_target(e) : wake_target(e);
}

static void migrate(struct sched_entity *e, unsigned to)
{
    unsigned from = (unsigned)e->cfs.rq;
    unlink(e);
    e->cfs.vruntime = e->cfs.vruntime - rqs[from].min_vruntime + rqs[to].min_vruntime;
    if (e->cfs.vruntime < rqs[to].min_vruntime)
        e->cfs.vruntime = rqs[to].min_vruntime;
    insert(to, e);
    update_min_vruntime(from);
    update_min_vruntime(to);
}

static int cache_hot(const struct sched_entity *e, uint64_t now)
{
    return now - e->cfs.last_ran < migration_cost;
}

/* The queued entity of cpu that ran least recently (and is cold, unless
   allow_hot); NULL if none. */
static struct sched_entity *coldest(unsigned cpu, uint64_t now, int allow_hot)
{
    struct sched_entity *best = 0;
    for (struct sched_entity *e = rqs[cpu].head; e; e = e->next)
        if ((allow_hot || !cache_hot(e, now)) && (!best || e->cfs.last_ran < best->cfs.last_ran))
            best = e;
    return best;
}

static int busiest_other(unsigned cpu)
{
    int best = NO_CPU;
    for (unsigned i = 0; i < sched_nr_cpus; i++)
        if (i != cpu && rqs[i].nr_queued && nr_running(i) >= 2 &&
            (best == NO_CPU || nr_running(i) > nr_running((unsigned)best)))
            best = (int)i;
    return best;
}

/* Newly idle: pull one waiting entity from the busiest queue. Departure:
   Linux skips cache-hot tasks here and retries at later ticks; an idle
   pCPU here takes the coldest one at once. */
static void idle_pull(unsigned cpu, uint64_t now)
{
    int from = busiest_other(cpu);
    if (from == NO_CPU)
        return;
    sched_lock_also(cpu, (unsigned)from);
    struct sched_entity *e = coldest((unsigned)from, now, 1);
    if (e) {
        migrate(e, cpu);
        SCHED_STAT_INC(idle_pulls);
    }
    sched_unlock_also((unsigned)from);
}

/* Periodic balance from cpu: even out the number of runnable entities,
   half the difference at a time, moving only cache-cold ones until the
   imbalance has outlived a balance (Linux's cache_nice_tries of 1). */
static void periodic_balance(unsigned cpu, uint64_t now)
{
    int from = busiest_other(cpu);
    if (from == NO_CPU)
        return;
    sched_lock_also(cpu, (unsigned)from);
    if (nr_running((unsigned)from) < nr_running(cpu) + 2) {
        sched_unlock_also((unsigned)from);
        return;
    }
    unsigned move = (nr_running((unsigned)from) - nr_running(cpu)) / 2, moved = 0;
    int allow_hot = rqs[cpu].balance_failed > 1;
    while (moved < move) {
        struct sched_entity *e = coldest((unsigned)from, now, allow_hot);
        if (!e)
            break;
        migrate(e, cpu);
        moved++;
    }
    __atomic_add_fetch(&sched_stats.balance_pulls, moved, __ATOMIC_RELAXED);
    rqs[cpu].balance_failed = moved ? 0 : rqs[cpu].balance_failed + 1;
    sched_unlock_also((unsigned)from);
}

static struct sched_entity *cfs_pick(struct sched_cpu *scpu)
{
    unsigned cpu = scpu->index;
    struct cfs_rq *rq = &rqs[cpu];
    uint64_t now = sched_port_now();

    if (!rq->head)
        idle_pull(cpu, now);
    struct sched_entity *left = rq->head, *e = left;
    if (!left)
        return 0;
    /* Linux's pick_next_entity: pass over the yielder if the second one
       is within a wake-up granularity of it; then prefer the last buddy,
       then the next buddy, each only if within a granularity of the
       leftmost (a kicked next buddy: if it leads the leftmost by at most
       kick_lead); and forget e as a buddy (only e: the others stay). */
    if (rq->skip == left && left->next && ahead_by_gran(left, left->next) < 1)
        e = left->next;
    if (queued_here(rq->last, cpu) && ahead_by_gran(left, rq->last) < 1)
        e = rq->last;
    if (queued_here(rq->next, cpu) &&
        (rq->next->cfs.kicked ? kick_may_lead(rq->next, left) : ahead_by_gran(left, rq->next) < 1))
        e = rq->next;
    unlink(e);
    e->cfs.kicked = 0;
    rq->resched = 0;
    e->cfs.exec_start = now;
    e->cfs.slice_start_sum = e->cfs.sum_exec;
    return e;
}

static int cfs_has_runnable(struct sched_cpu *scpu)
{
    return rqs[scpu->index].nr_queued || busiest_other(scpu->index) != NO_CPU;
}

static void cfs_state_changed(struct sched_entity *e, int from, int to)
{
    if (from != VCPU_RUNNING || to == VCPU_RUNNABLE)
        return;                  /* RUNNING -> RUNNABLE was charged in enqueue */
    uint64_t now = sched_port_now();
    unsigned cpu = (unsigned)e->last_pcpu;
    update_curr(e, cpu, now);
    e->cfs.last_ran = now;
    rqs[cpu].resched = 0;
    clear_buddies(&rqs[cpu], e); /* it leaves the queue (dequeue_entity) */
    e->cfs.rq = (int)cpu;        /* the queue its vruntime belongs to */
    update_min_vruntime(cpu);
}

/* The tick (or a resched) while e runs on cpu: Linux's check_preempt_tick,
   after a periodic balance when one is due. */
static int cfs_must_leave(struct sched_cpu *scpu, struct sched_entity *e)
{
    unsigned cpu = scpu->index;
    struct cfs_rq *rq = &rqs[cpu];
    uint64_t now = sched_port_now();

    if (rq->resched) {
        rq->resched = 0;
        return 1;
    }
    update_curr(e, cpu, now);
    if (now >= rq->next_balance) {
        rq->next_balance = now + balance_every;
        periodic_balance(cpu, now);
    }
    if (!rq->head)
        return 0;
    uint64_t ideal = slice_of(rq->nr_queued + 1);
    uint64_t ran = e->cfs.sum_exec - e->cfs.slice_start_sum;
    if (ran > ideal) {
        clear_buddies(rq, e);
        return 1;
    }
    if (ran < min_gran)
        return 0;
    return e->cfs.vruntime > rq->head->cfs.vruntime &&
           e->cfs.vruntime - rq->head->cfs.vruntime > ideal;
}

/* Ticks of pCPU i fall at i/P of a tick past the multiples of the tick. */
static uint64_t cfs_tick_deadline(struct sched_cpu *scpu, uint64_t now)
{
    uint64_t phase = tick * scpu->index / (sched_nr_cpus ? sched_nr_cpus : 1);
    if (now < phase)
        return phase;
    return phase + ((now - phase) / tick + 1) * tick;
}

const struct sched_policy sched_cfs = {
    .name = "cfs",
    .per_cpu_queues = 1,
    .rq_of = cfs_rq_of,
    .select_rq = cfs_select_rq,
    .init = cfs_init,
    .enqueue = cfs_enqueue,
    .pick = cfs_pick,
    .remove = cfs_remove,
    .has_runnable = cfs_has_runnable,
    .state_changed = cfs_state_changed,
    .must_leave = cfs_must_leave,
    .tick_deadline = cfs_tick_deadline,
    .own_wakeup = 1,
};
