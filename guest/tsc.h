/*
 * TSC time: all guest timing (durations, timeouts, latencies) is in TSC
 * cycles; tsc_hz comes from pvhv's boot info, or natively from the PIT.
 */
#ifndef GUEST_TSC_H
#define GUEST_TSC_H

#include <stdint.h>

/* Native only: measures the TSC rate against PIT channel 2. 0 on failure. */
uint64_t tsc_calibrate_pit(void);
/* TSC cycles in ms milliseconds at the boot-info rate (saturating). */
uint64_t tsc_ms_to_cycles(uint64_t ms);

#endif
