/*
 * The stress window of a task's rate (lockstress's acquisitions/s,
 * tlbstress's shootdowns/s): the time of the stress phase itself, from the
 * first worker's start to the last one's deadline, counting what each
 * worker completed by its own deadline. Not the time to the end barrier:
 * a VM whose vCPUs were descheduled at their deadline can wait long for a
 * pCPU there (under Bochs another VM's vCPUs print their reports through
 * the hypervisor's console for 100-200 ms), and that wait is no part of
 * the stress. With ops= (no deadline) the window ends at the last worker's
 * end and counts everything.
 */
#ifndef PVHV_WINDOW_H
#define PVHV_WINDOW_H

#include <stdint.h>

struct pv_span {
    uint64_t start;      /* TSC at the worker's first operation; 0: no worker */
    uint64_t deadline;   /* TSC at which it stops starting new operations */
    uint64_t end;        /* TSC after its last operation completed */
    uint64_t in_window;  /* operations completed by its deadline */
    uint64_t total;      /* every operation it completed */
};

/* The window in TSC cycles (0 if no span has a worker or it is empty);
   *count: the operations it holds. */
uint64_t pv_stress_window(const struct pv_span *spans, unsigned n, int ops,
                          uint64_t *count);

#endif
