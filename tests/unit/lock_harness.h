/*
 * A pthreads stand-in for the machine under the locks: each thread plays a
 * CPU, halt is a futex wait on that CPU's "kicked" word and kick sets it,
 * so the word is exactly the hypervisor's kicked latch. Also a watchdog so
 * that a lost wake-up fails the test instead of hanging it.
 */
#ifndef PVHV_LOCK_HARNESS_H
#define PVHV_LOCK_HARNESS_H

#include <stdint.h>

#include "lock.h"

extern const struct pv_lock_platform harness_platform;
/* What harness_stress runs the lock on (default &harness_platform). */
extern const struct pv_lock_platform *harness_stress_platform;
/* Counters of the platform itself (kicks really delivered). */
extern uint64_t harness_kicks_received[PV_LOCK_MAX_CPUS];

/* Binds the calling thread to a CPU id (< PV_LOCK_MAX_CPUS). */
void harness_set_cpu(unsigned cpu);
/* The platform's entry points, for tests that wrap them. */
unsigned harness_cpu_id(void);
void harness_halt(void);
void harness_kick(unsigned cpu);
/* Clears latches and counters; the caller becomes CPU 0. */
void harness_reset(void);
/* Threads to run for the stress tests: 4x the online cores, capped. */
unsigned harness_stress_threads(void);
/* Kills the process with a message if not disarmed within seconds. */
void harness_watchdog(unsigned seconds, const char *what);
void harness_watchdog_off(void);
/* Waits (yielding) until *flag != 0; gives up after the watchdog. */
void harness_wait_flag(const volatile int *flag);

/* Sum of every CPU's lock counters, plus what the platform saw. */
struct harness_totals {
    struct pv_lock_cpu_stats sum;
    uint64_t kicks_received;
};

/*
 * Stress: nthreads threads each take one lock iters times, with random
 * yields and sleeps inside the critical section to imitate preemption of
 * the holder. Checks mutual exclusion (owner field, non-atomic counter) and
 * that the head moves by exactly one ticket per hand-over.
 */
struct stress_result {
    uint64_t expected;              /* nthreads * iters */
    uint64_t counted;               /* the non-atomic counter */
    uint64_t owner_violations;      /* lock entered while owned */
    uint64_t head_violations;       /* head did not advance by one ticket */
    int locked_after;               /* pv_spin_is_locked at the end */
    uint32_t final_val;             /* the lock word at the end */
    struct harness_totals totals;
};
void harness_stress(enum pv_lock_kind kind, uint32_t spin_threshold,
                    unsigned nthreads, unsigned iters,
                    struct stress_result *res);

/* The same checks for many acquisitions: preemption only as a rare yield
   (1 in 1024 at each of the two points), so it runs at lock speed. */
void harness_volume(enum pv_lock_kind kind, uint32_t spin_threshold,
                    unsigned nthreads, unsigned iters,
                    struct stress_result *res);

/*
 * FIFO: the main thread holds the lock; threads are started one by one and
 * each is let go only after the lock word shows it took its ticket, so the
 * ticket order is known. Then the lock is released and the order in which
 * the threads entered the critical section must equal that order.
 */
struct fifo_result {
    unsigned nthreads;
    unsigned entered;               /* how many recorded an entry */
    unsigned out_of_order;          /* entries not at their ticket's place */
    uint32_t final_val;             /* the lock word at the end */
    struct harness_totals totals;
};
void harness_fifo(enum pv_lock_kind kind, uint32_t spin_threshold,
                  unsigned nthreads, struct fifo_result *res);

/* Tickets taken so far according to the lock word (kind-specific layout). */
unsigned harness_tickets_taken(enum pv_lock_kind kind, uint32_t val);

#endif
