/*
 * The vCPU scheduler: the vCPU state machine (NEW -> RUNNABLE <-> RUNNING ->
 * BLOCKED -> RUNNABLE ... -> DONE) and the policies that order the run
 * queue. It sees only its own objects (an entity per vCPU, a group per VM,
 * a slot per pCPU) and reaches the machine through sched/port.h, so it links
 * into host unit tests as it is. The run loop that enters guests is
 * hv/virt/run.c.
 */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <stdint.h>

#include "hist.h"
#include "pv_abi.h"
#include "../core/layout.h"

#define SCHED_MAX_CPUS MAX_PCPUS
#define SCHED_GROUP_MAX PV_MAX_VCPUS
#define SCHED_MAX_GROUPS 16        /* == MAX_VMS (checked in hv/virt/vm.c) */

enum vcpu_state {
    VCPU_NEW = 0,      /* not started yet (secondary vCPUs before VCPU_START) */
    VCPU_RUNNABLE,
    VCPU_RUNNING,
    VCPU_BLOCKED,      /* in HLT, waiting for a kick or an interrupt */
    VCPU_DONE,
    VCPU_WAKING,       /* transient: claimed from BLOCKED or NEW by the one
                          waker that will queue it (never in state_cycles) */
    VCPU_STATES
};

struct sched_group;

struct sched_stats_entity {
    uint64_t state_cycles[VCPU_STATES];
    uint64_t switches;         /* times put on a pCPU */
    uint64_t migrations;       /* ... on a different pCPU than last time */
    uint64_t preemptions;      /* taken off at a slice end while runnable */
    uint64_t directed_yields;  /* pause loops/yields that found a sibling */
    uint64_t yields_no_candidate; /* ... that found none */
    uint64_t kick_yields;      /* kick_yield=on: gave the pCPU to a kicked vCPU */
    uint64_t boosts_limited;   /* wake-ups not boosted: SCHED_BOOSTS_PER_SLICE spent */
    struct pv_hist kick_to_run; /* clock cycles from kick to running */
};

/* One schedulable vCPU. Fields marked "lock" change under the lock of the
   entity's run queue only (see the locking rule at the top of sched.c). */
struct sched_entity {
    volatile enum vcpu_state state;   /* lock, but BLOCKED/NEW -> WAKING is
                                         a compare-and-swap without it */
    enum vcpu_state wake_from; /* while WAKING: the state it was claimed from */
    int wake_rq;               /* while WAKING: the queue it is going to */
    int wake_kick;             /* while WAKING: woken by a kick (PV_KICK_CPU) */
    uint64_t state_since;      /* clock of the last state change */
    volatile int pcpu;         /* pCPU running it, or -1 (set before RUNNING
                                  is published, cleared before it ends) */
    int last_pcpu;             /* where it last ran, -1 if never */
    volatile int kicked;       /* PV_UNHALT latch: a kick before HLT is kept */
    volatile int notify;       /* the run loop must look before entering */
    uint64_t kick_tsc;         /* when a kick woke it (for kick_to_run) */
    uint64_t boost_window;     /* start of its current boost window (clock) */
    unsigned boosts;           /* wake-up boosts taken in that window */
    int in_spin_loop;          /* lock: left its pCPU through a pause-loop
                                  yield and has not run since */
    int dy_eligible;           /* lock: KVM's toggle for such a vCPU */
    unsigned index;            /* position in its group */
    struct sched_group *group;
    struct sched_entity *next; /* run-queue link (owned by the policy) */
    struct sched_stats_entity stats;
    /* cfs only (hv/sched/cfs.c); the other policies leave it alone. */
    struct {
        uint64_t vruntime;     /* cycles run (equal weights), on the clock of
                                  queue rq's min_vruntime */
        uint64_t exec_start;   /* clock when accounting last caught up */
        uint64_t slice_start_sum; /* sum_exec when it was last picked */
        uint64_t sum_exec;     /* cycles run in all */
        uint64_t last_ran;     /* clock when it last left a pCPU */
        int rq;                /* the pCPU queue it is on or last left */
        int queued;
        int kicked;            /* woken by a kick and not picked since */
    } cfs;
    /* rr only (hv/sched/rr.c) */
    struct {
        uint64_t ran;          /* cycles run, up to its last stay */
        uint64_t since;        /* clock when it was last put on a pCPU */
    } rr;
};

