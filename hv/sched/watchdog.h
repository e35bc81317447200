/*
 * The deadlock watchdog's decision (watchdog.c), on the scheduler's own
 * objects so host unit tests can drive it; hv/virt/watchdog.c acts on it.
 */
#ifndef HV_SCHED_WATCHDOG_H
#define HV_SCHED_WATCHDOG_H

#include <stdint.h>

#include "sched.h"

enum sched_wd_verdict {
    SCHED_WD_OK,            /* some vCPU runs, may run, or is being woken */
    SCHED_WD_DEADLOCK,      /* every started vCPU blocked, nothing can wake one */
    SCHED_WD_LOST_WAKEUP,   /* one stayed blocked with its wake-up pending */
};

struct sched_wd_report {
    unsigned index;          /* LOST_WAKEUP: the entity; DEADLOCK: blocked count */
    int kicked;              /* LOST_WAKEUP: a kick was latched (else an interrupt) */
    uint64_t pending_cycles; /* LOST_WAKEUP: for how long it has been seen pending */
};

/* Takes no lock (see watchdog.c). A blocked entity whose kick latch is set, or
   that may take an interrupt (irq_wakeable), is being woken: that must
   finish within lost_after cycles of the first check that saw it, else
   the verdict is LOST_WAKEUP. */
enum sched_wd_verdict sched_watchdog_check(struct sched_group *g, uint64_t lost_after,
                                           struct sched_wd_report *r);
/* Forget what earlier checks saw (a new run in the unit tests). */
void sched_watchdog_reset(void);

#endif
