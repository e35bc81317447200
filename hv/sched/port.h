/*
 * What the scheduler needs from the machine, and nothing more: a clock, the
 * index of the pCPU it runs on, a way to make another pCPU look at its
 * queue, and the lock. hv/sched/port.c is the hypervisor's; host unit tests
 * link a simulated one (tests/unit/sched_sim.c).
 */
#ifndef HV_SCHED_PORT_H
#define HV_SCHED_PORT_H

#include <stdint.h>

uint64_t sched_port_now(void);            /* TSC cycles */
unsigned sched_port_this_cpu(void);
/* Make pCPU cpu re-check its queue (an IPI; the caller is not cpu). */
void sched_port_poke(unsigned cpu);
/* Make pCPU cpu end its slice at the next exit (poking it if remote). */
void sched_port_resched(unsigned cpu);
uint64_t sched_port_lock(void);           /* interrupts off; returns the flags */
void sched_port_unlock(uint64_t flags);

#endif
