/*
 * How a run ends, in one place above the run loop and the scheduler: the
 * run timeout (the BSP kills VMs still running after timeout= ms, dumping
 * every vCPU first) and the report once every VM has finished.
 */
#ifndef HV_END_H
#define HV_END_H

#include <stdint.h>

/* Arms the timeout (0 = none) and hands the hooks to hv/virt/run.c. */
void end_init(uint64_t timeout_ms);

#endif
