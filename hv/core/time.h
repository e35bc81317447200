/*
 * Time base of the hypervisor: the TSC, calibrated once against the PIT.
 */
#ifndef HV_TIME_H
#define HV_TIME_H

#include <stdint.h>

extern uint64_t tsc_hz;

void tsc_calibrate(void);
/* The platform states its TSC rate (cfg ips=): no calibration. */
void tsc_set_hz(uint64_t hz);
uint64_t cycles_to_ns(uint64_t cycles);
uint64_t ns_to_cycles(uint64_t ns);
void udelay(uint64_t us);

#endif
