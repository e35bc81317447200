/*
 * Acting on the deadlock watchdog (hv/sched/watchdog.c): a VM that can
 * never run again is killed with that reason at once; a lost wake-up is
 * reported and its VM killed, so the run fails and says why.
 */
#ifndef HV_VIRT_WATCHDOG_H
#define HV_VIRT_WATCHDOG_H

struct vm;

/* After one of vm's vCPUs blocked (hv/virt/run.c). */
void watchdog_check_vm(struct vm *vm);
/* The BSP's tick: every running VM (lost wake-ups show only with time). */
void watchdog_tick(void);

#endif