/* One VM: its entities and the co-run accounting. */
struct sched_group {
    uint32_t id;
    unsigned slot;             /* position in sched_groups (its lock) */
    int finished;              /* lock: no member may run again */
    unsigned nr;
    struct sched_entity *members[SCHED_GROUP_MAX];
    unsigned nr_running, nr_runnable;   /* the group's own lock */
    uint64_t coskew_cycles, skew_since; /* the group's own lock */
    unsigned gen;              /* the group's own lock: bumped by every
                                  member's state change (the watchdog's
                                  lock-free snapshot) */
    unsigned last_boosted;     /* directed yield's round-robin position */
};

/* The scheduler's view of one pCPU. */
struct sched_cpu {
    unsigned index;
    volatile int idle;                 /* halted with nothing to run */
    struct sched_entity *current;      /* its queue's lock */
};

/* Run queue operations; each called with the lock of the queue it works on
   held (with per_cpu_queues, pick/must_leave/has_runnable get cpu's own;
   enqueue/remove get the entity's). */
struct sched_policy {
    const char *name;
    /* Each pCPU's queue has a lock of its own (cfs); without it one lock
       covers the policy's whole structure (rr's FIFO, gang's turns). */
    int per_cpu_queues;
    /* per_cpu_queues: the queue whose lock covers e while RUNNABLE or
       RUNNING, and the queue a waking or new e should join (read without
       any lock; the core locks the answer and stores it in e->wake_rq). */
    unsigned (*rq_of)(const struct sched_entity *e);
    unsigned (*select_rq)(struct sched_entity *e);
    void (*init)(void);        /* optional: forget any earlier run */
    void (*enqueue)(struct sched_entity *e, int front);
    struct sched_entity *(*pick)(struct sched_cpu *cpu);
    void (*remove)(struct sched_entity *e);
    /* Is there an entity this pCPU may run now? */
    int (*has_runnable)(struct sched_cpu *cpu);
    /* Optional: e moved between states (after any queue change). */
    void (*state_changed)(struct sched_entity *e, int from, int to);
    /* Optional: the slice ended while e ran on cpu; must e leave?
       Without it, e leaves when has_runnable(cpu). */
    int (*must_leave)(struct sched_cpu *cpu, struct sched_entity *e);
    /* Optional: when cpu's next slice tick is due (clock), from now; without
       it, one slice from now. */
    uint64_t (*tick_deadline)(struct sched_cpu *cpu, uint64_t now);
    /* The policy places woken entities and decides wake-up preemption
       itself (cfs): boost's front-of-queue and preempt-the-longest-runner
       rules are not applied for it. */
    int own_wakeup;
    /* Optional, with the lock of the queue e is in or is joining: may e,
       woken or interrupted, go to the front (boost=on)? Without it,
       always. */
    int (*may_boost)(const struct sched_entity *e);
    /* Optional, with that lock held: e was woken by a pv kick and may go to
       the front; the pCPU whose vCPU gives way to it (then rescheduled),
       or -1 for the usual boost. */
    int (*kick_swap)(struct sched_entity *e);
};

extern const struct sched_policy sched_rr;
extern const struct sched_policy sched_gang;
extern const struct sched_policy sched_cfs;

/* Scheduler-wide counters for the report (lock-free reads at the end). */
struct sched_stats {
    uint64_t gang_switches;     /* gang: turns handed from one VM to the next */
    uint64_t cross_vm_overlaps; /* times a vCPU started while another VM's ran */
    uint64_t wakeup_preemptions; /* cfs: a woken vCPU preempted a running one */
    uint64_t kick_swaps;         /* rr: a kicked vCPU took its kicker's pCPU */
    uint64_t balance_pulls;     /* cfs: vCPUs moved by the periodic balance */
    uint64_t idle_pulls;        /* cfs: vCPUs pulled by an idle pCPU */
    uint64_t boosts_limited;    /* wake-ups denied a boost by the rate limit */
};
extern struct sched_stats sched_stats;
/* The counters are bumped under different locks: atomically. */
#define SCHED_STAT_INC(field) __atomic_add_fetch(&sched_stats.field, 1, __ATOMIC_RELAXED)
extern uint64_t sched_slice_cycles;
extern struct sched_cpu sched_cpus[SCHED_MAX_CPUS];
extern unsigned sched_nr_cpus;
extern struct sched_group *sched_groups[SCHED_MAX_GROUPS];
extern unsigned sched_nr_groups;

