/*
 * What the scheduler needs from the machine, and nothing more: a clock, the
 * index of the pCPU it runs on, a way to make another pCPU look at its
 * queue, and the locks. hv/sched/port.c is the hypervisor's; host unit tests
 * link a simulated one (tests/unit/sched_sim.c).
 */
#ifndef HV_SCHED_PORT_H
#define HV_SCHED_PORT_H

#include <stdint.h>

#include "sched.h"

uint64_t sched_port_now(void);            /* TSC cycles */
unsigned sched_port_this_cpu(void);
/* Make pCPU cpu re-check its queue (an IPI; the caller is not cpu). */
void sched_port_poke(unsigned cpu);
/* Make pCPU cpu end its slice at the next exit (poking it if remote). */
void sched_port_resched(unsigned cpu);
/* The scheduler's locks: one per pCPU run queue, then one per VM for its
   co-run accounting. Taken with interrupts off (irq_save first); a lock
   is only ever taken while holding locks of lower index, except through
   trylock. */
#define SCHED_LOCK_GROUP(slot) (SCHED_MAX_CPUS + (slot))
#define SCHED_LOCKS (SCHED_MAX_CPUS + SCHED_MAX_GROUPS)
/* Called by sched_init before any pCPU takes a scheduler lock: one_lock is
   1 when the policy serves every pCPU under one lock (rr, gang). */
void sched_port_init(int one_lock);
/* What the locks are, for the report: "ticket" or "tas". */
const char *sched_port_lock_kind(void);
uint64_t sched_port_irq_save(void);       /* interrupts off; returns the flags */
void sched_port_irq_restore(uint64_t flags);
void sched_port_lock(unsigned lock);
int sched_port_trylock(unsigned lock);    /* 1 if taken */
void sched_port_unlock(unsigned lock);

#endif
