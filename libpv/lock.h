/*
 * One spinlock interface for every lock kind (plain ticket, pv ticket, ...),
 * chosen once at boot. The lock code knows nothing about the machine it runs
 * on: halting, kicking and "which CPU am I" come from a platform table, so the
 * same code runs in the guest (hypercalls) and in the hosted unit tests
 * (futexes under pthreads).
 */
#ifndef PVHV_LOCK_H
#define PVHV_LOCK_H

#include <stdint.h>
#include "pv_options.h"

#define PV_LOCK_MAX_CPUS 64
#define PV_SPIN_THRESHOLD_DEFAULT PV_OPT_SPIN_THRESHOLD   /* pv_options.h */

/* head in bits 15:0, tail in bits 31:16; one 32-bit word. holder is only a
   hint (CPU id + 1 of the last owner, 0 = none) for waiters that watch for a
   preempted holder; the lock protocol never depends on it. */
typedef struct {
    volatile uint32_t val;
    volatile uint16_t holder;
} pv_spinlock_t;

#define PV_SPINLOCK_INIT { 0 }

enum pv_lock_kind {
    PV_LOCK_TICKET = 0,
    PV_LOCK_PVTICKET = 1,
    PV_LOCK_TAS = 2,
    PV_LOCK_MCS = 3,
    PV_LOCK_QSPIN = 4,
    PV_LOCK_PVQSPIN = 5,
    PV_LOCK_PTICKET = 6,
    PV_LOCK_KINDS
};

/* Queue nodes per CPU for mcs, qspin and pvqspin. Linux keeps four (task,
   softirq, hardirq, NMI): waits nest at most that deep on one CPU. */
#define PV_QNODES_PER_CPU 4

/* One CPU's queue node. The platform owns the storage (the guest's per-vCPU
   data, the test harness's array) so the lock code allocates nothing. */
struct pv_lock_qnode {
    struct pv_lock_qnode *volatile next;  /* successor in the queue */
    volatile uint32_t locked;             /* set by the predecessor */
    uint32_t count;                       /* node 0: nesting / in-use mask */
    uint32_t cpu;                         /* owner CPU, for kicks */
    volatile uint8_t state;               /* pvqspin: running/halted/hashed */
} __attribute__((aligned(32)));

struct pv_lock_platform {
    unsigned nr_cpus;               /* cpu_id() < nr_cpus <= PV_LOCK_MAX_CPUS */
    unsigned (*cpu_id)(void);
    /* Disable interrupts, returning a token for irq_restore. */
    unsigned long (*irq_save)(void);
    void (*irq_restore)(unsigned long flags);
    /* Sleep until kicked; interrupts are off. A kick that arrived since the
       last halt returns at once (the hypervisor's kicked latch). May return
       without a kick (spurious); the caller re-checks. NULL (kick NULL
       too): no way to sleep, so pvticket never takes its slow path. */
    void (*halt)(void);
    /* Wake cpu from halt, or make its next halt return at once. */
    void (*kick)(unsigned cpu);
    void (*relax)(void);            /* body of a spin loop: PAUSE */
    /* Optional (NULL = never): is cpu's vCPU preempted right now? With it,
       a pvticket waiter whose lock holder is preempted stops spinning early
       and halts (pv_lock_set_preempt_check). */
    int (*vcpu_is_preempted)(unsigned cpu);
    /* nr_cpus * PV_QNODES_PER_CPU nodes, CPU c's at [c * PV_QNODES_PER_CPU];
       needed by mcs, qspin and pvqspin (pv_lock_setup refuses them without). */
    struct pv_lock_qnode *qnodes;
};

/* Per-CPU counters, written only by their own CPU. */
struct pv_lock_cpu_stats {
    uint64_t slow_path;        /* times the spin threshold ran out */
    uint64_t halts;            /* halt() calls */
    uint64_t kicks_sent;       /* kick() calls made by this CPU's unlocks */
    uint64_t spurious_wakeups; /* halt() returned but our ticket was not served */
    uint64_t kick_misses;      /* slow-path flag set but no waiter found */
    uint64_t preempted_holder; /* spins cut short: the holder was preempted
                                  (pvqspin: the predecessor was) */
    uint64_t steals;           /* acquisitions out of queue order (pticket
                                  timeouts, pvqspin lock steals) */
};

/* Must be called once before any lock is used. stats has nr_cpus entries.
   Returns 0, or -1 if kind is unknown or needs queue nodes the platform does
   not give (then the plain ticket lock is set up instead). */
int pv_lock_setup(enum pv_lock_kind kind, const struct pv_lock_platform *plat,
                   uint32_t spin_threshold, struct pv_lock_cpu_stats *stats);
const char *pv_lock_kind_name(enum pv_lock_kind kind);
/* pvticket: stop spinning early when the holder's vCPU is preempted (needs
   the platform's vcpu_is_preempted). Off after pv_lock_setup. */
void pv_lock_set_preempt_check(int on);
/* Returns 0 and sets *kind, or -1 if name is unknown. */
int pv_lock_kind_parse(const char *name, enum pv_lock_kind *kind);

void pv_spin_lock(pv_spinlock_t *lock);
void pv_spin_unlock(pv_spinlock_t *lock);
int pv_spin_is_locked(const pv_spinlock_t *lock);

#endif