struct sched_params {
    const char *policy;        /* "rr", "gang" */
    uint64_t slice_us;
    uint64_t slice_cycles;     /* the same in clock cycles */
    int boost;                 /* wake-up boost and preemption (rr) */
    unsigned nr_cpus;
    int stagger;               /* rr: pCPU i's first slice is i/P slices longer */
    int kick_yield;            /* a kicker yields to its kicked vCPU if it waits */
    /* cfs, in clock cycles (the base values; cfs scales the three
       granularities by 1 + log2(min(pCPUs, 8)), as Linux does) */
    uint64_t cfs_latency, cfs_min_gran, cfs_wakeup_gran;
    uint64_t cfs_tick, cfs_migration_cost, cfs_balance;
    /* Under the lock: may blocked e take an interrupt now? (the caller's
       notion of "IF set and a vector pending") */
    int (*irq_wakeable)(struct sched_entity *e);
};

/* Returns 0, or -1 if the policy name is unknown. */
int sched_init(const struct sched_params *p);
const char *sched_policy_name(void);
uint64_t sched_slice_us(void);

/* A VM's vCPUs, before any of them starts. */
void sched_group_add(struct sched_group *g);
void sched_entity_init(struct sched_entity *e, struct sched_group *g, unsigned index);

/* For policies: e's state as the policy should read it (a WAKING entity
   is still BLOCKED or NEW to it until it is queued). */
static inline enum vcpu_state sched_queue_state(const struct sched_entity *e)
{
    return e->state == VCPU_WAKING ? e->wake_from : e->state;
}
/* For per_cpu_queues policies holding queue held's lock: take queue
   other's too. Returns 1 if held's lock had to be dropped and retaken to
   keep the lock order (what was read under it must be read again). */
int sched_lock_also(unsigned held, unsigned other);
void sched_unlock_also(unsigned other);

/*
 * The wake-up boost is rate-limited per vCPU: at most SCHED_BOOSTS_PER_SLICE
 * boosts (rr and gang: front of the queue, rr also preempting the longest
 * runner; cfs: wake-up preemption) in any window of one slice. A KICK/HLT ping-pong
 * between two vCPUs wakes each tens of thousands of times a second, and
 * unbounded, every wake-up took a pCPU from another VM's vCPU. Past the
 * limit a wake-up only queues the vCPU, as boost=off does (counted in
 * boosts_limited). A pv lock waiter is kicked a few times a slice at most.
 */
#define SCHED_BOOSTS_PER_SLICE 2
/* For policies, with e's queue lock or as its one waker: may e be boosted
   now? Takes one from its window's allowance if so. */
int sched_boost_take(struct sched_entity *e);

/* For policies: make cpu leave its entity at the next exit. */
void sched_force_resched(struct sched_cpu *cpu);
void sched_wake_idle_all(void);

/* NEW -> RUNNABLE: vCPU0 at boot, the others through VCPU_START. */
void sched_start(struct sched_entity *e);
/* After setting a pending interrupt (kick = 0) or the kicked latch
   (kick = 1): wake a blocked entity, or make a running one exit. */
void sched_notify(struct sched_entity *e, int kick);
/* A VM ended: take its entities out of the queues, poke running ones. */
void sched_group_finish(struct sched_group *g);

/* The run loop's side: pick for this pCPU (NULL: nothing to run). */
struct sched_entity *sched_pick(struct sched_cpu *cpu);
/* When the slice timer of cpu must next fire (clock cycles). */
uint64_t sched_tick_deadline(struct sched_cpu *cpu);
/* The parameters sched_init was given (for the policies). */
const struct sched_params *sched_params(void);
/* The slice ended: must e leave cpu? */
int sched_must_leave(struct sched_cpu *cpu, struct sched_entity *e);
enum sched_put_how {
    SCHED_PUT_PREEMPT,   /* slice over, still runnable */
    SCHED_PUT_YIELD,     /* gave the pCPU up, still runnable */
    SCHED_PUT_BLOCK,     /* HLT: until a kick or a wakeable interrupt */
};
void sched_put(struct sched_entity *e, enum sched_put_how how);
/* Idle: returns 1 if cpu was marked idle (nothing to run), 0 otherwise. */
int sched_idle_enter(struct sched_cpu *cpu);
void sched_idle_exit(struct sched_cpu *cpu);

/* Pause loop: directed yield to a runnable sibling (KVM's
   kvm_vcpu_on_spin); 1 if one was found (e should then give up its pCPU). */
int sched_yield_to_sibling(struct sched_entity *e);
/* PV_KICK_CPU just woke target: with kick_yield=on, 1 if e should give its
   pCPU to target (target waits for a pCPU and was moved to the front). */
int sched_kick_yield(struct sched_entity *e, struct sched_entity *target);
/* PV_SCHED_YIELD: 1 if target is runnable but not running and was moved
   to the front (e should then give up its pCPU). */
int sched_yield_to(struct sched_entity *e, struct sched_entity *target);

#endif
