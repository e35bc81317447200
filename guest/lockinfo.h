/*
 * The guest half of lock accounting (pv_abi.h struct pv_lockinfo): each
 * vCPU publishes how many locks it holds and whether it waits for one, and
 * measures where its time went (spinning, halted in the pv slow path) and
 * how often the hypervisor preempted it holding or waiting. lockstress
 * takes its locks through lockinfo_lock/unlock; lockplat halts through
 * lockinfo_halt.
 */
#ifndef GUEST_LOCKINFO_H
#define GUEST_LOCKINFO_H

#include <stddef.h>
#include <stdint.h>

#include "lock.h"

struct lockinfo_stats {
    uint64_t task_cycles;      /* TSC from task_begin to task_end */
    uint64_t task_steal_ns;    /* steal over the same span */
    uint64_t wait_cycles;      /* TSC from asking for a lock to owning it */
    uint64_t wait_steal_ns;    /* steal inside those waits */
    uint64_t halt_cycles;      /* TSC inside slow-path halts */
    uint64_t halt_steal_ns;    /* steal inside those halts (woken, not yet run) */
    uint64_t lhp;              /* preemptions while holding a lock (exact) */
    uint64_t lhp_sections;     /* critical sections with at least one of them */
    uint64_t steal_sections;   /* critical sections during which steal grew */
    uint64_t waiter_preempt;   /* preemptions while waiting for a lock (exact) */
};

/* The calling vCPU registers its page (a no-op without pvhv); 0 or -errno. */
long lockinfo_register(unsigned cpu);
/* Start and end of the measured span; task_begin also zeroes the counters. */
void lockinfo_task_begin(unsigned cpu);
void lockinfo_task_end(unsigned cpu);
void lockinfo_lock(pv_spinlock_t *lock);
void lockinfo_unlock(pv_spinlock_t *lock);
/* The pv slow path's halt (interrupts off), timed. */
void lockinfo_halt(void);
const struct lockinfo_stats *lockinfo_stats(unsigned cpu);
/* Adds b into a (for the VM's sums). */
void lockinfo_add(struct lockinfo_stats *a, const struct lockinfo_stats *b);
/* ",\"spin_frac\":...,\"lhp\":..." for a record; returns the length. */
int lockinfo_json(char *buf, size_t n, const struct lockinfo_stats *s);
/* Spin and halt time and the spin waste, in parts per PARTS of run time. */
#define LOCKINFO_PARTS 10000
void lockinfo_fracs(const struct lockinfo_stats *s, uint64_t *spin, uint64_t *halt,
                    uint64_t *waste);

#endif
